// Design note: how LTX-2.3 turns noise into a shot, behind Tandem's "known latents + a mask per modality".
// A stream's state is its latent tokens, a per-token mask (1 = generate, 0 = known), the known (clean)
// latents and the token spans. Every step: the transformer's velocity becomes a denoised estimate
// (x − v·σ_token, where σ_token = σ · mask, so known tokens are their own estimate), guidance combines up
// to four passes run as one batch — with the prompt, with the negative prompt (CFG), with self-attention
// skipped in chosen blocks (STG), with the audio↔video attention cut (the isolated-modality pass) — then
// rescales towards the conditioned estimate's spread; known tokens are put back; an Euler step moves σ.
// Schedules: LTX2Scheduler's shifted-and-stretched σ for the full model, and the distilled model's fixed
// 8 + 3 values. Defaults (scales, STG block 28, 30 steps) are LTX-2.3's own.
#pragma once

#include "model/ltx2/transformer.h"

#include <vector>

namespace tandem::model::ltx2 {

// σ from 1 to 0 in `steps` steps, shifted by the token count (the pipelines use the 4096 anchor) and
// stretched so the last non-zero σ is `terminal`.
torch::Tensor ltx2Sigmas(int steps, int64_t tokens = 4096, double maxShift = 2.05, double baseShift = 0.95,
                         bool stretch = true, double terminal = 0.1);
torch::Tensor distilledSigmas();       // 8 steps
torch::Tensor distilledStage2Sigmas(); // 3 steps (the upscaled second stage)

struct GuiderParams {
    double cfg = 1.0;      // prompt vs negative prompt
    double stg = 0.0;      // vs self-attention skipped in stgBlocks
    std::vector<int> stgBlocks;
    double rescale = 0.0;  // pull the guided spread back towards the conditioned one
    double modality = 1.0; // vs the audio↔video attention cut
    int skipStep = 0;      // re-use the last estimate on all but every (skipStep + 1)-th step

    bool wantsNegative() const { return cfg != 1.0; }
    bool wantsPerturbed() const { return stg != 0.0; }
    bool wantsIsolated() const { return modality != 1.0; }
    bool skips(int step) const { return skipStep != 0 && step % (skipStep + 1) != 0; }
};
GuiderParams ltx23VideoGuider(); // cfg 3, STG 1 in block 28, rescale 0.7, modality 3
GuiderParams ltx23AudioGuider(); // cfg 7, otherwise the same

// The guided estimate from the passes' estimates (undefined = that pass did not run). Computed in fp32.
torch::Tensor guide(const GuiderParams& p, const torch::Tensor& cond, const torch::Tensor& uncond,
                    const torch::Tensor& perturbed, const torch::Tensor& isolated);

struct LatentState {
    torch::Tensor latent;    // [B, T, C]
    torch::Tensor mask;      // [B, T, 1]: 1 = generate, 0 = known
    torch::Tensor clean;     // [B, T, C] the known latents (anything where mask is 1)
    torch::Tensor positions; // [B, axes, T, 2]
    bool frozen = false;     // known throughout: the stream's σ is 0 too (its AdaLN and cross-modal gates)
};

// latent = clean where known, lerp(latent, noise, scale) elsewhere (scale 1: pure noise).
void addNoise(LatentState& s, const torch::Tensor& noise, double scale = 1.0);

struct Denoised {
    torch::Tensor video, audio;
    torch::Tensor videoCond, videoUncond, videoPerturbed, videoIsolated; // the passes (for inspection)
};

// Runs the passes one step needs as one batch and guides each stream.
class GuidedDenoiser {
public:
    GuidedDenoiser(torch::Tensor videoContext, torch::Tensor audioContext, torch::Tensor videoNegative,
                   torch::Tensor audioNegative, GuiderParams video, GuiderParams audio);
    Denoised operator()(AvTransformer& model, const LatentState& video, const LatentState& audio,
                        const torch::Tensor& sigmas, int step);

private:
    torch::Tensor videoContext_, audioContext_, videoNegative_, audioNegative_;
    GuiderParams videoParams_, audioParams_;
    torch::Tensor lastVideo_, lastAudio_;
};

// x + (x − denoised)/σ · (σ_next − σ), in fp32.
torch::Tensor eulerStep(const torch::Tensor& sample, const torch::Tensor& denoised, const torch::Tensor& sigmas,
                        int step);

// The whole loop over `sigmas`; the states end denoised (known tokens unchanged). `onStep` (optional) is
// told each finished step, for progress and cancellation (it may throw).
void denoise(AvTransformer& model, LatentState& video, LatentState& audio, const torch::Tensor& sigmas,
             GuidedDenoiser& denoiser, const std::function<void(int step, int steps)>& onStep = {});

} // namespace tandem::model::ltx2
