// Design note: a waveform that draws at any zoom without decoding again. Decoding once (at the mix rate,
// stereo) records the minimum and maximum of every kBaseBin samples per channel; each coarser level halves
// the bins, so any view reads at most about two bins per pixel column from the level that fits. The levels
// are cached on disk per media file, keyed by its size, modification time and a hash of its content (the
// first and last MiB — hashing an hour of audio whole would cost as much as decoding it), and computed on a
// background thread the first time. Values are stored as 16-bit (the eye cannot see finer).
#pragma once

#include <cstdint>
#include <future>
#include <string>
#include <utility>
#include <vector>

namespace tandem::render {

struct WaveformLevel {
    int64_t samplesPerBin = 0;
    std::vector<int16_t> minMax; // per bin: min L, max L, min R, max R (full scale = 32767)
    int64_t bins() const { return int64_t(minMax.size()) / 4; }
};

struct Waveform {
    static constexpr int kBaseBin = 256;
    static constexpr int kChannels = 2;
    int sampleRate = 48000;
    int64_t sampleCount = 0;           // per channel
    std::vector<WaveformLevel> levels; // finest first

    // Lowest and highest sample of `channel` over samples [from, to), read from as few bins of as coarse
    // levels as cover it; exact to one base bin (kBaseBin samples) at each edge; (0, 0) for an empty range.
    std::pair<float, float> range(int channel, int64_t from, int64_t to) const;
    // `columns` (min, max) pairs covering [from, to), one per pixel column.
    std::vector<std::pair<float, float>> columns(int channel, int64_t from, int64_t to, int columns) const;
};

// Decodes `path` and builds every level. Throws MediaError.
Waveform computeWaveform(const std::string& path);

// size + mtime + hash of the first and last MiB, as hex. Throws MediaError when the file cannot be read.
std::string waveformCacheKey(const std::string& path);

// The waveform from `cacheDir` when a cache file for this exact media exists and is intact; otherwise
// computed and written there (atomically; a failed write only costs the next caller a recomputation).
Waveform loadOrComputeWaveform(const std::string& path, const std::string& cacheDir);

// loadOrComputeWaveform on a background thread.
std::future<Waveform> waveformInBackground(const std::string& path, const std::string& cacheDir);

} // namespace tandem::render
