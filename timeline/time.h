// Design note: the one place in the project layer that converts between sequence frames, audio samples and
// seconds. Sequence frame rates are rational (30000/1001 is not 29.97), so conversions go through exact
// integer arithmetic and round once, at the end.
#pragma once

#include <cstdint>

namespace tandem::timeline {

struct Rational {
    int64_t num = 32;
    int64_t den = 1;
    double toDouble() const { return double(num) / double(den); }
    bool operator==(const Rational&) const = default;
};

struct TimeMap {
    Rational fps{32, 1};
    int sampleRate = 48000;

    double secondsForFrames(int64_t frames) const;
    int64_t framesForSeconds(double seconds) const; // nearest frame
    int64_t samplesForFrames(int64_t frames) const; // first sample of frame `frames`
    int64_t framesForSamples(int64_t samples) const; // frame that contains sample `samples`
};

} // namespace tandem::timeline
