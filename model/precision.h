// Mixed precision: inside a BFloat16Autocast the matrix products (linear, matmul, convolution)
// run in bf16 — on a CPU with bf16 units (AVX-512 BF16, AMX) and on CUDA several times the fp32 rate — while
// the weights, their gradients, the optimiser and the loss stay fp32. bf16 keeps fp32's range, so unlike
// fp16 no loss scaling is needed. The engine on the CPU uses the same scope for the video decoder when the
// model's config asks for it (sampler.cpu_precision = "bf16").
#pragma once

#include <ATen/autocast_mode.h>
#include <torch/torch.h>
#include <torch/version.h>

namespace tandem::model {

namespace detail {
// LibTorch 2.4 names autocast's state by device type and deprecates the CUDA-only calls 1.13 has.
#if TORCH_VERSION_MAJOR > 2 || (TORCH_VERSION_MAJOR == 2 && TORCH_VERSION_MINOR >= 4)
inline bool autocastOn(bool cuda) { return at::autocast::is_autocast_enabled(cuda ? at::kCUDA : at::kCPU); }
inline void setAutocast(bool cuda, bool on) { at::autocast::set_autocast_enabled(cuda ? at::kCUDA : at::kCPU, on); }
inline at::ScalarType autocastType(bool cuda) { return at::autocast::get_autocast_dtype(cuda ? at::kCUDA : at::kCPU); }
inline void setAutocastType(bool cuda, at::ScalarType t) { at::autocast::set_autocast_dtype(cuda ? at::kCUDA : at::kCPU, t); }
#else
inline bool autocastOn(bool cuda) { return cuda ? at::autocast::is_enabled() : at::autocast::is_cpu_enabled(); }
inline void setAutocast(bool cuda, bool on) { cuda ? at::autocast::set_enabled(on) : at::autocast::set_cpu_enabled(on); }
inline at::ScalarType autocastType(bool cuda) {
    return cuda ? at::autocast::get_autocast_gpu_dtype() : at::autocast::get_autocast_cpu_dtype();
}
inline void setAutocastType(bool cuda, at::ScalarType t) {
    cuda ? at::autocast::set_autocast_gpu_dtype(t) : at::autocast::set_autocast_cpu_dtype(t);
}
#endif
} // namespace detail

// Whether this CPU computes bf16 products in hardware (AVX-512 BF16 or AMX). Without them LibTorch emulates
// bf16 through fp32 and the conversions make it slower than fp32, not faster.
inline bool cpuHasBf16Units() {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx512bf16") || __builtin_cpu_supports("amx-bf16");
#else
    return false;
#endif
}

class BFloat16Autocast {
public:
    BFloat16Autocast(const torch::Device& device, bool enabled) : cuda_(device.is_cuda()), enabled_(enabled) {
        if (!enabled_) return;
        wasOn_ = detail::autocastOn(cuda_);
        previousType_ = detail::autocastType(cuda_);
        detail::setAutocastType(cuda_, at::kBFloat16);
        detail::setAutocast(cuda_, true);
        at::autocast::increment_nesting();
    }
    ~BFloat16Autocast() {
        if (!enabled_) return;
        // The cast weights are cached for the scope's length; the outermost scope frees them.
        if (at::autocast::decrement_nesting() == 0) at::autocast::clear_cache();
        detail::setAutocast(cuda_, wasOn_);
        detail::setAutocastType(cuda_, previousType_);
    }
    BFloat16Autocast(const BFloat16Autocast&) = delete;
    BFloat16Autocast& operator=(const BFloat16Autocast&) = delete;

private:
    bool cuda_, enabled_, wasOn_ = false;
    at::ScalarType previousType_ = at::kBFloat16;
};

} // namespace tandem::model
