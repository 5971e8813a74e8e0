#include "model/ltx2/sampler.h"

#include <cmath>

namespace tandem::model::ltx2 {

torch::Tensor ltx2Sigmas(int steps, int64_t tokens, double maxShift, double baseShift, bool stretch,
                         double terminal) {
    // The shift grows linearly with the token count between two anchors (1024 → base, 4096 → max).
    constexpr double baseAnchor = 1024, maxAnchor = 4096;
    const double slope = (maxShift - baseShift) / (maxAnchor - baseAnchor);
    const double shift = static_cast<double>(tokens) * slope + (baseShift - slope * baseAnchor);
    auto sigmas = torch::linspace(1.0, 0.0, steps + 1);
    const double e = std::exp(shift);
    // e / (e + 1/σ − 1) computed as PyTorch evaluates a scalar over a tensor (reciprocal, then multiply),
    // so the first σ is upstream's 0.99999976, not 1.
    sigmas = torch::where(sigmas != 0, (e + (1 / sigmas - 1)).reciprocal() * e, torch::zeros_like(sigmas));
    if (stretch) {
        auto nonZero = sigmas != 0;
        auto oneMinus = 1.0 - sigmas.masked_select(nonZero);
        auto scale = oneMinus[-1] / (1.0 - terminal);
        sigmas.masked_scatter_(nonZero, 1.0 - oneMinus / scale);
    }
    return sigmas.to(torch::kFloat32);
}

torch::Tensor distilledSigmas() {
    return torch::tensor({1.0, 0.99375, 0.9875, 0.98125, 0.975, 0.909375, 0.725, 0.421875, 0.0},
                         torch::kFloat32);
}

torch::Tensor distilledStage2Sigmas() {
    return torch::tensor({0.909375, 0.725, 0.421875, 0.0}, torch::kFloat32);
}

GuiderParams ltx23VideoGuider() {
    GuiderParams p;
    p.cfg = 3.0;
    p.stg = 1.0;
    p.stgBlocks = {28};
    p.rescale = 0.7;
    p.modality = 3.0;
    return p;
}

GuiderParams ltx23AudioGuider() {
    GuiderParams p = ltx23VideoGuider();
    p.cfg = 7.0;
    return p;
}

torch::Tensor guide(const GuiderParams& p, const torch::Tensor& condIn, const torch::Tensor& uncond,
                    const torch::Tensor& perturbed, const torch::Tensor& isolated) {
    auto cond = condIn.to(torch::kFloat32);
    auto term = [&](double scale, const torch::Tensor& other) {
        return scale * (other.defined() ? cond - other.to(torch::kFloat32) : cond);
    };
    auto pred = cond + term(p.cfg - 1, uncond) + term(p.stg, perturbed) + term(p.modality - 1, isolated);
    if (p.rescale != 0) {
        auto factor = cond.std() / pred.std();
        pred = pred * (p.rescale * factor + (1 - p.rescale));
    }
    return pred.to(condIn.scalar_type());
}

void addNoise(LatentState& s, const torch::Tensor& noise, double scale) {
    auto noised = torch::lerp(s.latent.to(torch::kFloat32), noise.to(torch::kFloat32), scale);
    noised = torch::lerp(s.clean.to(torch::kFloat32), noised, s.mask.to(torch::kFloat32));
    s.latent = noised.to(s.latent.scalar_type());
}

GuidedDenoiser::GuidedDenoiser(torch::Tensor videoContext, torch::Tensor audioContext,
                               torch::Tensor videoNegative, torch::Tensor audioNegative, GuiderParams video,
                               GuiderParams audio)
    : videoContext_(std::move(videoContext)), audioContext_(std::move(audioContext)),
      videoNegative_(std::move(videoNegative)), audioNegative_(std::move(audioNegative)),
      videoParams_(std::move(video)), audioParams_(std::move(audio)) {}

namespace {

enum class Pass { Cond, Uncond, Perturbed, Isolated };

torch::Tensor repeatBatch(const torch::Tensor& t, int64_t n) {
    std::vector<int64_t> repeats(static_cast<size_t>(t.dim()), 1);
    repeats[0] = n;
    return t.repeat(repeats);
}

// The denoised estimate: x − v · σ_token, in fp32.
torch::Tensor toDenoised(const torch::Tensor& latent, const torch::Tensor& velocity,
                         const torch::Tensor& timesteps) {
    return (latent.to(torch::kFloat32) - velocity.to(torch::kFloat32) * timesteps.to(torch::kFloat32))
        .to(latent.scalar_type());
}

} // namespace

Denoised GuidedDenoiser::operator()(AvTransformer& model, const LatentState& video, const LatentState& audio,
                                    const torch::Tensor& sigmas, int step) {
    const bool videoSkips = videoParams_.skips(step), audioSkips = audioParams_.skips(step);
    if (videoSkips && audioSkips) return {lastVideo_, lastAudio_, {}, {}, {}, {}};

    std::vector<Pass> passes{Pass::Cond};
    if (videoParams_.wantsNegative() || audioParams_.wantsNegative()) passes.push_back(Pass::Uncond);
    if (videoParams_.wantsPerturbed() || audioParams_.wantsPerturbed()) passes.push_back(Pass::Perturbed);
    if (videoParams_.wantsIsolated() || audioParams_.wantsIsolated()) passes.push_back(Pass::Isolated);
    const auto n = static_cast<int64_t>(passes.size());
    const int64_t b = video.latent.size(0);
    const int layers = model->config.layers;

    std::vector<torch::Tensor> videoContexts, audioContexts;
    Perturbations perturbations;
    perturbations.keep = torch::ones({4, layers, n * b});
    for (int64_t i = 0; i < n; ++i) {
        const bool negative = passes[static_cast<size_t>(i)] == Pass::Uncond;
        videoContexts.push_back(negative && videoParams_.wantsNegative() ? videoNegative_ : videoContext_);
        audioContexts.push_back(negative && audioParams_.wantsNegative() ? audioNegative_ : audioContext_);
        auto samples = perturbations.keep.narrow(2, i * b, b);
        if (passes[static_cast<size_t>(i)] == Pass::Perturbed) {
            if (videoParams_.wantsPerturbed())
                for (int block : videoParams_.stgBlocks)
                    samples[Perturbations::VideoSelf][block].fill_(0.0);
            if (audioParams_.wantsPerturbed())
                for (int block : audioParams_.stgBlocks)
                    samples[Perturbations::AudioSelf][block].fill_(0.0);
        }
        if (passes[static_cast<size_t>(i)] == Pass::Isolated) {
            samples[Perturbations::AudioToVideo].fill_(0.0);
            samples[Perturbations::VideoToAudio].fill_(0.0);
        }
    }

    const auto sigma = sigmas[step].to(video.latent.device(), torch::kFloat32).expand({n * b});
    auto batched = [&](const LatentState& s, std::vector<torch::Tensor>& contexts) {
        auto mask = repeatBatch(s.mask, n);
        auto streamSigma = s.frozen ? torch::zeros_like(sigma) : sigma;
        return StreamInput{repeatBatch(s.latent, n),
                           (mask * streamSigma.view({-1, 1, 1})).squeeze(-1),
                           streamSigma,
                           repeatBatch(s.positions, n),
                           torch::cat(contexts, 0),
                           {}};
    };
    auto videoIn = batched(video, videoContexts), audioIn = batched(audio, audioContexts);
    auto velocities = model->forward(videoIn, audioIn, perturbations);
    auto videoAll = toDenoised(videoIn.latent, velocities.video, videoIn.timesteps.unsqueeze(-1)).chunk(n);
    auto audioAll = toDenoised(audioIn.latent, velocities.audio, audioIn.timesteps.unsqueeze(-1)).chunk(n);

    auto passOf = [&](const std::vector<torch::Tensor>& all, Pass pass) -> torch::Tensor {
        for (size_t i = 0; i < passes.size(); ++i)
            if (passes[i] == pass) return all[i];
        return {};
    };
    Denoised out;
    out.videoCond = passOf(videoAll, Pass::Cond);
    out.videoUncond = passOf(videoAll, Pass::Uncond);
    out.videoPerturbed = passOf(videoAll, Pass::Perturbed);
    out.videoIsolated = passOf(videoAll, Pass::Isolated);
    out.video = videoSkips ? lastVideo_
                           : guide(videoParams_, out.videoCond, out.videoUncond, out.videoPerturbed,
                                   out.videoIsolated);
    out.audio = audioSkips ? lastAudio_
                           : guide(audioParams_, passOf(audioAll, Pass::Cond), passOf(audioAll, Pass::Uncond),
                                   passOf(audioAll, Pass::Perturbed), passOf(audioAll, Pass::Isolated));
    lastVideo_ = out.video;
    lastAudio_ = out.audio;
    return out;
}

torch::Tensor eulerStep(const torch::Tensor& sample, const torch::Tensor& denoised,
                        const torch::Tensor& sigmas, int step) {
    const auto sigma = sigmas[step].to(torch::kFloat32), next = sigmas[step + 1].to(torch::kFloat32);
    const double s = sigma.item<double>();
    if (s == 0) throw std::invalid_argument("an Euler step from σ = 0");
    auto velocity = (sample.to(torch::kFloat32) - denoised.to(torch::kFloat32)) / s;
    return (sample.to(torch::kFloat32) + velocity * (next - sigma)).to(sample.scalar_type());
}

void denoise(AvTransformer& model, LatentState& video, LatentState& audio, const torch::Tensor& sigmas,
             GuidedDenoiser& denoiser, const std::function<void(int, int)>& onStep) {
    const int steps = static_cast<int>(sigmas.size(0)) - 1;
    auto settle = [&](LatentState& s, const torch::Tensor& denoised, int step) {
        // Known tokens are their own estimate: put the clean latents back before stepping.
        auto mask = s.mask.to(torch::kFloat32);
        auto kept = (denoised * mask + s.clean.to(torch::kFloat32) * (1 - mask)).to(denoised.scalar_type());
        s.latent = eulerStep(s.latent, kept, sigmas, step);
    };
    for (int step = 0; step < steps; ++step) {
        auto d = denoiser(model, video, audio, sigmas, step);
        settle(video, d.video, step);
        settle(audio, d.audio, step);
        if (onStep) onStep(step + 1, steps);
    }
}

} // namespace tandem::model::ltx2
