// Design note: the LTX-2 audio-video transformer (LTX-2.3: 48 blocks, video 32 × 128, audio 32 × 64).
// Two token streams run side by side through every block: each attends to itself (RoPE on its own
// positions), to its text context (modulated by the noise level when cross_attention_adaln is set),
// then to the other stream (queries and keys rotated by time alone, so a video token meets the audio of
// its own instant), then a tanh-GELU feed-forward. Every sub-layer is RMS-normed and modulated by
// per-token AdaLN values (shift, scale, gate) from the token's own timestep, so a token whose timestep
// is 0 is "known" — this is how every editing task is inpainting: known latents + a mask per modality.
// The module and parameter names are the upstream ones, so a checkpoint loads by name; config.h says
// which variant a file holds. Outputs are velocities (the flow from noise to data), per token.
#pragma once

#include "model/ltx2/config.h"
#include "model/ltx2/rope.h"

#include <torch/torch.h>

#include <optional>

namespace tandem::model::ltx2 {

// One stream's input: latent tokens, per-token timesteps (σ where generated, 0 where known), the
// stream's σ, token spans (positions.h) and its text context.
struct StreamInput {
    torch::Tensor latent;      // [B, T, in_channels]
    torch::Tensor timesteps;   // [B, T]
    torch::Tensor sigma;       // [B]
    torch::Tensor positions;   // [B, axes, T, 2]
    torch::Tensor context;     // [B, S, context width]
    torch::Tensor contextMask; // optional [B, S], 1 = a prompt token, 0 = padding
};

// Attention skipped per sample and block (spatio-temporal guidance): keep = 1, skipped = 0.
struct Perturbations {
    enum Kind { VideoSelf = 0, AudioSelf = 1, AudioToVideo = 2, VideoToAudio = 3 };
    torch::Tensor keep; // [4, blocks, B] float; undefined = nothing skipped
    static Perturbations none() { return {}; }
    // `samples` of a batch of `batch` skip `kind` in `blocks`.
    void skip(Kind kind, const std::vector<int>& blocks, const std::vector<int>& samples, int layers, int batch);
};

// PixArt-α adaLN-single: sinusoidal timestep (256) → MLP → embedding, and a linear to n × width values.
struct AdaLayerNormImpl : torch::nn::Module {
    AdaLayerNormImpl(int width, int coefficients);
    // t: [N] (already scaled to 0..1000) → {values [N, n · width], embedding [N, width]}.
    std::pair<torch::Tensor, torch::Tensor> forward(const torch::Tensor& t, torch::Dtype dtype);
    torch::nn::Linear timestepLinear1{nullptr}, timestepLinear2{nullptr}, linear{nullptr};
};
TORCH_MODULE(AdaLayerNorm);

struct AttentionImpl : torch::nn::Module {
    AttentionImpl(int queryWidth, int contextWidth, int heads, int headDim, double eps, bool gated);
    // keep: optional [B, 1, 1] blend of attention (1) and the plain value projection (0).
    torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& context, const torch::Tensor& additiveMask,
                          const RopeTable* rope, const RopeTable* keyRope, const torch::Tensor& keep,
                          bool skipAll);
    int heads, headDim;
    double eps;
    torch::nn::Linear to_q{nullptr}, to_k{nullptr}, to_v{nullptr}, to_gate_logits{nullptr};
    torch::Tensor q_norm, k_norm; // RMSNorm gains [heads · headDim]
    torch::nn::ModuleList to_out;
};
TORCH_MODULE(Attention);

struct FeedForwardImpl : torch::nn::Module {
    FeedForwardImpl(int width, bool bias);
    torch::Tensor forward(const torch::Tensor& x);
    torch::nn::ModuleList net;
};
TORCH_MODULE(FeedForward);

// What every block of one stream reads, prepared once per forward pass.
struct StreamState {
    torch::Tensor x;                      // [B, T, width]
    torch::Tensor context, contextMask;   // context [B, S, width]; additive mask [B, 1, 1, S] or undefined
    torch::Tensor timestep, embedded;     // [B, T', n · width], [B, T', width]
    torch::Tensor promptTimestep;         // [B, 1, 2 · width] (prompt AdaLN) or undefined
    torch::Tensor crossScaleShift, crossGate; // [B, T', 4 · width], [B, 1, width]
    RopeTable rope, crossRope;
};

struct AvBlockImpl : torch::nn::Module {
    AvBlockImpl(const TransformerConfig& c);
    void forward(StreamState& video, StreamState& audio, const Perturbations& p, int index);
    TransformerConfig config;
    Attention attn1{nullptr}, attn2{nullptr}, audio_attn1{nullptr}, audio_attn2{nullptr};
    Attention audio_to_video_attn{nullptr}, video_to_audio_attn{nullptr};
    FeedForward ff{nullptr}, audio_ff{nullptr};
    torch::Tensor scale_shift_table, audio_scale_shift_table;
    torch::Tensor scale_shift_table_a2v_ca_video, scale_shift_table_a2v_ca_audio;
    torch::Tensor prompt_scale_shift_table, audio_prompt_scale_shift_table;
};
TORCH_MODULE(AvBlock);

struct Velocities {
    torch::Tensor video, audio; // [B, T, out_channels], [B, T, audio_out_channels]
};

struct AvTransformerImpl : torch::nn::Module {
    explicit AvTransformerImpl(const TransformerConfig& c);
    Velocities forward(const StreamInput& video, const StreamInput& audio,
                       const Perturbations& perturbations = Perturbations::none());
    // The streams as the blocks receive them (for tests and the block-streaming path).
    StreamState prepare(const StreamInput& stream, const StreamInput& other, bool isVideo);

    TransformerConfig config;
    torch::nn::Linear patchify_proj{nullptr}, audio_patchify_proj{nullptr}, proj_out{nullptr},
        audio_proj_out{nullptr};
    AdaLayerNorm adaln_single{nullptr}, audio_adaln_single{nullptr};
    AdaLayerNorm prompt_adaln_single{nullptr}, audio_prompt_adaln_single{nullptr};
    AdaLayerNorm av_ca_video_scale_shift_adaln_single{nullptr}, av_ca_audio_scale_shift_adaln_single{nullptr};
    AdaLayerNorm av_ca_a2v_gate_adaln_single{nullptr}, av_ca_v2a_gate_adaln_single{nullptr};
    torch::Tensor scale_shift_table, audio_scale_shift_table;
    torch::nn::ModuleList transformer_blocks;
    std::vector<AvBlock> blocks;
};
TORCH_MODULE(AvTransformer);

// Builds the transformer a checkpoint describes and loads its weights (names under `prefix`, strictly:
// every parameter present with its shape, nothing of the transformer left over). Throws CheckpointError.
AvTransformer loadTransformer(const SafetensorsFile& file, const std::string& prefix = "model.diffusion_model.");

} // namespace tandem::model::ltx2
