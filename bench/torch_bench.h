// What the engine benchmarks share: best-of-N timing that waits for the GPU, and the most GPU memory the
// program's tensors held at once (LibTorch's caching allocator, device 0). Without a CUDA build of LibTorch
// or without a GPU there is no memory figure: -1.
#pragma once

#include "model/gpu_memory.h"

#include <torch/cuda.h>

#include <algorithm>
#include <chrono>

// Best of `reps` timed runs of f, in seconds; on a GPU each run waits for the device to finish. Callers warm
// up first: the first run pays for allocation and, on a GPU, kernel selection.
template <typename F> double bestSeconds(int reps, bool cuda, F&& f) {
    double best = 1e30;
    for (int i = 0; i < reps; ++i) {
        const auto t0 = std::chrono::steady_clock::now();
        f();
        if (cuda) torch::cuda::synchronize();
        best = std::min(best, std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
    }
    return best;
}

using tandem::model::resetPeakGpuMemory;

inline double peakGpuMemoryMiB() {
    const double bytes = tandem::model::peakGpuMemoryBytes();
    return bytes < 0 ? -1 : bytes / (1 << 20);
}
