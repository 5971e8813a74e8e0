#include "model/layers.h"

#include <cmath>
#include <stdexcept>

namespace tandem::model {

torch::Tensor attention(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v,
                        const torch::Tensor& keyMask) {
#if defined(TORCH_VERSION_MAJOR) && TORCH_VERSION_MAJOR >= 2
    c10::optional<torch::Tensor> mask;
    if (keyMask.defined()) mask = keyMask.unsqueeze(1).unsqueeze(1);
    return at::scaled_dot_product_attention(q, k, v, mask);
#else
    // Exact attention in few passes over the N×N scores: the scale goes on q (N×d, not N×N), and the mask
    // and softmax work in place on the one score buffer — when no gradient is wanted (in-place softmax has
    // no derivative; training takes the out-of-place path).
    const double scale = 1.0 / std::sqrt(static_cast<double>(q.size(-1)));
    auto scores = torch::matmul(q * scale, k.transpose(-2, -1));
    if (keyMask.defined()) scores.masked_fill_(keyMask.logical_not().unsqueeze(1).unsqueeze(1), -INFINITY);
    if (torch::GradMode::is_enabled()) return torch::matmul(torch::softmax(scores, -1), v);
    torch::softmax_out(scores, scores, -1);
    return torch::matmul(scores, v);
#endif
}

torch::Tensor modulate(const torch::Tensor& x, const torch::Tensor& shift, const torch::Tensor& scale) {
    auto normed = torch::layer_norm(x, {x.size(-1)}, {}, {}, 1e-6);
    return normed * (1 + scale.unsqueeze(1)) + shift.unsqueeze(1);
}

torch::Tensor timestepEmbedding(const torch::Tensor& t, int dim) {
    const int half = dim / 2;
    auto freqs = torch::exp(-std::log(10000.0) *
                            torch::arange(half, torch::TensorOptions().dtype(torch::kFloat32).device(t.device())) /
                            half);
    auto args = (t.to(torch::kFloat32) * 1000.0).unsqueeze(1) * freqs.unsqueeze(0);
    return torch::cat({torch::cos(args), torch::sin(args)}, 1);
}

MlpImpl::MlpImpl(int width, int hidden) {
    fc1 = register_module("fc1", torch::nn::Linear(width, hidden));
    fc2 = register_module("fc2", torch::nn::Linear(hidden, width));
}

torch::Tensor MlpImpl::forward(const torch::Tensor& x) {
    return fc2(torch::gelu(fc1(x), "tanh"));
}

torch::Device resolveDevice(const std::string& name) {
    if (name == "cpu") return torch::kCPU;
    if (name == "cuda") {
        if (!torch::cuda::is_available())
            throw std::runtime_error("--device cuda: no CUDA device is available to this build of LibTorch");
        return torch::kCUDA;
    }
    if (name == "auto") return torch::cuda::is_available() ? torch::Device(torch::kCUDA) : torch::Device(torch::kCPU);
    throw std::invalid_argument("unknown device '" + name + "' (use auto, cpu or cuda)");
}

} // namespace tandem::model
