#include "render/media_error.h"
#include "render/probe.h"
#include "render/refiner.h"
#include "render/video_decoder.h"
#include "support/test_media.h"

#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <utility>
#include <vector>

using namespace tandem;
namespace fs = std::filesystem;

namespace {

constexpr int kW = 96, kH = 64, kSide = 16;
constexpr int kSquareLevel = 230;

// A fixed, non-repeating grey texture (blurred noise, 30…110). Optical flow needs texture: on a flat ground
// any motion of the ground matches equally well, so a real shot's background is more like this than black.
std::vector<uint8_t> texture() {
    std::vector<double> v(kW * kH);
    uint32_t s = 7;
    for (double& x : v) {
        s = (s * 1103515245u + 12345u) & 0x7fffffffu;
        x = double((s >> 16) % 256);
    }
    for (int pass = 0; pass < 2; ++pass) { // 3×3 box blur, edges repeated
        std::vector<double> blurred(v.size());
        for (int y = 0; y < kH; ++y)
            for (int x = 0; x < kW; ++x) {
                double sum = 0;
                for (int dy = -1; dy <= 1; ++dy)
                    for (int dx = -1; dx <= 1; ++dx)
                        sum += v[std::clamp(y + dy, 0, kH - 1) * kW + std::clamp(x + dx, 0, kW - 1)];
                blurred[y * kW + x] = sum / 9;
            }
        v = blurred;
    }
    const auto [lo, hi] = std::minmax_element(v.begin(), v.end());
    std::vector<uint8_t> grey(v.size());
    for (size_t i = 0; i < v.size(); ++i)
        grey[i] = uint8_t(30 + (v[i] - *lo) / (*hi - *lo) * 80);
    return grey;
}

// The textured ground with a bright kSide × kSide square whose top-left corner is (x, y).
render::Frame squareAt(int x, int y) {
    static const std::vector<uint8_t> ground = texture();
    render::Frame f{kW, kH, 0, std::vector<uint8_t>(kW * kH * 3)};
    for (int i = 0; i < kW * kH; ++i) {
        const int px = i % kW, py = i / kW;
        const bool inside = px >= x && px < x + kSide && py >= y && py < y + kSide;
        std::fill_n(f.rgb.begin() + i * 3, 3, inside ? uint8_t(kSquareLevel) : ground[i]);
    }
    return f;
}

// Centre of the pixels clearly brighter than any ground or half-faded square; {-1, -1} when there are none.
std::pair<double, double> brightCentroid(const render::Frame& f) {
    double sx = 0, sy = 0, n = 0;
    for (int y = 0; y < f.height; ++y)
        for (int x = 0; x < f.width; ++x)
            if (f.rgb[(size_t(y) * f.width + x) * 3] > 160) {
                sx += x + 0.5;
                sy += y + 0.5;
                ++n;
            }
    return n ? std::pair{sx / n, sy / n} : std::pair{-1.0, -1.0};
}

double meanAbsDifference(const std::vector<uint8_t>& a, const std::vector<uint8_t>& b) {
    double sum = 0;
    for (size_t i = 0; i < a.size(); ++i)
        sum += std::abs(int(a[i]) - int(b[i]));
    return sum / double(a.size());
}

render::Frame crossFade(const render::Frame& a, const render::Frame& b) {
    render::Frame f = a;
    for (size_t i = 0; i < f.rgb.size(); ++i)
        f.rgb[i] = uint8_t((a.rgb[i] + b.rgb[i] + 1) / 2);
    return f;
}

int centrePixel(const render::Frame& f) {
    return f.rgb[(size_t(f.height / 2) * f.width + f.width / 2) * 3];
}

} // namespace

TEST_CASE("an interpolated frame puts a moving square half way, far closer than a cross-fade") {
    struct Move {
        int x0, y0, dx, dy;
    };
    for (const Move m : {Move{32, 24, 16, 0}, Move{48, 24, -16, 0}, Move{32, 16, 12, 8}}) {
        INFO("square from (" << m.x0 << ", " << m.y0 << ") moving by (" << m.dx << ", " << m.dy << ")");
        const render::Frame a = squareAt(m.x0, m.y0), b = squareAt(m.x0 + m.dx, m.y0 + m.dy);
        const render::Frame truth = squareAt(m.x0 + m.dx / 2, m.y0 + m.dy / 2);
        const render::Frame mid = render::interpolateFrame(a, b, 0.5);
        REQUIRE(mid.width == kW);
        REQUIRE(mid.height == kH);
        // A cross-fade has no pixel this bright (two half-bright squares), so a centroid proves motion.
        const auto [cx, cy] = brightCentroid(mid);
        CHECK(std::abs(cx - (m.x0 + m.dx / 2.0 + kSide / 2.0)) <= 2);
        CHECK(std::abs(cy - (m.y0 + m.dy / 2.0 + kSide / 2.0)) <= 2);
        const double error = meanAbsDifference(mid.rgb, truth.rgb);
        const double fadeError = meanAbsDifference(crossFade(a, b).rgb, truth.rgb);
        CHECK(error < 0.5 * fadeError);
    }
}

