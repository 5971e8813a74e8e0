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

// The output of an edit on its own timeline: the source placed on it, and which of its pixels and samples
// are kept (copied into the output bit for bit). Every model's task plan builds on it, so what a task
// keeps means the same whatever model makes the rest.
struct PlacedMedia {
    int64_t frames = 0, samples = 0; // output length
    int width = 0, height = 0;
    std::vector<uint8_t> placedRgb;  // frames × H × W × 3
    std::vector<float> placedAudio;  // samples
    std::vector<uint8_t> keepPixel;  // frames × H × W, 1 = copy the source pixel
    std::vector<uint8_t> keepSample; // samples, 1 = copy the source sample

    size_t framePixels() const { return static_cast<size_t>(width) * height; }
    // Sizes the buffers for `frames` frames at `cfg`'s geometry, nothing placed or kept.
    void allocate(const ModelConfig& cfg, int64_t frames);
    // The source's frames and samples copied to output frame `atFrame`, marked kept where asked.
    void place(const ModelConfig& cfg, const Shot& source, int64_t atFrame, bool keepVideo, bool keepAudio);
    // Inpainting: the pixels the request's mask paints in its frame range are no longer kept. Throws
    // std::invalid_argument when the mask does not cover the output or paints nothing.
    void unkeepPainted(const ShotRequest& request);
    // Retake: the request's window is no longer kept in the streams it makes again. Throws
    // std::invalid_argument for a window outside the shot.
    void unkeepWindow(const ShotRequest& request, const ModelConfig& cfg);
    // What a model made, over the placed media wherever nothing is kept: `frames` frames of RGB bytes
    // standing at output frame `firstFrame`, `samples` samples at output sample `firstSample` (both cut to
    // the output).
    void overlayMade(const uint8_t* rgb, int64_t firstFrame, int64_t frames, const float* audio,
                     int64_t firstSample, int64_t samples);
};

struct TaskPlan : PlacedMedia {
    int64_t T = 0, L = 0; // latent steps of the window the network sees
    // The window the network sees may be a part of the output (extension): its first frame and sample.
    int64_t windowFirstFrame = 0, windowFirstSample = 0;

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
