// Design note: LTX-2's audio VAE decoder: a latent of 8 channels × 16 mel bins at 25 frames a second
// becomes a stereo mel spectrogram (2 × 64 bins, 100 frames a second) for the vocoder. It is a 2-D
// convolutional decoder over (time, mel): residual blocks with pixel norm (RMS over channels) and SiLU,
// nearest ×2 upsampling, and convolutions causal along time (padded only on the past side); after each
// upsampling the first time row is dropped, so n latent frames give 4n − 3 mel frames — the encoder's
// causal padding undone. Latents are first un-normalised with per-channel statistics stored beside the
// decoder ("audio_vae.per_channel_statistics.", over the flattened channels × mel bins).
// The encoder (for tasks that keep sound: retake, extend, dub, restyle) runs the other way: the waveform
// resampled to 16 kHz (torchaudio's windowed-sinc resampler), a log-magnitude mel spectrogram (Slaney
// mel scale and area norm, centred reflect-padded STFT), causal residual blocks with stride-2 convolutions
// padded on the past side, and the means half of its output normalised with the same statistics.
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
    int n_fft = 1024;          // the encoder's STFT ("filter_length")
    int in_channels = 2;       // the encoder's input: stereo mel
    bool double_z = true;      // the encoder's output holds means and log-variances
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

// The encoder's front end: `waveform` [B, channels, samples] at `rate` → log mel [B, channels, frames,
// mel bins] at the VAE's rate (frames = samples at that rate / hop + 1).
torch::Tensor logMelSpectrogram(const torch::Tensor& waveform, int rate, const AudioVaeConfig& c);
// torchaudio.functional.resample's default: a Hann-windowed sinc of 6 zero crossings, roll-off 0.99, in the
// waveform's dtype, over the last dimension.
torch::Tensor resampleAudio(const torch::Tensor& waveform, int from, int to);

struct AudioEncoderImpl : torch::nn::Module {
    AudioEncoderImpl(const AudioVaeConfig& c, const torch::TensorOptions& options = {});
    // mel: [B, in channels, frames, mel bins] → normalised latent means [B, latent channels, frames', bins'].
    torch::Tensor forward(const torch::Tensor& mel);
    // A waveform [B, channels, samples] at `rate` → latent (a mono one is heard in both channels).
    torch::Tensor encode(const torch::Tensor& waveform, int rate);
    AudioVaeConfig config;
    torch::nn::Module* encoder = nullptr;    // "audio_vae.encoder."
    torch::nn::Module* statistics = nullptr; // "audio_vae.per_channel_statistics."
};
TORCH_MODULE(AudioEncoder);

// The decoder a checkpoint's "audio_vae" header describes, loaded strictly. Throws CheckpointError.
AudioDecoder loadAudioDecoder(const SafetensorsFile& file, const torch::TensorOptions& options = {});
// From `file` under `prefix` ("audio_vae." in a single file) with the header given.
AudioDecoder loadAudioDecoder(const SafetensorsFile& file, const std::string& configJson, const std::string& prefix,
                              const torch::TensorOptions& options = {});

// The encoder from `file` under `prefix`, loaded strictly. Throws CheckpointError (naming the missing tensors
// when a file carries no encoder).
AudioEncoder loadAudioEncoder(const SafetensorsFile& file, const std::string& configJson,
                              const std::string& prefix, const torch::TensorOptions& options = {});

} // namespace tandem::model::ltx2
