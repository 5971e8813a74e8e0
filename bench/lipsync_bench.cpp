// The lip-sync analyzer's speed: render::analyseSync on a file, timed in-process (no program start-up), a few
// times. Budget: a 15 s 1080p32 shot in ≤ 2 s on 2 cores. Prints each run and the median with its ratio.
#include "render/lipsync.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <vector>

int main(int argc, char** argv) {
    if (argc < 2) {
        std::fprintf(stderr, "usage: tandem-bench-lipsync FILE [RUNS]\n");
        return 2;
    }
    const int runs = argc > 2 ? std::atoi(argv[2]) : 3;
    std::vector<double> seconds;
    tandem::render::SyncReport report;
    for (int i = 0; i < runs; ++i) {
        const auto start = std::chrono::steady_clock::now();
        report = tandem::render::analyseSync(argv[1]);
        seconds.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
        std::printf("run %d: %.2f s\n", i + 1, seconds.back());
    }
    std::sort(seconds.begin(), seconds.end());
    const double median = seconds[seconds.size() / 2];
    std::printf("%s: %lld frames at %.3g fps, method %s, offset %s · median %.2f s · budget 2 s · ratio %.2f\n", argv[1],
                static_cast<long long>(report.frames), report.fps, tandem::render::syncMethodName(report.method),
                report.offsetMs ? (std::to_string(int(*report.offsetMs)) + " ms").c_str() : report.reason.c_str(), median,
                median / 2.0);
    return 0;
}
