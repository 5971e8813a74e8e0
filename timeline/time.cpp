#include "timeline/time.h"

#include <cmath>

namespace tandem::timeline {

Rational Rational::fromRate(double rate) {
    if (!(rate > 0) || !std::isfinite(rate)) return {0, 1};
    // NTSC-family rates are n·1000/1001; anything within a thousandth of one is that rate.
    const double ntscBase = rate * 1001.0 / 1000.0;
    const double rounded = std::round(ntscBase);
    if (std::abs(rate - double(std::llround(rate))) > 1e-6 && std::abs(ntscBase - rounded) < 1e-3)
        return {int64_t(rounded) * 1000, 1001};
    if (std::abs(rate - std::round(rate)) < 1e-6) return {int64_t(std::llround(rate)), 1};
    // Any other rate: a millisecond-exact fraction.
    return {int64_t(std::llround(rate * 1000)), 1000};
}

double TimeMap::secondsForFrames(int64_t frames) const { return double(frames) * fps.den / fps.num; }

int64_t TimeMap::framesForSeconds(double seconds) const {
    return std::llround(seconds * fps.num / fps.den);
}

int64_t TimeMap::samplesForFrames(int64_t frames) const {
    // frames · den · rate / num, rounded to nearest
    const __int128 n = static_cast<__int128>(frames) * fps.den * sampleRate;
    return static_cast<int64_t>((2 * n + fps.num) / (2 * fps.num));
}

int64_t TimeMap::framesForSamples(int64_t samples) const {
    const __int128 n = static_cast<__int128>(samples) * fps.num;
    return static_cast<int64_t>(n / (static_cast<__int128>(fps.den) * sampleRate));
}

int64_t TimeMap::samplesForSeconds(double seconds) const { return std::llround(seconds * sampleRate); }

double TimeMap::secondsForSamples(int64_t samples) const { return double(samples) / sampleRate; }

int64_t TimeMap::framesForTime(double value, double rate) const {
    if (!(rate > 0)) return 0;
    return std::llround(value / rate * fps.num / fps.den);
}

} // namespace tandem::timeline
