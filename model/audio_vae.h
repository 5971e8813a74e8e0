// Design note: the audio VAE works on the waveform itself (mono, at the config's sample rate), so decoding
// needs no vocoder. It follows the SEANet/EnCodec layout: each stage is three residual units (dilated
// convolutions, dilation 1, 3, 9, so each stage hears ~27 of its own steps) and a strided convolution that
// compresses time by 4 (or 2) while doubling the channels (capped at 8 × the base), down to one latent
// step per `hop` samples; the decoder mirrors it with transposed convolutions. Activations are Snake,
// x + sin²(αx)/α with α learned per channel (as in BigVGAN): a periodic bias that lets a small decoder make
// ringing modes and voiced pulses rather than muffled noise. Waveforms are [B, 1, N] in [-1, 1]; latents
// [B, C, N / hop]. `vae_kind` "plain" is the first layout (kept so models trained with it still load): per
// stage one strided convolution and one mixing convolution with SiLU, channels constant.
#pragma once

#include "model/config.h"

#include <torch/torch.h>

namespace tandem::model {

// Stride factors whose product is `hop` (4s first, then a 2 if hop is an odd power of two).
std::vector<int> audioStrides(int hop);

struct SnakeImpl : torch::nn::Module {
    explicit SnakeImpl(int channels);
    torch::Tensor forward(const torch::Tensor& x);
    torch::Tensor alpha; // [1, C, 1]
};
TORCH_MODULE(Snake);

// x + conv1×1(snake(conv_dilated(snake(x)))).
struct AudioResUnitImpl : torch::nn::Module {
    AudioResUnitImpl(int channels, int dilation);
    torch::Tensor forward(const torch::Tensor& x);
    Snake act1{nullptr}, act2{nullptr};
    torch::nn::Conv1d dilated{nullptr}, mix{nullptr};
};
TORCH_MODULE(AudioResUnit);

// Channels after each stage of the encoder (the decoder runs them backwards).
std::vector<int> audioStageChannels(const AudioConfig& cfg);

struct AudioEncoderImpl : torch::nn::Module {
    explicit AudioEncoderImpl(const AudioConfig& cfg);
    torch::Tensor forward(const torch::Tensor& wave); // → latent mean
    torch::nn::Conv1d convIn{nullptr}, convOut{nullptr};
    Snake actOut{nullptr};
    torch::nn::ModuleList stages; // each: res units, snake, strided conv
    torch::nn::ModuleList downs, mixes; // "plain": strided and mixing convolutions per stage
    torch::Tensor latentScale; // [C]: latents are divided by it (encoder) and multiplied back (decoder)
    bool plain = false;
};
TORCH_MODULE(AudioEncoder);

struct AudioDecoderImpl : torch::nn::Module {
    explicit AudioDecoderImpl(const AudioConfig& cfg);
    torch::Tensor forward(const torch::Tensor& latent); // → waveform in [-1, 1]
    torch::nn::Conv1d convIn{nullptr}, convOut{nullptr};
    Snake actOut{nullptr};
    torch::nn::ModuleList stages; // each: snake, transposed conv, res units
    torch::nn::ModuleList ups, mixes; // "plain"
    torch::Tensor latentScale;
    bool plain = false;
};
TORCH_MODULE(AudioDecoder);

struct AudioVaeImpl : torch::nn::Module {
    explicit AudioVaeImpl(const AudioConfig& cfg);
    AudioEncoder encoder{nullptr};
    AudioDecoder decoder{nullptr};
};
TORCH_MODULE(AudioVae);

} // namespace tandem::model
