// Design note: LTX-2's audio VAE decoder: a latent of 8 channels × 16 mel bins at 25 frames a second
// becomes a stereo mel spectrogram (2 × 64 bins, 100 frames a second) for the vocoder. It is a 2-D
// convolutional decoder over (time, mel): residual blocks with pixel norm (RMS over channels) and SiLU,
// nearest ×2 upsampling, and convolutions causal along time (padded only on the past side); after each
// upsampling the first time row is dropped, so n latent frames give 4n − 3 mel frames — the encoder's
// causal padding undone. Latents are first un-normalised with per-channel statistics stored beside the
// decoder ("audio_vae.per_channel_statistics.", over the flattened channels × mel bins).
#pragma once

#include "model/safetensors.h"

#include <torch/torch.h>

#include <vector>

namespace tandem::model::ltx2 {

enum class CausalAxis { None, Height, Width, WidthCompatibility };

struct AudioVaeConfig {
    int channels = 128;        // "ch"
    std::vector<int> multipliers{1, 2, 4};
    int res_blocks = 2;
    int latent_channels = 8;   // "z_channels"
    int out_channels = 2;      // stereo
    int mel_bins = 64;
    CausalAxis causal = CausalAxis::Height;
    int sample_rate = 16000, hop = 160;
    static constexpr int kLatentDownsample = 4; // mel frames per latent frame
};

// Reads the "audio_vae" object of a checkpoint's config JSON; refuses variants not implemented (group
// norm, attention blocks). Throws CheckpointError.
AudioVaeConfig parseAudioVaeConfig(const std::string& configJson, const std::string& where);

struct AudioDecoderImpl : torch::nn::Module {
    AudioDecoderImpl(const AudioVaeConfig& c, const torch::TensorOptions& options = {});
    // latent: [B, latent channels, frames, latent mel bins] → mel: [B, out channels, 4·frames − 3, mel bins].
    torch::Tensor forward(const torch::Tensor& latent);
    AudioVaeConfig config;
    torch::nn::Module* decoder = nullptr;    // "audio_vae.decoder."
    torch::nn::Module* statistics = nullptr; // "audio_vae.per_channel_statistics."
};
TORCH_MODULE(AudioDecoder);

// The decoder a checkpoint's "audio_vae" header describes, loaded strictly. Throws CheckpointError.
AudioDecoder loadAudioDecoder(const SafetensorsFile& file, const torch::TensorOptions& options = {});
// From `file` under `prefix` ("audio_vae." in a single file) with the header given.
AudioDecoder loadAudioDecoder(const SafetensorsFile& file, const std::string& configJson, const std::string& prefix,
                              const torch::TensorOptions& options = {});

} // namespace tandem::model::ltx2
