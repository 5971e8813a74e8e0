#include "model/sampler.h"

#include <string>

namespace tandem::model {

std::vector<double> flowSchedule(int steps, double shift, double start) {
    std::vector<double> ts;
    for (int i = 0; i <= steps; ++i) {
        const double s = 1.0 - static_cast<double>(i) / steps;
        ts.push_back(start * shiftTime(s, shift));
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

Latents sample(const VelocityFn& velocity, const Latents& noise, const Latents& known, const Latents& mask,
               const SamplerSettings& settings, const StepCallback& onStep, const Latents& init) {
    if (settings.steps < 1) throw std::invalid_argument("sampler needs at least one step");
    if (!(settings.startTime > 0 && settings.startTime <= 1)) throw std::invalid_argument("start time must be in (0, 1]");
    const auto ts = flowSchedule(settings.steps, settings.shift, settings.startTime);
    auto start = [&](const torch::Tensor& n, const torch::Tensor& from) {
        return settings.startTime < 1 && from.defined() ? (1 - ts[0]) * from + ts[0] * n : n;
    };
    Latents x{reimpose(start(noise.video, init.video), known.video, mask.video, noise.video, ts[0]),
              reimpose(start(noise.audio, init.audio), known.audio, mask.audio, noise.audio, ts[0])};
    for (int i = 0; i < settings.steps; ++i) {
        const double dt = ts[i + 1] - ts[i];
        Latents v = velocity(x, ts[i]);
        if (settings.heun && ts[i + 1] > 0) {
            // Heun: average the slope here with the slope at the Euler prediction.
            Latents predicted{x.video + dt * v.video, x.audio + dt * v.audio};
            Latents v2 = velocity(predicted, ts[i + 1]);
            v = Latents{(v.video + v2.video) * 0.5, (v.audio + v2.audio) * 0.5};
        }
        x.video = reimpose(x.video + dt * v.video, known.video, mask.video, noise.video, ts[i + 1]);
        x.audio = reimpose(x.audio + dt * v.audio, known.audio, mask.audio, noise.audio, ts[i + 1]);
        checkFinite(x, i + 1);
        if (onStep && !onStep(i + 1, settings.steps)) throw Cancelled();
    }
    return x;
}

} // namespace tandem::model
