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
offsets measured every second. A shot with silence, no face and no motion, or no clear match gets "no
estimate" and the reason, never a number.
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
    std::cout << j.dump(2) << "\n";
}

void printText(const std::string& file, const render::SyncReport& r) {
    if (!r.offsetMs) {
        std::printf("%s: no estimate (%s)\n", file.c_str(), r.reason.c_str());
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
