#include "render/media_error.h"
#include "render/movie_writer.h"
#include "render/probe.h"
#include "render/thumbnail.h"
#include "render/video_decoder.h"
#include "support/test_media.h"

#include <catch2/catch.hpp>

#include <cmath>
#include <filesystem>

using namespace tandem;
namespace fs = std::filesystem;

TEST_CASE("a written movie probes as H.264 + AAC with matching durations") {
    const std::string dir = test::freshTempDir("writer");
    const std::string path = dir + "/m.mp4";
    test::writeTestMovie(path, {64, 48, 32, 16.0, 16000});
    const render::MediaInfo info = render::probe(path);
    REQUIRE(info.firstVideo());
    REQUIRE(info.firstAudio());
    CHECK(info.streams.size() == 2);
    CHECK(info.firstVideo()->codec == "h264");
    CHECK(info.firstVideo()->width == 64);
    CHECK(info.firstVideo()->height == 48);
    CHECK(info.firstVideo()->fps == Approx(16.0));
    CHECK(info.firstVideo()->duration == Approx(2.0).margin(1.0 / 16));
    CHECK(info.firstAudio()->codec == "aac");
    CHECK(info.firstAudio()->sample_rate == 48000);
    CHECK(std::abs(info.firstAudio()->duration - info.firstVideo()->duration) <= 1.0 / 16);
    // Nothing but the finished file is left behind.
    CHECK(std::distance(fs::directory_iterator(dir), fs::directory_iterator()) == 1);
}

TEST_CASE("every frame decodes to the right picture, in order and by seeking") {
    const std::string path = test::freshTempDir("seek") + "/m.mp4";
    test::writeTestMovie(path, {64, 48, 40, 16.0, 0});
    render::VideoDecoder dec(path);
    CHECK(dec.frameCount() == 40);
    render::Frame f;
    int n = 0;
    while (dec.readNext(f)) {
        CHECK(f.index == n);
        CHECK(std::abs(int(f.rgb[f.rgb.size() / 2]) - test::testMovieLevel(n)) <= 3);
        ++n;
    }
    CHECK(n == 40);
    for (int target : {37, 3, 20, 21, 0, 39, 10}) {
        REQUIRE(dec.seekTo(target, f));
        CHECK(f.index == target);
        CHECK(std::abs(int(f.rgb[f.rgb.size() / 2]) - test::testMovieLevel(target)) <= 3);
    }
}

TEST_CASE("decoded audio comes back at the asked rate and length") {
    const std::string path = test::freshTempDir("audio") + "/m.mp4";
    test::writeTestMovie(path, {64, 48, 32, 16.0, 16000});
    const auto audio = render::decodeAudio(path, 48000, 2);
    const double seconds = audio.size() / 2.0 / 48000.0;
    CHECK(seconds == Approx(2.0).margin(0.03));
    float peak = 0;
    for (float s : audio) peak = std::max(peak, std::abs(s));
    CHECK(peak == Approx(0.5).margin(0.08));
}

TEST_CASE("an abandoned write leaves nothing at the destination") {
    const std::string dir = test::freshTempDir("abandon");
    {
        render::MovieSettings s;
        s.width = 32;
        s.height = 32;
        s.fps = 10;
        render::MovieWriter w(dir + "/never.mp4", s);
        std::vector<uint8_t> frame(32 * 32 * 3, 100);
        w.addFrame(frame.data());
    }
    CHECK(fs::is_empty(dir));
}

TEST_CASE("invalid writer settings are refused") {
    const std::string dir = test::freshTempDir("badwriter");
    render::MovieSettings s;
    s.width = 31;
    s.height = 32;
    s.fps = 10;
    CHECK_THROWS_AS(render::MovieWriter(dir + "/odd.mp4", s), render::MediaError);
    s.width = 32;
    CHECK_THROWS_AS(render::MovieWriter(dir + "/missing/dir/x.mp4", s), render::MediaError);
    CHECK(fs::is_empty(dir));
}

TEST_CASE("thumbnails keep the aspect ratio and the picture") {
    render::Frame f;
    f.width = 320;
    f.height = 180;
    f.rgb.assign(320 * 180 * 3, 77);
    const render::Frame t = render::makeThumbnail(f, 160, 160);
    CHECK(t.width == 160);
    CHECK(t.height == 90);
    CHECK(int(t.rgb[100]) == 77);
}
