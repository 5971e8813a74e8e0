// Design note: the progress line of long commands (export, refine): percent, frames and an ETA from the
// rate so far, rewritten in place on stderr; Ctrl+C asks the job to cancel instead of killing the process,
// so the job can remove its temporary file. The previous SIGINT handler comes back when the line goes.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

namespace tandem::app {

class ProgressLine {
public:
    ProgressLine(std::string verb, bool quiet);
    ~ProgressLine();
    ProgressLine(const ProgressLine&) = delete;
    ProgressLine& operator=(const ProgressLine&) = delete;

    // For a job's progress callback: prints when the percent changes; false once Ctrl+C was pressed.
    bool operator()(int64_t done, int64_t total);
    void finish(); // ends the line

private:
    std::string verb_;
    bool quiet_;
    int lastPercent_ = -1;
    std::chrono::steady_clock::time_point start_;
    void (*previousHandler_)(int);
};

} // namespace tandem::app
