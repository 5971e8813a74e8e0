// Design note: the one place in the project layer that converts between sequence frames, audio samples and
// seconds. Sequence frame rates are rational (30000/1001 is not 29.97), so conversions go through exact
// integer arithmetic and round once, at the end. Other layers ask a TimeMap; nobody multiplies by fps.
#pragma once

#include <cstdint>

namespace tandem::timeline {

struct Rational {
    int64_t num = 32;
    int64_t den = 1;
    double toDouble() const { return double(num) / double(den); }
    bool isValid() const { return num > 0 && den > 0; }
    bool operator==(const Rational&) const = default;

    // The rational rate a decimal rate stands for: 23.976 → 24000/1001, 29.97 → 30000/1001, 25 → 25/1.
    // Editors that write rates as floating point (OpenTimelineIO) mean one of these.
    static Rational fromRate(double rate);
};

struct TimeMap {
    Rational fps{32, 1};
    int sampleRate = 48000;

    double secondsForFrames(int64_t frames) const;
    int64_t framesForSeconds(double seconds) const;  // nearest frame
    int64_t samplesForFrames(int64_t frames) const;  // first sample of frame `frames`
    int64_t framesForSamples(int64_t samples) const; // frame that contains sample `samples`
    int64_t samplesForSeconds(double seconds) const; // nearest sample
    double secondsForSamples(int64_t samples) const;
    // A time counted at another rate (value / rate seconds), e.g. an OTIO RationalTime, in our frames.
    int64_t framesForTime(double value, double rate) const;
};

} // namespace tandem::timeline
