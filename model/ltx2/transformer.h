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

// x / √(mean(x²) + eps) over the last dimension (no gain): the norm every LTX-2 block and connector uses.
torch::Tensor rmsNorm(const torch::Tensor& x, double eps);

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

// A linear layer whose tensors are made with given options: on the `meta` device a full-size network
// costs no memory (its tensor table is checked that way), and in bf16 on the GPU no fp32 copy is made
// first. Its values are never initialised — every one comes from a checkpoint.
struct LinearImpl : torch::nn::Module {
    LinearImpl(int64_t in, int64_t out, bool bias, const torch::TensorOptions& options);
    torch::Tensor forward(const torch::Tensor& x) { return torch::linear(x, weight, bias); }
    torch::Tensor weight, bias;
};
TORCH_MODULE(Linear);

// PixArt-α's timestep embedding ("timestep_embedder.linear_1/2"): the 256-channel sinusoid of t (cos
// first), then linear, SiLU, linear. The transformer's AdaLN and the video VAE decoder both use it.
struct TimestepEmbeddingImpl : torch::nn::Module {
    TimestepEmbeddingImpl(int width, const torch::TensorOptions& options);
    torch::Tensor forward(const torch::Tensor& t, torch::Dtype dtype); // [N] → [N, width]
    Linear linear_1{nullptr}, linear_2{nullptr};
};
TORCH_MODULE(TimestepEmbedding);

// PixArt-α adaLN-single: the timestep embedding, and a linear to n × width values.
struct AdaLayerNormImpl : torch::nn::Module {
    AdaLayerNormImpl(int width, int coefficients, const torch::TensorOptions& options);
    // t: [N] (already scaled to 0..1000) → {values [N, n · width], embedding [N, width]}.
    std::pair<torch::Tensor, torch::Tensor> forward(const torch::Tensor& t, torch::Dtype dtype);
    TimestepEmbedding emb{nullptr};
    Linear linear{nullptr};
};
TORCH_MODULE(AdaLayerNorm);

struct AttentionImpl : torch::nn::Module {
    AttentionImpl(int queryWidth, int contextWidth, int heads, int headDim, double eps, bool gated,
                  const torch::TensorOptions& options);
    // keep: optional [B, 1, 1] blend of attention (1) and the plain value projection (0).
    torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& context, const torch::Tensor& additiveMask,
                          const RopeTable* rope, const RopeTable* keyRope, const torch::Tensor& keep,
                          bool skipAll);
    int heads, headDim;
    double eps;
    Linear to_q{nullptr}, to_k{nullptr}, to_v{nullptr}, to_gate_logits{nullptr};
    torch::Tensor q_norm, k_norm; // RMSNorm gains [heads · headDim]
    torch::nn::ModuleList to_out;
};
TORCH_MODULE(Attention);

struct FeedForwardImpl : torch::nn::Module {
    FeedForwardImpl(int width, bool bias, const torch::TensorOptions& options);
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
    AvBlockImpl(const TransformerConfig& c, const torch::TensorOptions& options);
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

class BlockStreamer;

struct AvTransformerImpl : torch::nn::Module {
    // Tensors are made with `options` (default: fp32 on the CPU) and left for a checkpoint to fill.
    explicit AvTransformerImpl(const TransformerConfig& c, const torch::TensorOptions& options = {});
    Velocities forward(const StreamInput& video, const StreamInput& audio,
                       const Perturbations& perturbations = Perturbations::none());
    // The streams as the blocks receive them (for tests and the block-streaming path).
    StreamState prepare(const StreamInput& stream, const StreamInput& other, bool isVideo);

    TransformerConfig config;
    Linear patchify_proj{nullptr}, audio_patchify_proj{nullptr}, proj_out{nullptr}, audio_proj_out{nullptr};
    AdaLayerNorm adaln_single{nullptr}, audio_adaln_single{nullptr};
    AdaLayerNorm prompt_adaln_single{nullptr}, audio_prompt_adaln_single{nullptr};
    AdaLayerNorm av_ca_video_scale_shift_adaln_single{nullptr}, av_ca_audio_scale_shift_adaln_single{nullptr};
    AdaLayerNorm av_ca_a2v_gate_adaln_single{nullptr}, av_ca_v2a_gate_adaln_single{nullptr};
    torch::Tensor scale_shift_table, audio_scale_shift_table;
    torch::nn::ModuleList transformer_blocks;
    std::vector<AvBlock> blocks;
    // When set, the blocks run through it, their weights streamed from host memory (block_streaming.h).
    std::shared_ptr<BlockStreamer> streamer;
};
TORCH_MODULE(AvTransformer);

// Builds the transformer a checkpoint describes and loads its weights (names under `prefix`, strictly:
// every parameter present with its shape, nothing of the transformer left over) into tensors made with
// `options` (dtype and device). The single file and ComfyUI's split diffusion-model file name the
// transformer's tensors alike, under "model.diffusion_model.". Throws CheckpointError.
AvTransformer loadTransformer(const SafetensorsFile& file, const std::string& prefix, const std::string& configJson,
                              const torch::TensorOptions& options = {});
AvTransformer loadTransformer(const SafetensorsFile& file, const std::string& prefix = "model.diffusion_model.",
                              const torch::TensorOptions& options = {});

} // namespace tandem::model::ltx2
