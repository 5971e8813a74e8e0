// The most GPU memory LibTorch's tensors held at once on device 0 (its caching allocator's statistics), for
// programs that report it: the benchmarks and tandem-cli's LTX-2 stages. Only a CUDA build of LibTorch has
// the statistics: a target that includes this defines TANDEM_TORCH_CUDA when TORCH_CUDA_LIBRARIES is set.
// Without it, or without a GPU, the peak is -1.
#pragma once

#include <torch/cuda.h>

#ifdef TANDEM_TORCH_CUDA
#include <c10/cuda/CUDACachingAllocator.h>
#endif

namespace tandem::model {

inline void resetPeakGpuMemory() {
#ifdef TANDEM_TORCH_CUDA
    if (torch::cuda::is_available()) c10::cuda::CUDACachingAllocator::resetPeakStats(0);
#endif
}

// Bytes, or -1.
inline double peakGpuMemoryBytes() {
#ifdef TANDEM_TORCH_CUDA
    if (torch::cuda::is_available())
        return double(c10::cuda::CUDACachingAllocator::getDeviceStats(0).allocated_bytes[0].peak);
#endif
    return -1;
}

} // namespace tandem::model
