// Frame-accurate decoding (by index and by time), stills, rotation, variable frame rates, the frame cache,
// prefetching, cross-dissolves and mask overlays.
#include "render/compositor.h"
#include "render/frame_cache.h"
#include "render/prefetcher.h"
#include "render/probe.h"
#include "render/video_decoder.h"
#include "support/test_media.h"

#include <catch2/catch.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <numeric>
#include <random>
#include <thread>

using namespace tandem;
using render::CompositeClip;
using render::CompositeTrack;

namespace {

int numberOf(const render::Frame& f) { return test::readBurnedNumber(f.rgb.data(), f.width, f.height); }

bool runFfmpeg(const std::string& args) {
    return std::system(("ffmpeg -v error -y " + args + " >/dev/null 2>&1").c_str()) == 0;
}

// Raw RGB of the first frame of `path` as the ffmpeg program shows it (autorotation on), or empty.
std::vector<uint8_t> ffmpegFirstFrame(const std::string& path) {
    const std::string raw = path + ".rgb";
    if (!runFfmpeg("-i " + path + " -frames:v 1 -f rawvideo -pix_fmt rgb24 " + raw)) return {};
    const std::string bytes = test::readFile(raw);
    return {bytes.begin(), bytes.end()};
}

int level(const render::Frame& f, int x, int y) { return f.rgb[(size_t(y) * f.width + x) * 3]; }

} // namespace

TEST_CASE("every frame of a 300-frame movie decodes to its burned-in number, by index and by time") {
    const std::string path = test::freshTempDir("numbered") + "/n.mp4";
    test::writeNumberedMovie(path, 300, 32);
    render::VideoDecoder dec(path);
    REQUIRE(dec.frameCount() == 300);
    render::Frame f;
    for (int i = 0; i < 300; ++i) {
        REQUIRE(dec.readNext(f));
        REQUIRE(numberOf(f) == i);
    }
    std::vector<int> order(300);
    std::iota(order.begin(), order.end(), 0);
    std::shuffle(order.begin(), order.end(), std::mt19937(7));
    int wrong = 0;
    for (int target : order) {
        if (!dec.seekTo(target, f) || f.index != target || numberOf(f) != target) ++wrong;
    }
    CHECK(wrong == 0);
    // By time, in random order and walking forwards: the frame showing at i/32 s is frame i.
    wrong = 0;
    for (int target : order) {
        const render::Frame* p = dec.frameAtTime(target / 32.0);
        if (!p || numberOf(*p) != target) ++wrong;
    }
    CHECK(wrong == 0);
    for (int i = 0; i < 300; ++i) {
        const render::Frame* p = dec.frameAtTime(i / 32.0 + 0.01); // inside frame i's period
        REQUIRE(p);
        REQUIRE(numberOf(*p) == i);
    }
    // Past the end the last frame holds; before the start the first shows.
    CHECK(numberOf(*dec.frameAtTime(20.0)) == 299);
    CHECK(numberOf(*dec.frameAtTime(-1.0)) == 0);
}

TEST_CASE("a variable-frame-rate movie is decoded by time, each instant showing the frame then on screen") {
    const std::string dir = test::freshTempDir("vfr");
    test::writeNumberedMovie(dir + "/n.mp4", 32, 16);
    // Frames 0–9 every 1/8 s, then every 1/16 s.
    REQUIRE(runFfmpeg("-i " + dir + "/n.mp4 -vf \"setpts='if(lt(N,10),N/8,10/8+(N-10)/16)/TB'\" -fps_mode passthrough "
                      "-c:v libx264 -preset ultrafast -crf 10 " + dir + "/vfr.mp4"));
    const render::MediaInfo info = render::probe(dir + "/vfr.mp4");
    REQUIRE(info.firstVideo());
    CHECK(info.firstVideo()->variableRate);
    auto shownAt = [](double t) {
        int n = 0;
        for (int k = 0; k < 32; ++k)
            if ((k < 10 ? k / 8.0 : 10 / 8.0 + (k - 10) / 16.0) <= t + 1e-9) n = k;
        return n;
    };
    render::VideoDecoder dec(dir + "/vfr.mp4");
    int wrong = 0;
    for (int i = 0; i < 80; ++i) { // a 32 fps sequence walking over it
        const double t = i / 32.0;
        const render::Frame* p = dec.frameAtTime(t);
        if (!p || numberOf(*p) != shownAt(t)) ++wrong;
    }
    CHECK(wrong == 0);
}

