#include "app/sync_command.h"

#include "app/cli_args.h"
#include "render/lipsync.h"

#include <nlohmann/json.hpp>

#include <cmath>
#include <cstdio>
#include <iostream>

namespace tandem::app {

const char* kSyncUsage = R"(usage: tandem-cli sync FILE [--json]

Measures how far the sound of a shot is from its picture: lips against speech where a face is found, else
movement against impacts. Prints the offset in milliseconds (positive = the audio is late; move it earlier by
that much to fix it), the confidence (0–1), and the drift — how the offset changes through the shot, from
offsets measured every second. An edited clip is measured shot by shot (cuts found first, the face that
speaks in each): each shot's offset is listed, and a shot whose sound an edit slipped against the rest is
named. A shot with silence, no speech, no face and no motion, or no clear match gets "no estimate" and the
reason, never a number. --json adds shots: [{start, end, faces, speaker, offset_ms, confidence, slipped,
reason}] and shots_left_out.
)";

namespace {

nlohmann::json optionalNumber(const std::optional<double>& v) { return v ? nlohmann::json(*v) : nlohmann::json(nullptr); }

void printJson(const std::string& file, const render::SyncReport& r) {
    nlohmann::json j{{"file", file},
                     {"method", render::syncMethodName(r.method)},
                     {"offset_ms", optionalNumber(r.offsetMs)},
                     {"offset_frames", r.offsetMs ? nlohmann::json(*r.offsetMs * r.fps / 1000) : nlohmann::json(nullptr)},
                     {"confidence", r.confidence},
                     {"drift_ms_per_second", optionalNumber(r.driftMsPerSecond)},
                     {"fps", r.fps},
                     {"frames", r.frames},
                     {"face_fraction", r.faceFraction}};
    if (!r.offsetMs) j["reason"] = r.reason;
    j["per_second"] = nlohmann::json::array();
    for (const auto& w : r.perSecond)
        j["per_second"].push_back({{"start", w.startSeconds}, {"offset_ms", optionalNumber(w.offsetMs)}, {"confidence", w.confidence}});
    j["shots"] = nlohmann::json::array();
    for (const auto& s : r.shots) {
        nlohmann::json shot{{"start", s.startSeconds},
                            {"end", s.endSeconds},
                            {"faces", s.faces},
                            {"speaker", s.speaker >= 0 ? nlohmann::json(s.speaker) : nlohmann::json(nullptr)},
                            {"offset_ms", optionalNumber(s.offsetMs)},
                            {"confidence", s.confidence},
                            {"slipped", s.slipped}};
        if (!s.offsetMs) shot["reason"] = s.reason;
        j["shots"].push_back(shot);
    }
    j["shots_left_out"] = r.shotsLeftOut;
    std::cout << j.dump(2) << "\n";
}

// One line per shot: where it is, its faces, and its offset or why it was left out.
void printShots(const render::SyncReport& r) {
    if (r.shots.size() < 2) return;
    std::printf("  shots (%zu, %d left out):\n", r.shots.size(), r.shotsLeftOut);
    for (const auto& s : r.shots) {
        std::printf("    %6.2f–%6.2f s  %d face%s  ", s.startSeconds, s.endSeconds, s.faces, s.faces == 1 ? " " : "s");
        if (s.offsetMs)
            std::printf("%+5.0f ms · confidence %.2f%s\n", *s.offsetMs, s.confidence, s.slipped ? " · SLIPPED against the clip" : "");
        else
            std::printf("left out: %s\n", s.reason.c_str());
    }
}

void printText(const std::string& file, const render::SyncReport& r) {
    if (!r.offsetMs) {
        std::printf("%s: no estimate (%s)\n", file.c_str(), r.reason.c_str());
        printShots(r);
        return;
    }
    const double ms = *r.offsetMs;
    std::printf("%s: audio %s by %.0f ms (%.1f frames at %.3g fps) · confidence %.2f · by %s\n", file.c_str(),
                ms >= 0 ? "late" : "early", std::abs(ms), std::abs(ms) * r.fps / 1000, r.fps, r.confidence,
                render::syncMethodName(r.method));
    if (r.driftMsPerSecond) std::printf("  drift: %+.1f ms per second (%+.0f ms per minute)\n", *r.driftMsPerSecond, *r.driftMsPerSecond * 60);
    std::printf("  per second:");
    for (const auto& w : r.perSecond) {
        if (w.offsetMs) std::printf(" %+.0f", *w.offsetMs);
        else std::printf(" –");
    }
    std::printf(" ms\n");
    printShots(r);
}

} // namespace

int runSync(const std::vector<std::string>& words) {
    Args args(words, "sync", {}, {"json"});
    if (args.positional().size() != 1) throw UsageError("sync needs exactly one FILE");
    const std::string file = args.positional()[0];
    const render::SyncReport report = render::analyseSync(file);
    if (args.has("json")) printJson(file, report);
    else printText(file, report);
    return 0;
}

} // namespace tandem::app