TEST_CASE("interpolation at t = 0 and t = 1 gives the two frames exactly") {
    const render::Frame a = squareAt(32, 24), b = squareAt(48, 24);
    CHECK(render::interpolateFrame(a, b, 0).rgb == a.rgb);
    CHECK(render::interpolateFrame(a, b, 1).rgb == b.rgb);
    const render::FrameInterpolator between(a, b); // with the flow computed, too
    CHECK(between.at(0).rgb == a.rgb);
    CHECK(between.at(1).rgb == b.rgb);
    CHECK(between.at(0.25).rgb != a.rgb);
    CHECK_THROWS_AS(
        render::interpolateFrame(a, render::Frame{32, 32, 0, std::vector<uint8_t>(32 * 32 * 3)}, 0.5),
        std::invalid_argument);
}

TEST_CASE("frame-rate conversion maps output frames to source frames and fractions") {
    SECTION("doubling: every even frame is a source frame, every odd one half way") {
        const render::FrameRateConverter rate(16, 32);
        CHECK(rate.outputFrames(32) == 64);
        for (int64_t k = 0; k < 64; ++k) {
            const render::SourcePosition p = rate.at(k);
            CHECK(p.frame == k / 2);
            if (k % 2 == 0)
                CHECK(p.t == 0);
            else
                CHECK(p.t == Approx(0.5));
        }
    }
    SECTION("8 → 30: the same duration, moving steadily forward") {
        const render::FrameRateConverter rate(8, 30);
        CHECK(rate.outputFrames(16) == 60);
        double last = -1;
        for (int64_t k = 0; k < 60; ++k) {
            const render::SourcePosition p = rate.at(k);
            const double position = double(p.frame) + p.t;
            CHECK(p.t >= 0);
            CHECK(p.t < 1);
            CHECK(position > last);
            CHECK(position == Approx(k * 8.0 / 30).margin(1e-9));
            last = position;
        }
        CHECK(rate.at(15).frame == 4); // 15 / 30 s is exactly source frame 4
        CHECK(rate.at(15).t == 0);
    }
    SECTION("32 → 24: fewer frames, one or two source frames apart") {
        const render::FrameRateConverter rate(32, 24);
        CHECK(rate.outputFrames(64) == 48);
        for (int64_t k = 1; k < 48; ++k) {
            const double step = (rate.at(k).frame + rate.at(k).t) - (rate.at(k - 1).frame + rate.at(k - 1).t);
            CHECK(step == Approx(4.0 / 3));
        }
        CHECK(rate.at(3).frame == 4);
        CHECK(rate.at(3).t == 0);
    }
    SECTION("instants that are source instants up to rounding stay on their frame") {
        const double ntsc = 30000.0 / 1001;
        const render::FrameRateConverter rate(ntsc, 3 * ntsc);
        for (int64_t k = 0; k < 3000; k += 3) {
            CHECK(rate.at(k).frame == k / 3);
            CHECK(rate.at(k).t == 0);
        }
    }
    CHECK_THROWS_AS(render::FrameRateConverter(0, 24), std::invalid_argument);
    CHECK_THROWS_AS(render::FrameRateConverter(24, -1), std::invalid_argument);
}

TEST_CASE("upscaling fills the output size exactly and keeps the aspect behind black bars") {
    render::Frame in{256, 160, 3, std::vector<uint8_t>(256 * 160 * 3, 128)};
    auto pixel = [](const render::Frame& f, int x, int y) {
        return int(f.rgb[(size_t(y) * f.width + x) * 3]);
    };
    auto columnBlack = [](const render::Frame& f, int x) {
        for (int y = 0; y < f.height; ++y)
            for (int c = 0; c < 3; ++c)
                if (f.rgb[(size_t(y) * f.width + x) * 3 + c] != 0) return false;
        return true;
    };
    auto rowBlack = [](const render::Frame& f, int y) {
        const auto row = f.rgb.begin() + size_t(y) * f.width * 3;
        return std::all_of(row, row + f.width * 3, [](uint8_t v) { return v == 0; });
    };

    SECTION("wider output: pillarbox") {
        // 256×160 at 6.75× is 1728×1080, leaving 96 columns on each side.
        const render::Frame out = render::upscale(in, 1920, 1080);
        REQUIRE(out.width == 1920);
        REQUIRE(out.height == 1080);
        REQUIRE(out.rgb.size() == size_t(1920) * 1080 * 3);
        CHECK(out.index == 3);
        for (int x : {0, 50, 95, 1824, 1900, 1919})
            CHECK(columnBlack(out, x));
        for (int x : {96, 960, 1823})
            for (int y : {0, 540, 1079})
                CHECK(std::abs(pixel(out, x, y) - 128) <= 1);
    }
    SECTION("taller output: letterbox") {
        // 256×160 at 4.21875× is 1080×675, leaving 622 rows above and 623 below.
        const render::Frame out = render::upscale(in, 1080, 1920);
        REQUIRE(out.width == 1080);
        REQUIRE(out.height == 1920);
        for (int y : {0, 621, 1297, 1919})
            CHECK(rowBlack(out, y));
        for (int y : {622, 960, 1296})
            CHECK(std::abs(pixel(out, 540, y) - 128) <= 1);
        CHECK(std::abs(pixel(out, 0, 960) - 128) <= 1);
    }
    SECTION("the same size is the same picture") {
        CHECK(render::upscale(in, 256, 160).rgb == in.rgb);
    }
}

