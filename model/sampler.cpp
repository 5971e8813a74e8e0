#include "model/sampler.h"

#include <string>

namespace tandem::model {

std::vector<double> flowSchedule(int steps, double shift) {
    std::vector<double> ts;
    for (int i = 0; i <= steps; ++i) {
        const double s = 1.0 - static_cast<double>(i) / steps;
        ts.push_back(shift * s / (1.0 + (shift - 1.0) * s));
    }
    return ts;
}

namespace {

torch::Tensor reimpose(const torch::Tensor& x, const torch::Tensor& known, const torch::Tensor& mask,
                       const torch::Tensor& noise, double t) {
    return mask * x + (1 - mask) * ((1 - t) * known + t * noise);
}

void checkFinite(const Latents& x, int step) {
    if (!torch::isfinite(x.video).all().item<bool>() || !torch::isfinite(x.audio).all().item<bool>())
        throw std::runtime_error("sampler produced NaN or Inf at step " + std::to_string(step));
}

} // namespace

Latents sampleEuler(const VelocityFn& velocity, const Latents& noise, const Latents& known, const Latents& mask,
                    const SamplerSettings& settings, const StepCallback& onStep) {
    if (settings.steps < 1) throw std::invalid_argument("sampler needs at least one step");
    const auto ts = flowSchedule(settings.steps, settings.shift);
    Latents x{reimpose(noise.video, known.video, mask.video, noise.video, ts[0]),
              reimpose(noise.audio, known.audio, mask.audio, noise.audio, ts[0])};
    for (int i = 0; i < settings.steps; ++i) {
        const double dt = ts[i + 1] - ts[i];
        Latents v = velocity(x, ts[i]);
        x.video = reimpose(x.video + dt * v.video, known.video, mask.video, noise.video, ts[i + 1]);
        x.audio = reimpose(x.audio + dt * v.audio, known.audio, mask.audio, noise.audio, ts[i + 1]);
        checkFinite(x, i + 1);
        if (onStep && !onStep(i + 1, settings.steps)) throw Cancelled();
    }
    return x;
}

} // namespace tandem::model
