// Mixed precision for training: inside a BFloat16Autocast the matrix products (linear, matmul, convolution)
// run in bf16 — on a CPU with bf16 units (AVX-512 BF16, AMX) and on CUDA several times the fp32 rate — while
// the weights, their gradients, the optimiser and the loss stay fp32. bf16 keeps fp32's range, so unlike
// fp16 no loss scaling is needed. The engine's sampling is not affected: it sets no autocast.
#pragma once

#include <ATen/autocast_mode.h>
#include <torch/torch.h>

namespace tandem::model {

class BFloat16Autocast {
public:
    BFloat16Autocast(const torch::Device& device, bool enabled) : cuda_(device.is_cuda()), enabled_(enabled) {
        if (!enabled_) return;
        wasOn_ = cuda_ ? at::autocast::is_enabled() : at::autocast::is_cpu_enabled();
        previousType_ = cuda_ ? at::autocast::get_autocast_gpu_dtype() : at::autocast::get_autocast_cpu_dtype();
        if (cuda_) {
            at::autocast::set_autocast_gpu_dtype(at::kBFloat16);
            at::autocast::set_enabled(true);
        } else {
            at::autocast::set_autocast_cpu_dtype(at::kBFloat16);
            at::autocast::set_cpu_enabled(true);
        }
        at::autocast::increment_nesting();
    }
    ~BFloat16Autocast() {
        if (!enabled_) return;
        // The cast weights are cached for the scope's length; the outermost scope frees them.
        if (at::autocast::decrement_nesting() == 0) at::autocast::clear_cache();
        if (cuda_) {
            at::autocast::set_enabled(wasOn_);
            at::autocast::set_autocast_gpu_dtype(previousType_);
        } else {
            at::autocast::set_cpu_enabled(wasOn_);
            at::autocast::set_autocast_cpu_dtype(previousType_);
        }
    }
    BFloat16Autocast(const BFloat16Autocast&) = delete;
    BFloat16Autocast& operator=(const BFloat16Autocast&) = delete;

private:
    bool cuda_, enabled_, wasOn_ = false;
    at::ScalarType previousType_ = at::kBFloat16;
};

} // namespace tandem::model
