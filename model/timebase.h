// Design note: the one place that converts between video frames, audio samples, latent steps and seconds.
// Video latents cover `temporal_compression` frames each and audio latents cover `audio_hop` samples each;
// both streams place their tokens on one time axis measured in seconds, so an audio token and a video token
// that describe the same instant get the same temporal rotary phase. Nothing else in the engine does this
// arithmetic: shot lengths, latent sizes and RoPE positions all come from here.
#pragma once

#include <cstdint>

namespace tandem::model {

struct TimeBase {
    double fps = 16.0;               // video frames per second
    int sample_rate = 16000;         // audio samples per second
    int temporal_compression = 4;    // video frames per video latent step
    int audio_hop = 256;             // audio samples per audio latent step

    // A shot is a whole number of video latent steps; this rounds a requested length to the nearest one
    // (at least one step).
    int64_t videoLatentStepsForSeconds(double seconds) const;
    int64_t framesForVideoLatentSteps(int64_t steps) const { return steps * temporal_compression; }
    double secondsForFrames(int64_t frames) const { return static_cast<double>(frames) / fps; }
    // Audio samples spanning exactly `frames` video frames (rounded to the nearest sample).
    int64_t samplesForFrames(int64_t frames) const;
    // Audio latent steps needed to cover `samples` (the decoded waveform is trimmed back to `samples`).
    int64_t audioLatentStepsForSamples(int64_t samples) const;
    int64_t frameForSeconds(double seconds) const;
    int64_t sampleForSeconds(double seconds) const;

    // Centre time, in seconds, of a latent step: the position both streams use for temporal RoPE.
    double secondsOfVideoLatent(int64_t step) const;
    double secondsOfAudioLatent(int64_t step) const;
};

} // namespace tandem::model
