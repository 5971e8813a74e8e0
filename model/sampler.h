// Design note: the rectified-flow sampler. x_t = (1 − t)·x₀ + t·ε, the network predicts v = ε − x₀ and the
// sampler integrates from t = 1 (noise) to t = 0 (data) with Euler steps on a shifted schedule
// (shift > 1 spends more steps at high noise, where the layout is decided). Known latents (mask = 0) are
// re-imposed after every step at the matching noise level, so at t = 0 they are exactly the input latents.
// Checks every step: cancellation (the progress callback returns false) and NaN/Inf (an error naming the step).
#pragma once

#include <torch/torch.h>

#include <functional>
#include <stdexcept>

namespace tandem::model {

struct Cancelled : std::runtime_error {
    Cancelled() : std::runtime_error("generation cancelled") {}
};

struct Latents {
    torch::Tensor video; // [B, Cv, T, h, w]
    torch::Tensor audio; // [B, Ca, L]
};

struct SamplerSettings {
    int steps = 20;
    double shift = 3.0;
    bool heun = false;      // second-order Heun (two network calls per step, except the last)
    double startTime = 1.0; // < 1 starts from (1 − t)·init + t·noise instead of pure noise (restyle)
};

// The timestep shift: a uniform position s in [0, 1] → the noise level t = shift·s / (1 + (shift − 1)·s).
// One formula for the sampler's schedule and for the noise levels training draws (double or tensor).
template <class T>
T shiftTime(const T& s, double shift) {
    return shift * s / (1.0 + (shift - 1.0) * s);
}

// Noise levels t_0 = start > t_1 > … > t_steps = 0 after the timestep shift.
std::vector<double> flowSchedule(int steps, double shift, double start = 1.0);

// velocity(x, t) → v for both modalities.
using VelocityFn = std::function<Latents(const Latents& x, double t)>;
// Called after each step with (step done, total); returning false cancels.
using StepCallback = std::function<bool(int, int)>;

// known/mask: latents to keep and per-element masks (1 = generate, 0 = keep), broadcastable to x.
// init: where a partial-noise start (startTime < 1) begins from; ignored when startTime is 1.
Latents sample(const VelocityFn& velocity, const Latents& noise, const Latents& known, const Latents& mask,
               const SamplerSettings& settings, const StepCallback& onStep, const Latents& init = {});

// The first-order sampler (kept for the tests that pin its behaviour).
inline Latents sampleEuler(const VelocityFn& velocity, const Latents& noise, const Latents& known, const Latents& mask,
                           const SamplerSettings& settings, const StepCallback& onStep) {
    SamplerSettings s = settings;
    s.heun = false;
    return sample(velocity, noise, known, mask, s, onStep);
}

} // namespace tandem::model
