#include "render/waveform.h"

#include "render/media_error.h"
#include "render/mixer.h"
#include "render/video_decoder.h"

extern "C" {
#include <libavutil/mem.h>
#include <libavutil/sha.h>
}

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>
#include <sys/stat.h>

namespace tandem::render {

namespace {

constexpr char kMagic[8] = {'T', 'W', 'A', 'V', 'E', '0', '0', '1'};
constexpr int64_t kHashedBytes = 1 << 20;

int16_t toStored(float v) { return int16_t(std::lround(std::clamp(v, -1.f, 1.f) * 32767.f)); }
float fromStored(int16_t v) { return float(v) / 32767.f; }

// Builds level k+1 from level k: each bin covers two.
WaveformLevel coarser(const WaveformLevel& fine) {
    WaveformLevel out;
    out.samplesPerBin = fine.samplesPerBin * 2;
    const int64_t n = (fine.bins() + 1) / 2;
    out.minMax.resize(size_t(n) * 4);
    for (int64_t b = 0; b < n; ++b)
        for (int c = 0; c < 2; ++c) {
            const int64_t a = 2 * b, z = std::min(2 * b + 1, fine.bins() - 1);
            out.minMax[size_t(b) * 4 + c * 2] = std::min(fine.minMax[size_t(a) * 4 + c * 2], fine.minMax[size_t(z) * 4 + c * 2]);
            out.minMax[size_t(b) * 4 + c * 2 + 1] = std::max(fine.minMax[size_t(a) * 4 + c * 2 + 1], fine.minMax[size_t(z) * 4 + c * 2 + 1]);
        }
    return out;
}

bool readCache(const std::string& file, Waveform& w) {
    std::ifstream in(file, std::ios::binary);
    char magic[8];
    int64_t header[3];
    if (!in.read(magic, 8) || std::memcmp(magic, kMagic, 8) != 0 || !in.read(reinterpret_cast<char*>(header), sizeof header))
        return false;
    w.sampleRate = int(header[0]);
    w.sampleCount = header[1];
    const int64_t levels = header[2];
    if (levels < 1 || levels > 64 || w.sampleCount < 0) return false;
    w.levels.clear();
    for (int64_t l = 0; l < levels; ++l) {
        int64_t meta[2];
        if (!in.read(reinterpret_cast<char*>(meta), sizeof meta) || meta[0] <= 0 || meta[1] < 0 || meta[1] > (int64_t(1) << 32))
            return false;
        WaveformLevel level;
        level.samplesPerBin = meta[0];
        level.minMax.resize(size_t(meta[1]) * 4);
        if (!in.read(reinterpret_cast<char*>(level.minMax.data()), std::streamsize(level.minMax.size() * sizeof(int16_t))))
            return false;
        w.levels.push_back(std::move(level));
    }
    return in.peek() == EOF; // a truncated or padded file is not trusted
}

void writeCache(const std::string& file, const Waveform& w) {
    std::error_code ec;
    std::filesystem::create_directories(std::filesystem::path(file).parent_path(), ec);
    const std::string temp = file + ".tmp-" + std::to_string(std::random_device{}());
    {
        std::ofstream out(temp, std::ios::binary | std::ios::trunc);
        const int64_t header[3] = {w.sampleRate, w.sampleCount, int64_t(w.levels.size())};
        out.write(kMagic, 8);
        out.write(reinterpret_cast<const char*>(header), sizeof header);
        for (const WaveformLevel& l : w.levels) {
            const int64_t meta[2] = {l.samplesPerBin, l.bins()};
            out.write(reinterpret_cast<const char*>(meta), sizeof meta);
            out.write(reinterpret_cast<const char*>(l.minMax.data()), std::streamsize(l.minMax.size() * sizeof(int16_t)));
        }
        if (!out.flush()) {
            std::filesystem::remove(temp, ec);
            return; // a cache that cannot be written is recomputed next time
        }
    }
    std::filesystem::rename(temp, file, ec);
    if (ec) std::filesystem::remove(temp, ec);
}

} // namespace

std::pair<float, float> Waveform::range(int channel, int64_t from, int64_t to) const {
    from = std::max<int64_t>(from, 0);
    to = std::min(to, sampleCount);
    if (to <= from || levels.empty()) return {0.f, 0.f};
    // The levels form a tree (bin i of level k covers bins 2i and 2i+1 of level k-1), so the range's base
    // bins are covered by at most two bins a level: O(log n) reads, exact to one base bin at the edges.
    int16_t lo = 32767, hi = -32767;
    auto take = [&](size_t k, int64_t bin) {
        lo = std::min(lo, levels[k].minMax[size_t(bin) * 4 + channel * 2]);
        hi = std::max(hi, levels[k].minMax[size_t(bin) * 4 + channel * 2 + 1]);
    };
    int64_t l = from / levels[0].samplesPerBin, r = std::min((to - 1) / levels[0].samplesPerBin, levels[0].bins() - 1);
    for (size_t k = 0; k < levels.size() && l <= r; ++k, l >>= 1, r >>= 1) {
        if (l & 1) take(k, l++);
        if (l <= r && !(r & 1)) take(k, r--);
    }
    return {fromStored(lo), fromStored(hi)};
}

std::vector<std::pair<float, float>> Waveform::columns(int channel, int64_t from, int64_t to, int count) const {
    std::vector<std::pair<float, float>> out;
    if (count <= 0) return out;
    out.reserve(size_t(count));
    const double perColumn = double(to - from) / count;
    for (int i = 0; i < count; ++i)
        out.push_back(range(channel, from + int64_t(std::floor(i * perColumn)), from + int64_t(std::floor((i + 1) * perColumn))));
    return out;
}

Waveform computeWaveform(const std::string& path) {
    Waveform w;
    w.sampleRate = kMixRate;
    WaveformLevel base;
    base.samplesPerBin = Waveform::kBaseBin;
    float lo[2] = {1.f, 1.f}, hi[2] = {-1.f, -1.f};
    int64_t inBin = 0;
    auto closeBin = [&] {
        for (int c = 0; c < 2; ++c) {
            base.minMax.push_back(toStored(lo[c]));
            base.minMax.push_back(toStored(hi[c]));
            lo[c] = 1.f;
            hi[c] = -1.f;
        }
        inBin = 0;
    };
    decodeAudioBlocks(path, kMixRate, Waveform::kChannels, [&](const float* s, int64_t frames) {
        for (int64_t i = 0; i < frames; ++i) {
            for (int c = 0; c < 2; ++c) {
                lo[c] = std::min(lo[c], s[i * 2 + c]);
                hi[c] = std::max(hi[c], s[i * 2 + c]);
            }
            if (++inBin == Waveform::kBaseBin) closeBin();
        }
        w.sampleCount += frames;
    });
    if (inBin > 0) closeBin();
    w.levels.push_back(std::move(base));
    while (w.levels.back().bins() > 1) w.levels.push_back(coarser(w.levels.back()));
    return w;
}

std::string waveformCacheKey(const std::string& path) {
    struct stat st{};
    std::ifstream in(path, std::ios::binary);
    if (::stat(path.c_str(), &st) != 0 || !in) throw MediaError(path + ": cannot be read");
    AVSHA* sha = av_sha_alloc();
    av_sha_init(sha, 256);
    std::vector<char> buffer(static_cast<size_t>(kHashedBytes));
    auto hashFrom = [&](int64_t offset) {
        in.clear();
        in.seekg(offset);
        in.read(buffer.data(), std::streamsize(buffer.size()));
        av_sha_update(sha, reinterpret_cast<const uint8_t*>(buffer.data()), unsigned(in.gcount()));
    };
    hashFrom(0);
    if (st.st_size > kHashedBytes) hashFrom(std::max<int64_t>(kHashedBytes, st.st_size - kHashedBytes));
    uint8_t digest[32];
    av_sha_final(sha, digest);
    av_free(sha);
    char hex[65];
    for (int i = 0; i < 32; ++i) std::snprintf(hex + 2 * i, 3, "%02x", digest[i]);
    return std::to_string(int64_t(st.st_size)) + "-" + std::to_string(int64_t(st.st_mtim.tv_sec)) + "." +
           std::to_string(int64_t(st.st_mtim.tv_nsec)) + "-" + std::string(hex, 40);
}

Waveform loadOrComputeWaveform(const std::string& path, const std::string& cacheDir) {
    const std::string file = (std::filesystem::path(cacheDir) / (waveformCacheKey(path) + ".peaks")).string();
    Waveform w;
    if (readCache(file, w)) return w;
    w = computeWaveform(path);
    writeCache(file, w);
    return w;
}

std::future<Waveform> waveformInBackground(const std::string& path, const std::string& cacheDir) {
    return std::async(std::launch::async, [path, cacheDir] { return loadOrComputeWaveform(path, cacheDir); });
}

} // namespace tandem::render