TEST_CASE("a still image probes as a still and shows its picture at every time") {
    const std::string dir = test::freshTempDir("still");
    const std::string png = dir + "/still.png";
    REQUIRE(runFfmpeg("-f lavfi -i color=c=0x3080C0:size=40x30 -frames:v 1 " + png));
    const render::MediaInfo info = render::probe(png);
    REQUIRE(info.firstVideo());
    CHECK(info.firstVideo()->still);
    CHECK(info.firstVideo()->fps == 0);
    CHECK(info.firstVideo()->width == 40);
    render::VideoDecoder dec(png);
    CHECK(dec.still());
    for (double t : {0.0, 3.0, 100.0, 1.0}) {
        const render::Frame* p = dec.frameAtTime(t);
        REQUIRE(p);
        CHECK(p->width == 40);
        CHECK(std::abs(level(*p, 20, 15) - 0x30) <= 4);
    }
    // On a sequence it fills its whole clip.
    render::Compositor c(40, 30, 32, {CompositeTrack{{CompositeClip::of(png, 0, 64, 0.0)}, false}});
    CHECK(std::abs(level(c.frameAt(63), 20, 15) - 0x30) <= 4);
}

TEST_CASE("a phone clip's rotation is honoured as the ffmpeg program honours it") {
    const std::string dir = test::freshTempDir("rotate");
    // A 64×48 picture, then the same stream tagged to be shown turned a quarter.
    REQUIRE(runFfmpeg("-f lavfi -i testsrc=size=64x48:rate=16:duration=1 -c:v libx264 -preset ultrafast -crf 10 " +
                      dir + "/flat.mp4"));
    REQUIRE(runFfmpeg("-i " + dir + "/flat.mp4 -c copy -metadata:s:v:0 rotate=90 " + dir + "/turned.mp4"));
    const render::MediaInfo info = render::probe(dir + "/turned.mp4");
    REQUIRE(info.firstVideo());
    CHECK(info.firstVideo()->rotation % 180 == 90);
    CHECK(info.firstVideo()->width == 48);
    CHECK(info.firstVideo()->height == 64);
    const std::vector<uint8_t> reference = ffmpegFirstFrame(dir + "/turned.mp4");
    REQUIRE(reference.size() == 48 * 64 * 3);
    render::VideoDecoder dec(dir + "/turned.mp4");
    const render::Frame* p = dec.frameAtTime(0);
    REQUIRE(p);
    REQUIRE(p->width == 48);
    REQUIRE(p->height == 64);
    double error = 0;
    for (size_t i = 0; i < reference.size(); ++i) error += std::abs(int(reference[i]) - int(p->rgb[i]));
    CHECK(error / reference.size() < 4.0);
}

TEST_CASE("the frame cache stays within its bytes and forgets the least recently used first") {
    auto picture = [](int w, int h) {
        auto f = std::make_shared<render::Frame>();
        f->width = w;
        f->height = h;
        f->rgb.assign(size_t(w) * h * 3, 1);
        return f;
    };
    render::FrameCache cache(3 * 100 * 3); // room for three 10×10 pictures
    for (int i = 0; i < 3; ++i) cache.insert(render::FrameKey::at("a", i), picture(10, 10));
    CHECK(cache.size() == 3);
    CHECK(cache.find(render::FrameKey::at("a", 0))); // 0 becomes the most recent
    cache.insert(render::FrameKey::at("a", 3), picture(10, 10));
    CHECK(cache.size() == 3);
    CHECK(cache.bytes() <= cache.maxBytes());
    CHECK_FALSE(cache.contains(render::FrameKey::at("a", 1))); // the oldest untouched one went
    CHECK(cache.contains(render::FrameKey::at("a", 0)));
    CHECK(cache.contains(render::FrameKey::at("a", 3)));
    cache.insert(render::FrameKey::at("b", 0), picture(40, 40)); // larger than the whole cache: refused
    CHECK_FALSE(cache.contains(render::FrameKey::at("b", 0)));
    CHECK(cache.hits() == 1);
}

