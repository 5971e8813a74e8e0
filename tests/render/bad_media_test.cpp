#include "render/chart.h"
#include "render/compositor.h"
#include "render/media_error.h"
#include "render/probe.h"
#include "render/video_decoder.h"
#include "render/waveform.h"
#include "support/test_media.h"

#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>

using namespace tandem;

namespace {

std::string write(const std::string& path, const std::string& bytes) {
    std::ofstream(path, std::ios::binary) << bytes;
    return path;
}

std::string errorOf(const std::string& path) {
    try {
        render::probe(path);
    } catch (const render::MediaError& e) {
        return e.what();
    }
    return {};
}

} // namespace

TEST_CASE("bad media gets a clear error naming the file") {
    const std::string dir = test::freshTempDir("bad");
    CHECK(errorOf(dir + "/absent.mp4").find("no such file") != std::string::npos);
    CHECK(errorOf(write(dir + "/empty.mp4", "")).find("empty") != std::string::npos);
    std::string noise(4096, '\0');
    std::mt19937 rng(1);
    for (auto& c : noise) c = char(rng());
    const std::string random = write(dir + "/random.mp4", noise);
    CHECK(errorOf(random).find(random) == 0);
    CHECK(errorOf(dir).find("folder") != std::string::npos);
    write(dir + "/text.mp4", "this is not a movie\n");
    CHECK_FALSE(errorOf(dir + "/text.mp4").empty());
}

TEST_CASE("a truncated movie fails cleanly or decodes what is there") {
    const std::string dir = test::freshTempDir("trunc");
    test::writeTestMovie(dir + "/full.mp4", {64, 48, 32, 16.0, 16000});
    std::ifstream in(dir + "/full.mp4", std::ios::binary);
    std::string bytes((std::istreambuf_iterator<char>(in)), {});
    write(dir + "/half.mp4", bytes.substr(0, bytes.size() / 2));
    // MP4 keeps its index at the end here, so half a file has no index: a clear error, no crash.
    CHECK_THROWS_AS(render::VideoDecoder(dir + "/half.mp4"), render::MediaError);
}

TEST_CASE("asking for a stream the file lacks is an error") {
    const std::string dir = test::freshTempDir("nostream");
    test::writeTestMovie(dir + "/silent.mp4", {64, 48, 8, 16.0, 0});
    CHECK_THROWS_WITH(render::decodeAudio(dir + "/silent.mp4", 48000, 2), Catch::Contains("no audio stream"));
}

TEST_CASE("the bad-media corpus gets clear errors or sensible results from every reader, never a crash") {
    const std::string dir = test::freshTempDir("corpus");
    test::writeTestMovie(dir + "/good.mp4", {64, 48, 16, 16.0, 16000});
    std::ifstream in(dir + "/good.mp4", std::ios::binary);
    const std::string good((std::istreambuf_iterator<char>(in)), {});
    std::string noise(20000, '\0');
    std::mt19937 rng(7);
    for (auto& c : noise) c = char(rng());
    const std::vector<std::string> broken = {
        write(dir + "/zero.mp4", ""),
        write(dir + "/truncated.mp4", good.substr(0, good.size() / 3)),
        write(dir + "/random.mov", noise),
        write(dir + "/text.mp4", "#EXTM3U\nnot a movie\n"),
        write(dir + "/header-only.mp4", good.substr(0, 64)),
    };
    for (const std::string& f : broken) {
        INFO(f);
        CHECK_THROWS_AS(render::probe(f), render::MediaError);
        CHECK_THROWS_AS(render::VideoDecoder(f), render::MediaError);
        CHECK_THROWS_AS(render::decodeAudio(f, 48000, 2), render::MediaError);
        CHECK_THROWS_AS(render::computeWaveform(f), render::MediaError);
        // A clip of it on a sequence shows black instead of stopping playback or export.
        render::Compositor c(32, 24, 16, {render::CompositeTrack{{render::CompositeClip::of(f, 0, 4, 0.0)}, false}});
        const render::Frame& frame = c.frameAt(1);
        CHECK(std::all_of(frame.rgb.begin(), frame.rgb.end(), [](uint8_t v) { return v == 0; }));
    }

    // Right content, wrong name: an audio-only file and a picture, both called .mp4, are what they are.
    const std::string sound = test::writeBurstWav(dir + "/sound.wav", 0.5f, 0.5f);
    std::filesystem::rename(sound, dir + "/sound.mp4");
    const render::MediaInfo audioOnly = render::probe(dir + "/sound.mp4");
    CHECK(audioOnly.firstAudio());
    CHECK_FALSE(audioOnly.firstVideo());
    CHECK_THROWS_WITH(render::VideoDecoder(dir + "/sound.mp4"), Catch::Contains("no video stream"));
    CHECK(render::decodeAudio(dir + "/sound.mp4", 48000, 2).size() == 96000 * 2);

    render::writeLogChart({render::ChartSeries{"loss", {1, 2, 3}, {3, 2, 1}}}, dir + "/picture.png", "step");
    std::filesystem::rename(dir + "/picture.png", dir + "/picture.mp4");
    const render::MediaInfo still = render::probe(dir + "/picture.mp4");
    REQUIRE(still.firstVideo());
    CHECK_FALSE(still.firstAudio());
    render::VideoDecoder decoder(dir + "/picture.mp4");
    render::Frame f;
    CHECK(decoder.readNext(f));
    CHECK(f.width > 0);
    CHECK_THROWS_WITH(render::decodeAudio(dir + "/picture.mp4", 48000, 2), Catch::Contains("no audio stream"));
}

TEST_CASE("metric charts draw zeros on a linear axis, which a log axis leaves out") {
    const std::string dir = test::freshTempDir("charts");
    // A written chart as decoded pixels, and how many are of the series' line colour (RGB 30, 90, 200).
    auto decode = [](const std::string& png) {
        render::VideoDecoder decoder(png);
        render::Frame f;
        REQUIRE(decoder.readNext(f));
        return f;
    };
    auto linePixels = [](const render::Frame& f) {
        int n = 0;
        for (size_t i = 0; i + 2 < f.rgb.size(); i += 3)
            n += std::abs(f.rgb[i] - 30) < 20 && std::abs(f.rgb[i + 1] - 90) < 20 && std::abs(f.rgb[i + 2] - 200) < 20;
        return n;
    };
    const render::ChartSeries zeros{"adherence", {250, 500, 750}, {0, 0, 0}};
    const render::ChartSeries rising{"colour", {250, 500, 750}, {0, 0.25, 0.5}};
    render::writeLinearChart({zeros, rising}, dir + "/linear.png", "step");
    render::writeLogChart({zeros}, dir + "/log.png", "step");
    const render::Frame linear = decode(dir + "/linear.png"), log = decode(dir + "/log.png");
    CHECK(linear.height == 2 * log.height); // a panel per series
    CHECK(linePixels(linear) > 200);
    CHECK(linePixels(log) == 0);
}
