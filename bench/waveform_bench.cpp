// Waveform peaks of a media file from scratch (decode, resample to 48 kHz stereo, every mipmap level),
// without the disk cache. Prints the seconds taken. bench/waveform.sh runs it beside `ffmpeg -f null`.
#include "render/waveform.h"

#include <chrono>
#include <cstdio>

int main(int argc, char** argv) {
    if (argc != 2) {
        std::fprintf(stderr, "usage: tandem-bench-waveform FILE\n");
        return 2;
    }
    const auto start = std::chrono::steady_clock::now();
    const auto w = tandem::render::computeWaveform(argv[1]);
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    std::printf("%.3f s for %lld samples, %zu levels\n", seconds, static_cast<long long>(w.sampleCount), w.levels.size());
    return 0;
}
