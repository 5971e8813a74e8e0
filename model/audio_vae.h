// Design note: the audio VAE works on the waveform itself (mono, at the config's sample rate), so decoding
// needs no vocoder. Strided 1-D convolutions compress by `hop` samples per latent step in ×4 (and one ×2,
// when needed) stages; the decoder mirrors them with transposed convolutions. Waveforms are [B, 1, N] in
// [-1, 1]; latents [B, C, N / hop].
#pragma once

#include "model/config.h"

#include <torch/torch.h>

namespace tandem::model {

// Stride factors whose product is `hop` (4s first, then a 2 if hop is an odd power of two).
std::vector<int> audioStrides(int hop);

struct AudioEncoderImpl : torch::nn::Module {
    explicit AudioEncoderImpl(const AudioConfig& cfg);
    torch::Tensor forward(const torch::Tensor& wave); // → latent mean
    torch::nn::Conv1d convIn{nullptr}, convOut{nullptr};
    torch::Tensor latentScale; // [C]: latents are divided by it (encoder) and multiplied back (decoder)
    torch::nn::ModuleList downs, mixes;
};
TORCH_MODULE(AudioEncoder);

struct AudioDecoderImpl : torch::nn::Module {
    explicit AudioDecoderImpl(const AudioConfig& cfg);
    torch::Tensor forward(const torch::Tensor& latent); // → waveform in [-1, 1]
    torch::nn::Conv1d convIn{nullptr}, convOut{nullptr};
    torch::Tensor latentScale; // [C]: latents are divided by it (encoder) and multiplied back (decoder)
    torch::nn::ModuleList ups, mixes;
};
TORCH_MODULE(AudioDecoder);

struct AudioVaeImpl : torch::nn::Module {
    explicit AudioVaeImpl(const AudioConfig& cfg);
    AudioEncoder encoder{nullptr};
    AudioDecoder decoder{nullptr};
};
TORCH_MODULE(AudioVae);

} // namespace tandem::model
