#include "timeline/time.h"

#include <cmath>

namespace tandem::timeline {

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

} // namespace tandem::timeline
