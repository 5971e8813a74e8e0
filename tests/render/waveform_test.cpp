#include "render/media_error.h"
#include "render/waveform.h"
#include "support/test_media.h"

#include <catch2/catch.hpp>

#include <filesystem>

using namespace tandem::render;

using tandem::test::writeBurstWav;

TEST_CASE("waveform levels give exact minimum and maximum at every zoom") {
    const std::string dir = tandem::test::freshTempDir("waveform");
    const Waveform w = computeWaveform(writeBurstWav(dir + "/burst.wav", 0.5f, -0.25f));
    CHECK(w.sampleCount == 96000);
    REQUIRE(w.levels.size() > 5);
    CHECK(w.levels.front().samplesPerBin == Waveform::kBaseBin);
    CHECK(w.levels.back().bins() == 1);

    auto near = [](std::pair<float, float> r, float lo, float hi) {
        return std::abs(r.first - lo) < 1e-3 && std::abs(r.second - hi) < 1e-3;
    };
    // Edges are exact to one base bin (256 samples); the burst spans samples 48000–71999.
    CHECK(near(w.range(0, 0, 47872), 0, 0));
    CHECK(near(w.range(0, 48128, 71936), 0.5f, 0.5f));
    CHECK(near(w.range(1, 48128, 71936), -0.25f, -0.25f));
    CHECK(near(w.range(0, 0, 96000), 0, 0.5f));
    CHECK(near(w.range(1, 0, 96000), -0.25f, 0));
    CHECK(near(w.range(0, 47000, 47615), 0, 0));
    CHECK(near(w.range(0, 72192, 96000), 0, 0));
    const auto cols = w.columns(0, 0, 96000, 3);
    REQUIRE(cols.size() == 3);
    CHECK(near(cols[0], 0, 0));
    CHECK(near(cols[1], 0, 0.5f));
    CHECK(near(cols[2], 0, 0.5f));
    // Every coarse answer equals a brute-force scan of the finest level.
    for (int64_t from : {0, 1000, 40000, 50000, 70000})
        for (int64_t to : {from + 300, from + 5000, int64_t(96000)}) {
            const auto& base = w.levels.front();
            int16_t lo = 32767, hi = -32767;
            for (int64_t b = from / 256; b <= std::min((to - 1) / 256, base.bins() - 1); ++b) {
                lo = std::min(lo, base.minMax[size_t(b) * 4]);
                hi = std::max(hi, base.minMax[size_t(b) * 4 + 1]);
            }
            CHECK(near(w.range(0, from, to), lo / 32767.f, hi / 32767.f));
        }
    CHECK(w.range(0, 200000, 300000) == std::pair<float, float>(0.f, 0.f)); // past the end
}

TEST_CASE("waveforms are cached per media file and recomputed when the file or the cache changes") {
    const std::string dir = tandem::test::freshTempDir("waveform-cache");
    const std::string media = writeBurstWav(dir + "/a.wav", 0.5f, 0.5f);
    const std::string cache = dir + "/cache";
    const std::string key = waveformCacheKey(media);
    const Waveform first = waveformInBackground(media, cache).get();
    const std::string file = cache + "/" + key + ".peaks";
    REQUIRE(std::filesystem::exists(file));
    const Waveform again = loadOrComputeWaveform(media, cache);
    CHECK(again.sampleCount == first.sampleCount);
    CHECK(again.levels.front().minMax == first.levels.front().minMax);

    // A damaged cache file is not trusted: it is recomputed and rewritten.
    std::filesystem::resize_file(file, std::filesystem::file_size(file) / 2);
    CHECK(loadOrComputeWaveform(media, cache).levels.front().minMax == first.levels.front().minMax);
    CHECK(std::filesystem::file_size(file) > 1000);

    // Different content under the same name gets a different key.
    writeBurstWav(media, 0.25f, 0.25f);
    CHECK(waveformCacheKey(media) != key);
    CHECK(std::abs(loadOrComputeWaveform(media, cache).range(0, 0, 96000).second - 0.25f) < 1e-3);
}

TEST_CASE("a waveform of unreadable media is a MediaError") {
    const std::string dir = tandem::test::freshTempDir("waveform-bad");
    CHECK_THROWS_AS(computeWaveform(dir + "/missing.wav"), MediaError);
    CHECK_THROWS_AS(waveformCacheKey(dir + "/missing.wav"), MediaError);
    std::FILE* f = std::fopen((dir + "/noise.wav").c_str(), "wb");
    std::fputs("RIFF nonsense", f);
    std::fclose(f);
    CHECK_THROWS_AS(loadOrComputeWaveform(dir + "/noise.wav", dir + "/cache"), MediaError);
}
