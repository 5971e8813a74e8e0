#include "model/audio_vae.h"

namespace tandem::model {

namespace {

constexpr int kDilations[] = {1, 3, 9};
constexpr int kMaxWidening = 8; // channels stop doubling at 8 × the base width

torch::nn::Sequential residualUnits(int channels) {
    torch::nn::Sequential units;
    for (int d : kDilations) units->push_back(AudioResUnit(channels, d));
    return units;
}

} // namespace

std::vector<int> audioStrides(int hop) {
    std::vector<int> strides;
    while (hop >= 4) {
        strides.push_back(4);
        hop /= 4;
    }
    if (hop == 2) strides.push_back(2);
    return strides;
}

std::vector<int> audioStageChannels(const AudioConfig& cfg) {
    std::vector<int> out;
    int ch = cfg.vae_channels;
    for (size_t i = 0; i < audioStrides(cfg.hop).size(); ++i) {
        ch = std::min(ch * 2, cfg.vae_channels * kMaxWidening);
        out.push_back(ch);
    }
    return out;
}

SnakeImpl::SnakeImpl(int channels) { alpha = register_parameter("alpha", torch::ones({1, channels, 1})); }

torch::Tensor SnakeImpl::forward(const torch::Tensor& x) {
    // α is kept away from zero, where sin²(αx)/α would divide by nothing.
    auto a = alpha.abs() + 1e-3;
    return x + torch::sin(a * x).pow(2) / a;
}

AudioResUnitImpl::AudioResUnitImpl(int channels, int dilation) {
    act1 = register_module("act1", Snake(channels));
    act2 = register_module("act2", Snake(channels));
    dilated = register_module("dilated", torch::nn::Conv1d(torch::nn::Conv1dOptions(channels, channels, 3).dilation(dilation).padding(dilation)));
    mix = register_module("mix", torch::nn::Conv1d(torch::nn::Conv1dOptions(channels, channels, 1)));
}

torch::Tensor AudioResUnitImpl::forward(const torch::Tensor& x) { return x + mix(act2(dilated(act1(x)))); }

namespace {

torch::nn::Conv1d mixConv(int ch) { return torch::nn::Conv1d(torch::nn::Conv1dOptions(ch, ch, 7).padding(3)); }

} // namespace

AudioEncoderImpl::AudioEncoderImpl(const AudioConfig& cfg) : plain(cfg.vae_kind == "plain") {
    int ch = cfg.vae_channels;
    if (plain) {
        convIn = register_module("conv_in", torch::nn::Conv1d(torch::nn::Conv1dOptions(1, ch, 7).padding(3)));
        downs = register_module("downs", torch::nn::ModuleList());
        mixes = register_module("mixes", torch::nn::ModuleList());
        for (int s : audioStrides(cfg.hop)) {
            downs->push_back(torch::nn::Conv1d(torch::nn::Conv1dOptions(ch, ch, 2 * s).stride(s).padding(s / 2)));
            mixes->push_back(mixConv(ch));
        }
        convOut = register_module("conv_out", torch::nn::Conv1d(torch::nn::Conv1dOptions(ch, cfg.latent_channels, 3).padding(1)));
        latentScale = register_buffer("latent_scale", torch::ones({cfg.latent_channels}));
        return;
    }
    convIn = register_module("conv_in", torch::nn::Conv1d(torch::nn::Conv1dOptions(1, ch, 7).padding(3)));
    stages = register_module("stages", torch::nn::ModuleList());
    const auto strides = audioStrides(cfg.hop);
    const auto widths = audioStageChannels(cfg);
    for (size_t i = 0; i < strides.size(); ++i) {
        const int s = strides[i];
        auto stage = residualUnits(ch);
        stage->push_back(Snake(ch));
        // kernel 2s, padding s/2: output length is exactly input / s for lengths divisible by s.
        stage->push_back(torch::nn::Conv1d(torch::nn::Conv1dOptions(ch, widths[i], 2 * s).stride(s).padding(s / 2)));
        stages->push_back(stage);
        ch = widths[i];
    }
    actOut = register_module("act_out", Snake(ch));
    convOut = register_module("conv_out", torch::nn::Conv1d(torch::nn::Conv1dOptions(ch, cfg.latent_channels, 3).padding(1)));
    latentScale = register_buffer("latent_scale", torch::ones({cfg.latent_channels}));
}

torch::Tensor AudioEncoderImpl::forward(const torch::Tensor& wave) {
    auto h = convIn(wave);
    if (plain) {
        for (size_t i = 0; i < downs->size(); ++i) {
            h = torch::silu(downs[i]->as<torch::nn::Conv1d>()->forward(h));
            h = h + mixes[i]->as<torch::nn::Conv1d>()->forward(torch::silu(h));
        }
        return convOut(h) / latentScale.reshape({1, -1, 1});
    }
    for (const auto& stage : *stages) h = stage->as<torch::nn::Sequential>()->forward(h);
    return convOut(actOut(h)) / latentScale.reshape({1, -1, 1});
}

AudioDecoderImpl::AudioDecoderImpl(const AudioConfig& cfg) : plain(cfg.vae_kind == "plain") {
    const auto strides = audioStrides(cfg.hop);
    if (plain) {
        const int ch = cfg.vae_channels;
        convIn = register_module("conv_in", torch::nn::Conv1d(torch::nn::Conv1dOptions(cfg.latent_channels, ch, 3).padding(1)));
        ups = register_module("ups", torch::nn::ModuleList());
        mixes = register_module("mixes", torch::nn::ModuleList());
        for (int s : strides) {
            ups->push_back(torch::nn::ConvTranspose1d(torch::nn::ConvTranspose1dOptions(ch, ch, 2 * s).stride(s).padding(s / 2)));
            mixes->push_back(mixConv(ch));
        }
        convOut = register_module("conv_out", torch::nn::Conv1d(torch::nn::Conv1dOptions(ch, 1, 7).padding(3)));
        latentScale = register_buffer("latent_scale", torch::ones({cfg.latent_channels}));
        return;
    }
    auto widths = audioStageChannels(cfg);
    widths.insert(widths.begin(), cfg.vae_channels); // widths[i] is the input of encoder stage i
    int ch = widths.back();
    convIn = register_module("conv_in", torch::nn::Conv1d(torch::nn::Conv1dOptions(cfg.latent_channels, ch, 7).padding(3)));
    stages = register_module("stages", torch::nn::ModuleList());
    for (size_t k = strides.size(); k-- > 0;) {
        const int s = strides[k], next = widths[k];
        torch::nn::Sequential stage;
        stage->push_back(Snake(ch));
        stage->push_back(torch::nn::ConvTranspose1d(torch::nn::ConvTranspose1dOptions(ch, next, 2 * s).stride(s).padding(s / 2)));
        for (int d : kDilations) stage->push_back(AudioResUnit(next, d));
        stages->push_back(stage);
        ch = next;
    }
    actOut = register_module("act_out", Snake(ch));
    convOut = register_module("conv_out", torch::nn::Conv1d(torch::nn::Conv1dOptions(ch, 1, 7).padding(3)));
    latentScale = register_buffer("latent_scale", torch::ones({cfg.latent_channels}));
}

torch::Tensor AudioDecoderImpl::forward(const torch::Tensor& latent) {
    auto h = convIn(latent * latentScale.reshape({1, -1, 1}));
    if (plain) {
        for (size_t i = 0; i < ups->size(); ++i) {
            h = torch::silu(ups[i]->as<torch::nn::ConvTranspose1d>()->forward(h));
            h = h + mixes[i]->as<torch::nn::Conv1d>()->forward(torch::silu(h));
        }
        return torch::tanh(convOut(h));
    }
    for (const auto& stage : *stages) h = stage->as<torch::nn::Sequential>()->forward(h);
    return torch::tanh(convOut(actOut(h)));
}

AudioVaeImpl::AudioVaeImpl(const AudioConfig& cfg) {
    encoder = register_module("encoder", AudioEncoder(cfg));
    decoder = register_module("decoder", AudioDecoder(cfg));
}

} // namespace tandem::model
