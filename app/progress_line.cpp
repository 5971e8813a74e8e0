#include "app/progress_line.h"

#include <algorithm>
#include <atomic>
#include <csignal>
#include <cstdio>

namespace tandem::app {

namespace {
std::atomic<bool> cancelRequested{false};
} // namespace

ProgressLine::ProgressLine(std::string verb, bool quiet)
    : verb_(std::move(verb)), quiet_(quiet), start_(std::chrono::steady_clock::now()) {
    cancelRequested = false;
    previousHandler_ = std::signal(SIGINT, [](int) { cancelRequested = true; });
}

ProgressLine::~ProgressLine() { std::signal(SIGINT, previousHandler_); }

bool ProgressLine::operator()(int64_t done, int64_t total) {
    const int percent = int(100 * done / std::max<int64_t>(1, total));
    if (!quiet_ && percent != lastPercent_) {
        const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
        const double eta = done > 0 ? elapsed / double(done) * double(total - done) : 0;
        std::fprintf(stderr, "\r%s %3d%%  frame %lld/%lld  ETA %.0f s ", verb_.c_str(), percent,
                     static_cast<long long>(done), static_cast<long long>(total), eta);
        lastPercent_ = percent;
    }
    return !cancelRequested.load();
}

void ProgressLine::finish() {
    if (!quiet_ && lastPercent_ >= 0) std::fprintf(stderr, "\n");
}

} // namespace tandem::app
