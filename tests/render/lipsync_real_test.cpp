// The lip-sync analyzer on real footage that Debian ships (installed by packaging/setup-debian.sh; each case
// skips with a message where its package is missing): a film's dialogue scene with cuts and two animated
// characters (opencv-doc's Megamind.avi), its sound moved by FFmpeg — as a whole, and in one shot only — and
// footage with sound but no speech (python3-hug-doc's Lego machine).
#include "render/lipsync.h"
#include "support/test_media.h"

#include <catch2/catch.hpp>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <string>

using namespace tandem;

namespace {

const std::string kFilmScene = "/usr/share/doc/opencv-doc/examples/data/Megamind.avi";
const std::string kNoSpeech = "/usr/share/doc/python3-hug/examples/streaming_movie_server/movie.mp4";
// One frame of the film scene (23.976 fps): the targets' "within one frame".
constexpr double kFilmFrameMs = 1000.0 / 23.976;
// Where the scene's last shot (a close-up of one character speaking) begins.
constexpr double kLastShotSeconds = 8.38;

bool present(const std::string& path, const char* package) {
    if (std::filesystem::exists(path)) return true;
    WARN("skipped: " << path << " is missing (Debian package " << package
                     << ", installed by packaging/setup-debian.sh)");
    return false;
}

// The scene re-encoded with its sound moved by `audioFilter` (an FFmpeg filter graph from [0:a] to [a]).
std::string withSound(const std::string& name, const std::string& audioFilter) {
    const std::string out = test::freshTempDir("lipsyncreal") + "/" + name + ".mp4";
    const std::string cmd = "ffmpeg -v error -y -i " + kFilmScene + " -filter_complex \"" + audioFilter +
                            "\" -map 0:v -map [a] -c:v libx264 -preset veryfast -crf 18 -c:a aac -b:a 160k " +
                            out + " >/dev/null 2>&1";
    REQUIRE(std::system(cmd.c_str()) == 0);
    return out;
}

// The whole sound later by `ms` (earlier when negative), the clip's length kept.
std::string shifted(double ms) {
    const double s = std::abs(ms) / 1000;
    const std::string filter = ms >= 0 ? "[0:a]adelay=" + std::to_string(int(ms)) + ":all=1[a]"
                                       : "[0:a]atrim=start=" + std::to_string(s) + ",asetpts=PTS-STARTPTS[a]";
    return withSound("shift" + std::to_string(int(ms)), filter);
}

} // namespace

TEST_CASE(
    "a film's dialogue scene with cuts: the sound moved by -200 … +200 ms is measured within one frame") {
    if (!present(kFilmScene, "opencv-doc")) return;
    for (double ms : {0.0, -200.0, -120.0, 80.0, 200.0}) {
        const render::SyncReport r = render::analyseSync(shifted(ms));
        INFO("moved by " << ms << " ms: " << r.reason);
        CHECK(r.method == render::SyncMethod::Lips);
        REQUIRE(r.offsetMs);
        CHECK(std::abs(*r.offsetMs - ms) <= kFilmFrameMs);
        // The scene's three cuts, two characters: four shots, faces in each, the speakers' shots measured.
        CHECK(r.shots.size() == 4);
        int measured = 0;
        for (const auto& shot : r.shots) {
            CHECK(shot.faces >= 1);
            measured += shot.offsetMs.has_value();
        }
        CHECK(measured >= 1);
        CHECK(r.shotsLeftOut == int(r.shots.size()) - measured);
    }
}

TEST_CASE("a film scene where one shot's sound alone slipped by 160 ms: that shot is found and measured") {
    if (!present(kFilmScene, "opencv-doc")) return;
    const std::string cut = std::to_string(kLastShotSeconds);
    const std::string slipped =
        withSound("slip", "[0:a]atrim=0:" + cut + ",asetpts=PTS-STARTPTS[a1];[0:a]atrim=start=" + cut +
                              ",asetpts=PTS-STARTPTS,adelay=160:all=1[a2];[a1][a2]concat=n=2:v=0:a=1[a]");
    const render::SyncReport r = render::analyseSync(slipped);
    INFO(r.reason);
    REQUIRE(r.offsetMs);
    CHECK(std::abs(*r.offsetMs) <= kFilmFrameMs); // the rest of the scene is in sync
    REQUIRE(r.shots.size() == 4);
    const render::ShotSync& last = r.shots.back();
    CHECK(std::abs(last.startSeconds - kLastShotSeconds) < 0.1);
    REQUIRE(last.offsetMs);
    CHECK(std::abs(*last.offsetMs - 160) <= kFilmFrameMs);
    CHECK(last.slipped);
    for (size_t i = 0; i + 1 < r.shots.size(); ++i)
        CHECK_FALSE(r.shots[i].slipped);
}

TEST_CASE("real footage with sound but no speech gives no estimate, with the reason") {
    if (!present(kNoSpeech, "python3-hug-doc")) return;
    const render::SyncReport r = render::analyseSync(kNoSpeech);
    CHECK_FALSE(r.offsetMs);
    CHECK_FALSE(r.reason.empty());
    CHECK(r.confidence == 0);
    for (const auto& shot : r.shots)
        CHECK_FALSE(shot.slipped);
}
