// Design note: the dual-stream MMDiT. Three token streams — video (patchified latent), audio (latent
// steps) and text — each with its own weights for timestep adaLN modulation, QKV, output projection and
// MLP, meeting in one joint attention over all tokens. Video and audio tokens carry RoPE positions whose
// time axis is in seconds (TimeBase), so the streams attend to each other by instant, not by index.
// Editing is inpainting: each stream's input is the channel concatenation [noisy, known·(1−mask), mask].
#pragma once

#include "model/config.h"
#include "model/layers.h"
#include "model/rope.h"

namespace tandem::model {

struct StreamWeightsImpl : torch::nn::Module {
    StreamWeightsImpl(int width, int mlpRatio, int headDim, bool qkNorm);
    torch::nn::Linear modulation{nullptr}, qkv{nullptr}, proj{nullptr};
    Mlp mlp{nullptr};
    torch::Tensor qScale, kScale; // [headDim] RMSNorm gains of queries and keys (defined with qk_norm)
};
TORCH_MODULE(StreamWeights);

struct JointBlockImpl : torch::nn::Module {
    JointBlockImpl(int width, int heads, int mlpRatio, bool qkNorm);
    // streams: video, audio, text token tensors [B, N_i, width]; cond: [B, width]; rope: RoPE tables for
    // the concatenated tokens; keyMask: [B, N_total] bool.
    std::vector<torch::Tensor> forward(const std::vector<torch::Tensor>& streams, const torch::Tensor& cond,
                                       const RopeTables& rope, const torch::Tensor& keyMask);
    int heads;
    StreamWeights video{nullptr}, audio{nullptr}, text{nullptr};
};
TORCH_MODULE(JointBlock);

struct FinalLayerImpl : torch::nn::Module {
    FinalLayerImpl(int width, int outFeatures);
    torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& cond);
    torch::nn::Linear modulation{nullptr}, out{nullptr};
};
TORCH_MODULE(FinalLayer);

struct DitInputs {
    torch::Tensor video;     // [B, 2·Cv + 1, T, h, w]
    torch::Tensor audio;     // [B, 2·Ca + 1, L]
    torch::Tensor text;      // [B, Nt, text width]
    torch::Tensor textValid; // [B, Nt] bool
    torch::Tensor t;         // [B] flow time in [0, 1]
    torch::Tensor angles;    // RoPE angles of every token in forward order (tokenAngles / referenceAngles)
    // Reference tokens (clean latents from the bins: a character's face, a voice), in input-feature space:
    // [B, Nvr, (2·Cv + 1)·p·p] and [B, Nar, 2·Ca + 1]. They are attended to and never generated.
    torch::Tensor videoRefs, audioRefs;
    // Optional [B, Nvr] / [B, Nar] bool: which reference tokens each clip of the batch really has (a
    // training batch mixes clips with and without references). Undefined = all.
    torch::Tensor videoRefsValid, audioRefsValid;
};

// One reference's latent tokens and their RoPE positions (outside the shot's time span).
struct ReferenceTokens {
    torch::Tensor tokens;    // [Nr, features]
    torch::Tensor positions; // [Nr, 3]
};

struct DualStreamDiTImpl : torch::nn::Module {
    DualStreamDiTImpl(const ModelConfig& cfg);
    // Returns the velocities {video [B, Cv, T, h, w], audio [B, Ca, L]}.
    std::pair<torch::Tensor, torch::Tensor> forward(const DitInputs& in);

    // RoPE angles for a shot of T video latent steps on an h × w latent grid, L audio latent steps and Nt
    // text tokens, in the token order the forward pass uses (video, audio, text).
    torch::Tensor tokenAngles(int64_t T, int64_t h, int64_t w, int64_t L, int64_t Nt) const;
    // The same with reference tokens: order video, video refs, audio, audio refs, text.
    torch::Tensor referenceAngles(int64_t T, int64_t h, int64_t w, int64_t L, int64_t Nt, const torch::Tensor& videoRefPositions,
                                  const torch::Tensor& audioRefPositions) const;
    // Positions of a video latent [C, T, h, w] placed at `startSeconds` on the time axis, and of an audio latent [C, L].
    torch::Tensor videoPositions(int64_t T, int64_t h, int64_t w, double startSeconds) const;
    torch::Tensor audioPositions(int64_t L, double startSeconds) const;
    // Input features of a clean latent used as a reference: [latent, latent, mask 0], patchified for video.
    torch::Tensor videoReferenceFeatures(const torch::Tensor& latent) const; // [1, C, T, h, w] → [N, features]
    torch::Tensor audioReferenceFeatures(const torch::Tensor& latent) const; // [1, C, L] → [L, features]

    ModelConfig cfg;
    // When set, blocks live on the CPU and visit this device one at a time (see EngineOptions::offload).
    c10::optional<torch::Device> offloadTo;
    torch::nn::Linear videoIn{nullptr}, audioIn{nullptr}, textIn{nullptr}, textPool{nullptr};
    torch::nn::Sequential timeEmbed{nullptr};
    torch::nn::ModuleList blocks;
    FinalLayer videoOut{nullptr}, audioOut{nullptr};
};
TORCH_MODULE(DualStreamDiT);

} // namespace tandem::model
