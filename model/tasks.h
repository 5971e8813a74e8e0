// Design note: how each editing task becomes inpainting. A plan fixes the output length, where the source
// media sits in it, which pixels and samples are kept (copied bit for bit into the output) and which latent
// cells are generated. Latent masks follow from the pixel masks — a latent cell is generated if any pixel or
// sample it covers is generated — except image-to-shot, whose first latent step is kept although only
// frame 0 is given. Restyle generates everything but starts from the source's latents at t = strength.
// Extension continues from the source's own latents when the shot carries them (no pixel round trip).
#pragma once

#include "model/config.h"
#include "model/engine.h"

#include <torch/torch.h>

namespace tandem::model {

struct TaskPlan {
    int64_t frames = 0, samples = 0; // output length
    int64_t T = 0, L = 0;            // latent steps of the window the network sees
    // The window the network sees may be a part of the output (extension): its first frame and sample.
    int64_t windowFirstFrame = 0, windowFirstSample = 0;

    // Source media placed on the output timeline (kept regions are copied from here) and keep masks.
    std::vector<uint8_t> placedRgb;  // frames × H × W × 3
    std::vector<float> placedAudio;  // samples
    std::vector<uint8_t> keepPixel;  // frames × H × W, 1 = copy the source pixel
    std::vector<uint8_t> keepSample; // samples, 1 = copy the source sample

    // Network-side: masks (1 = generate) and known latents over the window.
    torch::Tensor videoMask, audioMask;   // [1, 1, T, h, w], [1, 1, L]
    torch::Tensor knownVideo, knownAudio; // [1, Cv, T, h, w], [1, Ca, L]; zeros where nothing is known
    // Which of the known latents must come from encoding the placed pixels/samples (vs. given latents).
    bool encodeVideo = false, encodeAudio = false;
    double startTime = 1.0; // flow time the sampler starts at (restyle < 1)
};

// Validates the request against the task and builds the plan. Throws std::invalid_argument with a
// message a user can act on.
TaskPlan planTask(const ShotRequest& request, const ModelConfig& config);

} // namespace tandem::model
