// Design note: a small transformer over prompt tokens. Token, segment (scene vs. dialogue) and learned
// position embeddings are summed, then pre-norm self-attention blocks with a padding mask. The output
// feeds the MMDiT's text stream; a masked mean of it conditions the timestep modulation.
#pragma once

#include "model/config.h"
#include "model/layers.h"

namespace tandem::model {

struct TextBlockImpl : torch::nn::Module {
    TextBlockImpl(int width, int heads);
    torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& valid);
    int heads;
    torch::nn::LayerNorm norm1{nullptr}, norm2{nullptr};
    torch::nn::Linear qkv{nullptr}, proj{nullptr};
    Mlp mlp{nullptr};
};
TORCH_MODULE(TextBlock);

struct TextEncoderImpl : torch::nn::Module {
    explicit TextEncoderImpl(const TextConfig& cfg);
    // ids, segments: [B, N] int64; valid: [B, N] bool → [B, N, width]
    torch::Tensor forward(const torch::Tensor& ids, const torch::Tensor& segments, const torch::Tensor& valid);
    torch::nn::Embedding token{nullptr}, segment{nullptr}, position{nullptr};
    torch::nn::ModuleList blocks;
    torch::nn::LayerNorm norm{nullptr};
};
TORCH_MODULE(TextEncoder);

} // namespace tandem::model
