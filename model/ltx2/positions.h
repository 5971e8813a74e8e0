// Design note: where LTX-2 places each latent token, in the units its RoPE expects. A video token covers
// one latent frame × one latent pixel: its span is that cell scaled by the VAE's factors (8 frames,
// 32 × 32 pixels), with time then in seconds (÷ fps). The causal VAE gives the first latent frame one
// pixel frame, not eight, so time spans shift by 1 − 8 and clamp at 0 (frame 0 covers [0, 1/fps)).
// An audio token covers one latent frame of the mel latent: 4 mel frames of 160 samples at 16 kHz
// (25 latents a second), shifted the same causal way. Both streams thus share one clock in seconds,
// which is what the audio↔video attention rotates by.
#pragma once

#include <torch/torch.h>

namespace tandem::model::ltx2 {

struct VideoScale {
    int time = 8, height = 32, width = 32;
};

// [batch, 3, frames · height · width, 2] spans (seconds, pixel rows, pixel columns), frame-major order.
torch::Tensor videoPositions(int64_t batch, int64_t frames, int64_t height, int64_t width, double fps,
                             VideoScale scale = {}, bool causal = true);

struct AudioScale {
    int sample_rate = 16000, hop = 160, latent_downsample = 4;
};

// [batch, 1, frames, 2] spans in seconds; `shift` latent frames are skipped first (a later window).
torch::Tensor audioPositions(int64_t batch, int64_t frames, AudioScale scale = {}, int64_t shift = 0,
                             bool causal = true);

} // namespace tandem::model::ltx2
