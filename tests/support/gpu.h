// GPU tests run where LibTorch sees a CUDA device and otherwise skip with a message (Catch2 v2 has no skip:
// the case warns and returns). They carry the tag [gpu], so `model_tests "[gpu]"` runs just them.
#pragma once

#include <torch/cuda.h>

#define TANDEM_SKIP_WITHOUT_GPU()                                                                        \
    do {                                                                                                 \
        if (!torch::cuda::is_available()) {                                                              \
            WARN("skipped: no CUDA GPU is available to this LibTorch (the case runs on a GPU machine)"); \
            return;                                                                                      \
        }                                                                                                \
    } while (0)
