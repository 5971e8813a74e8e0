// Design note: which video frame to show, against the audio clock (the master, as in ffplay and mpv). The
// viewer polls often (every few ms); each poll asks frameToShow(clock). The frame due is the one whose
// period contains the clock. Video never waits for itself and never runs ahead: when decoding or drawing
// fell behind, the frames whose time passed unseen are dropped — counted, not shown late — so the picture
// catches up with the sound at once instead of drifting. The thresholds are named:
//  - kLateThresholdFrames: a frame shown more than this many frame periods after its time counts as late
//    (ffplay's AV_SYNC_THRESHOLD_MAX is 0.1 s, about 3 frames; lip-sync is judged at ±1 frame, so we are
//    stricter);
//  - kNoSyncSeconds: a clock jump larger than this is a seek or a shuttle step, not lateness (ffplay's
//    AV_NOSYNC_THRESHOLD is 10 s; a user scrubbing moves much less, so we use 1 s).
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>

namespace tandem::render {

struct AvSyncStats {
    int64_t shown = 0;    // frames presented
    int64_t dropped = 0;  // frames whose time passed before they could be shown
    int64_t late = 0;     // frames shown more than kLateThresholdFrames after their time
    double worstLateSeconds = 0;
};

class AvSync {
public:
    static constexpr double kLateThresholdFrames = 1.0;
    static constexpr double kNoSyncSeconds = 1.0;

    explicit AvSync(double fps) : fps_(fps) {}

    // The frame due at audio clock `seconds` (its period contains the clock).
    int64_t frameDue(double seconds) const { return int64_t(std::floor(seconds * fps_ + 1e-9)); }

    // Call when the viewer is about to present: the frame to show now, or −1 when the one on screen stays.
    // Frames skipped over in the same direction count as dropped, unless the clock jumped (a seek).
    int64_t frameToShow(double clockSeconds) {
        const int64_t due = frameDue(clockSeconds);
        if (due == lastShown_) return -1;
        if (lastShown_ >= 0 && std::abs(double(due - lastShown_)) / fps_ < kNoSyncSeconds)
            stats_.dropped += std::max<int64_t>(0, std::abs(due - lastShown_) - 1);
        return due;
    }

    // Call after presenting `frame`, with the audio clock at that moment.
    void shown(int64_t frame, double clockSeconds) {
        lastShown_ = frame;
        ++stats_.shown;
        const double lateness = clockSeconds - double(frame) / fps_; // since the frame's time began
        if (lateness > kLateThresholdFrames / fps_) ++stats_.late;
        stats_.worstLateSeconds = std::max(stats_.worstLateSeconds, lateness);
    }

    void reset() { lastShown_ = -1; }
    const AvSyncStats& stats() const { return stats_; }

private:
    double fps_;
    int64_t lastShown_ = -1;
    AvSyncStats stats_;
};

} // namespace tandem::render
