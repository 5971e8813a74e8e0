// The most GPU memory the program's tensors held at once (LibTorch's caching allocator, device 0), for the
// benchmarks' memory figures. Without a CUDA build of LibTorch or without a GPU there is none: -1.
#pragma once

#include <torch/cuda.h>

#ifdef TANDEM_TORCH_CUDA
#include <c10/cuda/CUDACachingAllocator.h>
#endif

inline void resetPeakGpuMemory() {
#ifdef TANDEM_TORCH_CUDA
    if (torch::cuda::is_available()) c10::cuda::CUDACachingAllocator::resetPeakStats(0);
#endif
}

inline double peakGpuMemoryMiB() {
#ifdef TANDEM_TORCH_CUDA
    if (torch::cuda::is_available())
        return double(c10::cuda::CUDACachingAllocator::getDeviceStats(0).allocated_bytes[0].peak) / (1 << 20);
#endif
    return -1;
}
