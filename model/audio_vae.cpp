#include "model/audio_vae.h"

namespace tandem::model {

std::vector<int> audioStrides(int hop) {
    std::vector<int> strides;
    while (hop >= 4) {
        strides.push_back(4);
        hop /= 4;
    }
    if (hop == 2) strides.push_back(2);
    return strides;
}

namespace {

torch::nn::Conv1d mixConv(int ch) {
    return torch::nn::Conv1d(torch::nn::Conv1dOptions(ch, ch, 7).padding(3));
}

} // namespace

AudioEncoderImpl::AudioEncoderImpl(const AudioConfig& cfg) {
    const int ch = cfg.vae_channels;
    convIn = register_module("conv_in", torch::nn::Conv1d(torch::nn::Conv1dOptions(1, ch, 7).padding(3)));
    downs = register_module("downs", torch::nn::ModuleList());
    mixes = register_module("mixes", torch::nn::ModuleList());
    for (int s : audioStrides(cfg.hop)) {
        // kernel 2s, padding s/2: output length is exactly input / s for lengths divisible by s.
        downs->push_back(torch::nn::Conv1d(torch::nn::Conv1dOptions(ch, ch, 2 * s).stride(s).padding(s / 2)));
        mixes->push_back(mixConv(ch));
    }
    convOut = register_module("conv_out", torch::nn::Conv1d(torch::nn::Conv1dOptions(ch, cfg.latent_channels, 3).padding(1)));
    latentScale = register_buffer("latent_scale", torch::ones({cfg.latent_channels}));
}

torch::Tensor AudioEncoderImpl::forward(const torch::Tensor& wave) {
    auto h = convIn(wave);
    for (size_t i = 0; i < downs->size(); ++i) {
        h = torch::silu(downs[i]->as<torch::nn::Conv1d>()->forward(h));
        h = h + mixes[i]->as<torch::nn::Conv1d>()->forward(torch::silu(h));
    }
    return convOut(h) / latentScale.reshape({1, -1, 1});
}

AudioDecoderImpl::AudioDecoderImpl(const AudioConfig& cfg) {
    const int ch = cfg.vae_channels;
    convIn = register_module("conv_in", torch::nn::Conv1d(torch::nn::Conv1dOptions(cfg.latent_channels, ch, 3).padding(1)));
    ups = register_module("ups", torch::nn::ModuleList());
    mixes = register_module("mixes", torch::nn::ModuleList());
    for (int s : audioStrides(cfg.hop)) {
        ups->push_back(torch::nn::ConvTranspose1d(torch::nn::ConvTranspose1dOptions(ch, ch, 2 * s).stride(s).padding(s / 2)));
        mixes->push_back(mixConv(ch));
    }
    convOut = register_module("conv_out", torch::nn::Conv1d(torch::nn::Conv1dOptions(ch, 1, 7).padding(3)));
    latentScale = register_buffer("latent_scale", torch::ones({cfg.latent_channels}));
}

torch::Tensor AudioDecoderImpl::forward(const torch::Tensor& latent) {
    auto h = convIn(latent * latentScale.reshape({1, -1, 1}));
    for (size_t i = 0; i < ups->size(); ++i) {
        h = torch::silu(ups[i]->as<torch::nn::ConvTranspose1d>()->forward(h));
        h = h + mixes[i]->as<torch::nn::Conv1d>()->forward(torch::silu(h));
    }
    return torch::tanh(convOut(h));
}

AudioVaeImpl::AudioVaeImpl(const AudioConfig& cfg) {
    encoder = register_module("encoder", AudioEncoder(cfg));
    decoder = register_module("decoder", AudioDecoder(cfg));
}

} // namespace tandem::model
