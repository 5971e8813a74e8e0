// Design note: small building blocks shared by the engine's components — attention that uses the fused
// kernel where LibTorch has one (≥ 2.0) and an exact matmul + softmax fallback on 1.13, adaLN modulation,
// and the sinusoidal timestep embedding.
#pragma once

#include <torch/torch.h>

namespace tandem::model {

// q, k, v: [B, heads, N, head_dim]; keyMask: optional [B, N] bool (true = attend). Returns [B, heads, N, head_dim].
torch::Tensor attention(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v,
                        const torch::Tensor& keyMask = {});

// Layer norm without learned affine, then x * (1 + scale) + shift; scale/shift: [B, width].
torch::Tensor modulate(const torch::Tensor& x, const torch::Tensor& shift, const torch::Tensor& scale);

// Sinusoidal embedding of flow time t ∈ [0, 1] (scaled to [0, 1000]); t: [B] → [B, dim].
torch::Tensor timestepEmbedding(const torch::Tensor& t, int dim);

// Feed-forward block: Linear → GELU(tanh) → Linear.
struct MlpImpl : torch::nn::Module {
    MlpImpl(int width, int hidden);
    torch::Tensor forward(const torch::Tensor& x);
    torch::nn::Linear fc1{nullptr}, fc2{nullptr};
};
TORCH_MODULE(Mlp);

// The device named by a user: auto (CUDA when available, else the CPU), cpu or cuda. Throws naming the
// problem (no CUDA device, unknown name). Used by the engine and the trainer.
torch::Device resolveDevice(const std::string& name);

} // namespace tandem::model
