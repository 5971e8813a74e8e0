#include "render/compositor.h"
#include "render/exporter.h"
#include "render/media_error.h"
#include "render/probe.h"
#include "render/video_decoder.h"
#include "support/test_media.h"

#include <catch2/catch.hpp>

#include <filesystem>

using namespace tandem::render;

namespace {

int greyAt(const Frame& f, int x, int y) { return f.rgb[(size_t(y) * f.width + x) * 3]; }

} // namespace

TEST_CASE("the compositor picks the right media frame, fits it with its aspect, and blends layers") {
    const std::string dir = tandem::test::freshTempDir("compositor");
    const std::string movie = dir + "/m.mp4";
    tandem::test::writeTestMovie(movie, {64, 48, 32, 16.0, 0}); // frame i is grey level testMovieLevel(i)
    CompositeTrack base;
    base.clips = {{movie, 0, 20, 0.0, 1.0}, {movie, 20, 20, 1.0, 1.0}}; // the second from media second 1
    Compositor c(160, 60, 32.0, {base});
    // Sequence frame 6 at 32 fps is media time 0.1875 s → media frame 3 at 16 fps.
    const Frame& f6 = c.frameAt(6);
    CHECK(std::abs(greyAt(f6, 80, 30) - tandem::test::testMovieLevel(3)) <= 3);
    CHECK(greyAt(f6, 5, 30) == 0); // 64×48 fitted into 160×60 is 80×60: black bars left and right
    const Frame& f22 = c.frameAt(22); // 2 frames into the second clip: 1 s + 1/16 s → media frame 17
    CHECK(std::abs(greyAt(f22, 80, 30) - tandem::test::testMovieLevel(17)) <= 3);
    CHECK(greyAt(c.frameAt(45), 80, 30) == 0); // after the last clip

    // An upper layer at half opacity over the lower one.
    CompositeTrack top;
    top.clips = {{movie, 0, 40, 0.5, 0.5}}; // media frame 8 onwards
    Compositor blended(64, 48, 16.0, {base, top});
    const int below = tandem::test::testMovieLevel(0), above = tandem::test::testMovieLevel(8);
    CHECK(std::abs(greyAt(blended.frameAt(0), 32, 24) - (below + above) / 2) <= 3);
}

TEST_CASE("an export writes picture and sound of the right length, and a cancelled one leaves nothing") {
    const std::string dir = tandem::test::freshTempDir("export");
    const std::string movie = dir + "/m.mp4";
    tandem::test::writeTestMovie(movie, {64, 48, 32, 16.0, 16000});
    auto sound = std::make_shared<AudioSource>();
    sound->samples = decodeAudio(movie, kMixRate, kMixChannels);
    ExportJob job;
    job.width = 128;
    job.height = 96;
    job.fps = 32;
    job.frames = 64;
    CompositeTrack v;
    v.clips = {{movie, 0, 64, 0.0, 1.0}};
    job.video = {v};
    MixTrack a;
    MixClip clip;
    clip.source = sound;
    clip.length = 96000;
    a.clips = {clip};
    job.audio = {a};
    job.x264Preset = "ultrafast";

    const std::string out = dir + "/out.mp4";
    int64_t calls = 0;
    exportMovie(out, job, [&](int64_t done, int64_t total) {
        CHECK(done <= total);
        ++calls;
        return true;
    });
    CHECK(calls == 64);
    const MediaInfo info = probe(out);
    REQUIRE(info.firstVideo());
    REQUIRE(info.firstAudio());
    CHECK(info.firstVideo()->width == 128);
    CHECK(info.firstVideo()->fps == Approx(32));
    CHECK(info.firstVideo()->duration == Approx(2.0).margin(1.0 / 32));
    CHECK(info.firstAudio()->sample_rate == 48000);
    CHECK(info.firstAudio()->channels == 2);
    CHECK(info.firstAudio()->duration == Approx(2.0).margin(0.05));

    const std::string cancelled = dir + "/cancelled.mp4";
    CHECK_THROWS_AS(exportMovie(cancelled, job, [](int64_t done, int64_t) { return done < 10; }), ExportCancelled);
    CHECK_FALSE(std::filesystem::exists(cancelled));
    for (const auto& e : std::filesystem::directory_iterator(dir))
        CHECK(e.path().filename().string().find("cancelled") == std::string::npos); // no temporary left either

    job.frames = 0;
    CHECK_THROWS_AS(exportMovie(dir + "/empty.mp4", job), MediaError);
}