TEST_CASE("the prefetch thread decodes ahead the very pictures the compositor then draws") {
    const std::string path = test::freshTempDir("prefetch") + "/n.mp4";
    test::writeNumberedMovie(path, 96, 32);
    const std::vector<CompositeTrack> tracks{{{CompositeClip::of(path, 0, 40, 0.0), CompositeClip::of(path, 40, 40, 2.0)}, false}};
    auto cache = std::make_shared<render::FrameCache>();
    render::Prefetcher prefetch(tracks, 32, cache);
    prefetch.setPlayhead(35, 1);
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    while (prefetch.decoded() < render::Prefetcher::kLookaheadFrames && std::chrono::steady_clock::now() < deadline)
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    REQUIRE(prefetch.decoded() == render::Prefetcher::kLookaheadFrames);
    render::Compositor cached(120, 16, 32, tracks, cache);
    render::Compositor direct(120, 16, 32, tracks);
    for (int f = 36; f < 36 + render::Prefetcher::kLookaheadFrames; ++f) {
        const int expected = f < 40 ? f : 64 + (f - 40); // the second clip starts at media second 2
        CHECK(numberOf(cached.frameAt(f)) == expected);
        CHECK(numberOf(direct.frameAt(f)) == expected);
    }
    CHECK(cache->hits() == render::Prefetcher::kLookaheadFrames);
}

TEST_CASE("a cross-dissolve blends the outgoing clip into the incoming one, centred on the cut") {
    const std::string dir = test::freshTempDir("dissolve");
    test::writeSolidMovie(dir + "/a.mp4", 32, 24, 64, 32, 40);
    test::writeSolidMovie(dir + "/b.mp4", 32, 24, 64, 32, 200);
    CompositeTrack track;
    track.clips = {CompositeClip::of(dir + "/a.mp4", 0, 20, 0.0), CompositeClip::of(dir + "/b.mp4", 20, 20, 0.0)};
    track.clips[1].dissolveIn = 8; // frames 16–23
    render::Compositor c(32, 24, 32, {track});
    CHECK(std::abs(level(c.frameAt(15), 16, 12) - 40) <= 3);
    for (int f = 16; f < 24; ++f) {
        const double alpha = (f - 16) / 8.0; // MLT's luma weights: 0 on the first frame

        CHECK(std::abs(level(c.frameAt(f), 16, 12) - (40 * (1 - alpha) + 200 * alpha)) <= 3);
    }
    CHECK(std::abs(level(c.frameAt(24), 16, 12) - 200) <= 3);
    // Without the dissolve the cut is hard.
    track.clips[1].dissolveIn = 0;
    render::Compositor hard(32, 24, 32, {track});
    CHECK(std::abs(level(hard.frameAt(19), 16, 12) - 40) <= 3);
    CHECK(std::abs(level(hard.frameAt(20), 16, 12) - 200) <= 3);
}

TEST_CASE("an inpaint mask is tinted over its clip where it covers, and nowhere else") {
    const std::string movie = test::freshTempDir("overlay") + "/g.mp4";
    test::writeSolidMovie(movie, 32, 24, 8, 32, 100);
    auto mask = std::make_shared<render::MaskOverlay>();
    mask->width = 16; // half the width of the picture, stretched to it
    mask->height = 12;
    mask->coverage.assign(16 * 12, 0);
    for (int y = 0; y < 12; ++y)
        for (int x = 0; x < 8; ++x) mask->coverage[y * 16 + x] = 255; // the left half
    CompositeClip clip = CompositeClip::of(movie, 0, 8, 0.0);
    clip.overlay = mask;
    // The output is twice the picture: the overlay is fitted with it.
    render::Compositor c(64, 48, 32, {CompositeTrack{{clip}, false}});
    const render::Frame& f = c.frameAt(2);
    const int red = 100 + int((255 - 100) * mask->strength);
    CHECK(std::abs(f.rgb[(size_t(24) * 64 + 10) * 3] - red) <= 4);     // left: tinted
    CHECK(std::abs(int(f.rgb[(size_t(24) * 64 + 54) * 3]) - 100) <= 3); // right: untouched
}