TEST_CASE(
    "a refined movie has the asked rate and size, the same duration, new in-between frames and the sound") {
    const std::string dir = test::freshTempDir("refine");
    const std::string in = dir + "/in.mp4", out = dir + "/out.mp4";
    test::writeTestMovie(in, {64, 48, 16, 8.0, 16000}); // 2 s
    std::vector<std::pair<int64_t, int64_t>> calls;
    render::refineMovie(in, out, {16, 128, 96}, [&](int64_t done, int64_t total) {
        calls.emplace_back(done, total);
        return true;
    });

    const render::MediaInfo info = render::probe(out);
    REQUIRE(info.firstVideo());
    REQUIRE(info.firstAudio());
    CHECK(info.firstVideo()->codec == "h264");
    CHECK(info.firstVideo()->fps == Approx(16.0));
    CHECK(info.firstVideo()->width == 128);
    CHECK(info.firstVideo()->height == 96);
    CHECK(info.firstVideo()->duration == Approx(2.0).margin(1.0 / 16));
    CHECK(info.firstAudio()->sample_rate == 48000);
    CHECK(info.firstAudio()->duration == Approx(2.0).margin(1.0 / 16));
    REQUIRE_FALSE(calls.empty());
    CHECK(calls.back() == std::pair<int64_t, int64_t>(32, 32));

    // Even frames are the source frames; odd ones lie between them (the test movie's frames are flat greys,
    // so an in-between frame is their mean), except the last, which holds the last source frame.
    render::VideoDecoder decoder(out);
    render::Frame f;
    int n = 0;
    while (decoder.readNext(f)) {
        INFO("output frame " << n);
        const int j = n / 2;
        const int expected = n % 2 == 0 || j + 1 >= 16
                                 ? test::testMovieLevel(j)
                                 : (test::testMovieLevel(j) + test::testMovieLevel(j + 1)) / 2;
        CHECK(std::abs(centrePixel(f) - expected) <= 4);
        ++n;
    }
    CHECK(n == 32);
    CHECK(std::distance(fs::directory_iterator(dir), fs::directory_iterator()) == 2); // no temporary left
}

TEST_CASE("refining keeps the source rate and derives a missing side from the aspect") {
    const std::string dir = test::freshTempDir("refine-keep");
    const std::string in = dir + "/in.mp4", out = dir + "/out.mp4";
    test::writeTestMovie(in, {64, 48, 16, 8.0, 0});
    render::refineMovie(in, out, {0, 96, 0});
    const render::MediaInfo info = render::probe(out);
    REQUIRE(info.firstVideo());
    CHECK_FALSE(info.firstAudio());
    CHECK(info.firstVideo()->fps == Approx(8.0));
    CHECK(info.firstVideo()->width == 96);
    CHECK(info.firstVideo()->height == 72);
    CHECK(info.firstVideo()->duration == Approx(2.0).margin(1.0 / 8));
}

TEST_CASE("a cancelled refine leaves nothing behind, and unreadable input is a media error") {
    const std::string source = test::freshTempDir("refine-source");
    const std::string in = source + "/in.mp4";
    test::writeTestMovie(in, {64, 48, 16, 8.0, 16000});
    const std::string dir = test::freshTempDir("refine-cancel");
    CHECK_THROWS_AS(render::refineMovie(in, dir + "/out.mp4", {16, 128, 96},
                                        [](int64_t done, int64_t) { return done < 5; }),
                    render::RefineCancelled);
    CHECK(fs::is_empty(dir));

    const std::string junk = source + "/junk.mp4";
    std::ofstream(junk) << "not a movie";
    CHECK_THROWS_AS(render::refineMovie(junk, dir + "/out.mp4", {16, 128, 96}), render::MediaError);
    CHECK(fs::is_empty(dir));
}
