#include "model/timebase.h"

#include <algorithm>
#include <cmath>

namespace tandem::model {

int64_t TimeBase::videoLatentStepsForSeconds(double seconds) const {
    const double steps = seconds * fps / temporal_compression;
    return std::max<int64_t>(1, std::llround(steps));
}

int64_t TimeBase::samplesForFrames(int64_t frames) const {
    return std::llround(static_cast<double>(frames) * sample_rate / fps);
}

int64_t TimeBase::audioLatentStepsForSamples(int64_t samples) const {
    return (samples + audio_hop - 1) / audio_hop;
}

int64_t TimeBase::frameForSeconds(double seconds) const { return std::llround(seconds * fps); }

int64_t TimeBase::sampleForSeconds(double seconds) const { return std::llround(seconds * sample_rate); }

double TimeBase::secondsOfVideoLatent(int64_t step) const {
    // A latent step covers frames [step*tc, step*tc + tc); frame f is shown during [f/fps, (f+1)/fps).
    const double first = static_cast<double>(step * temporal_compression);
    return (first + temporal_compression / 2.0) / fps;
}

double TimeBase::secondsOfAudioLatent(int64_t step) const {
    const double first = static_cast<double>(step * audio_hop);
    return (first + audio_hop / 2.0) / sample_rate;
}

} // namespace tandem::model
