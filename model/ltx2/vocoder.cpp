#include "model/ltx2/vocoder.h"

#include "model/checkpoint.h"
#include "model/ltx2/config.h"

#include <nlohmann/json.hpp>

#include <cmath>

namespace tandem::model::ltx2 {

using nlohmann::json;

namespace {

using Ints = std::vector<int64_t>;

// A windowed-sinc low-pass filter (Kaiser window, its β from the transition width), summing to 1.
torch::Tensor kaiserSincFilter(double cutoff, double halfWidth, int64_t size) {
    const bool even = size % 2 == 0;
    const int64_t half = size / 2;
    const double amplitude = 2.285 * static_cast<double>(half - 1) * M_PI * (4 * halfWidth) + 7.95;
    const double beta = amplitude > 50.0 ? 0.1102 * (amplitude - 8.7)
                        : amplitude >= 21.0
                            ? 0.5842 * std::pow(amplitude - 21, 0.4) + 0.07886 * (amplitude - 21.0)
                            : 0.0;
    auto window = torch::kaiser_window(size, /*periodic=*/false, beta, torch::kFloat32);
    auto time = even ? torch::arange(-half, half) + 0.5 : torch::arange(size) - half;
    time = time.to(torch::kFloat32);
    auto x = 2 * cutoff * time;
    auto sinc = torch::where(x == 0, torch::ones_like(x), torch::sin(M_PI * x) / M_PI / x);
    auto filter = 2 * cutoff * window * sinc;
    return (filter / filter.sum()).view({1, 1, size});
}

torch::Tensor param(torch::nn::Module& m, const char* name, std::vector<int64_t> shape,
                    const torch::TensorOptions& o) {
    return m.register_parameter(name, torch::empty(shape, o), false);
}

struct Conv1dImpl : torch::nn::Module {
    Conv1dImpl(int64_t in, int64_t out, int64_t kernel, int64_t dilation, int64_t padding, bool bias,
               const torch::TensorOptions& o)
        : dilation(dilation), padding(padding) {
        weight = param(*this, "weight", {out, in, kernel}, o);
        if (bias) this->bias = param(*this, "bias", {out}, o);
    }
    torch::Tensor forward(const torch::Tensor& x) {
        return torch::conv1d(x, weight, bias, Ints{1}, Ints{padding}, Ints{dilation});
    }
    torch::Tensor weight, bias;
    int64_t dilation, padding;
};
TORCH_MODULE(Conv1d);

// ×2 up, activation, ×2 down, both through 12-tap Kaiser-sinc filters (buffers stored in the checkpoint).
struct AntiAliasedSnakeImpl : torch::nn::Module {
    AntiAliasedSnakeImpl(int64_t channels, const torch::TensorOptions& o) {
        auto act = register_module("act", std::make_shared<torch::nn::Module>());
        alpha = param(*act, "alpha", {channels}, o);
        beta = param(*act, "beta", {channels}, o);
        constexpr int64_t ratio = 2, size = 12;
        up = register_module("upsample", std::make_shared<torch::nn::Module>())
                 ->register_buffer("filter", kaiserSincFilter(0.5 / ratio, 0.6 / ratio, size).to(o));
        auto downsample = register_module("downsample", std::make_shared<torch::nn::Module>());
        down = downsample->register_module("lowpass", std::make_shared<torch::nn::Module>())
                   ->register_buffer("filter", kaiserSincFilter(0.5 / ratio, 0.6 / ratio, size).to(o));
    }
    torch::Tensor forward(const torch::Tensor& input) {
        constexpr int64_t ratio = 2, size = 12;
        const int64_t channels = input.size(1);
        // Up: replicate-pad, transposed convolution with the filter, trim.
        const int64_t pad = size / ratio - 1;
        const int64_t left = pad * ratio + (size - ratio) / 2, right = pad * ratio + (size - ratio + 1) / 2;
        auto x = torch::replication_pad1d(input, {pad, pad});
        x = ratio * torch::conv_transpose1d(x, up.to(x.dtype()).expand({channels, -1, -1}), torch::Tensor(),
                                            Ints{ratio}, Ints{0}, Ints{0}, channels);
        x = x.narrow(-1, left, x.size(-1) - left - right);
        // SnakeBeta with log-scale parameters: x + sin²(αx)/β.
        auto a = alpha.exp().view({1, -1, 1}), b = beta.exp().view({1, -1, 1});
        x = x + (1.0 / (b + 1e-9)) * torch::sin(x * a).pow(2);
        // Down: replicate-pad, filter, keep every second sample.
        x = torch::replication_pad1d(x, {size / 2 - 1, size / 2});
        return torch::conv1d(x, down.expand({channels, -1, -1}), torch::Tensor(), Ints{ratio}, Ints{0},
                             Ints{1}, channels);
    }
    torch::Tensor alpha, beta, up, down;
};
TORCH_MODULE(AntiAliasedSnake);

struct AmpBlockImpl : torch::nn::Module {
    AmpBlockImpl(int64_t channels, int64_t kernel, const std::vector<int>& dilations,
                 const torch::TensorOptions& o) {
        auto c1 = register_module("convs1", torch::nn::ModuleList());
        auto c2 = register_module("convs2", torch::nn::ModuleList());
        auto a1 = register_module("acts1", torch::nn::ModuleList());
        auto a2 = register_module("acts2", torch::nn::ModuleList());
        for (int d : dilations) {
            stages.push_back({Conv1d(channels, channels, kernel, d, (kernel * d - d) / 2, true, o),
                              Conv1d(channels, channels, kernel, 1, (kernel - 1) / 2, true, o),
                              AntiAliasedSnake(channels, o), AntiAliasedSnake(channels, o)});
            c1->push_back(stages.back().conv1);
            c2->push_back(stages.back().conv2);
            a1->push_back(stages.back().act1);
            a2->push_back(stages.back().act2);
        }
    }
    torch::Tensor forward(torch::Tensor x) {
        for (auto& s : stages)
            x = x + s.conv2->forward(s.act2->forward(s.conv1->forward(s.act1->forward(x))));
        return x;
    }
    struct Stage {
        Conv1d conv1, conv2;
        AntiAliasedSnake act1, act2;
    };
    std::vector<Stage> stages;
};
TORCH_MODULE(AmpBlock);

struct GeneratorImpl : torch::nn::Module {
    GeneratorImpl(const GeneratorConfig& c, const torch::TensorOptions& o) : config(c) {
        conv_pre = register_module("conv_pre", Conv1d(128, c.initial_channels, 7, 1, 3, true, o));
        auto ups = register_module("ups", torch::nn::ModuleList());
        auto blocks = register_module("resblocks", torch::nn::ModuleList());
        for (size_t i = 0; i < c.upsample_rates.size(); ++i) {
            const int64_t in = c.initial_channels >> i, out = c.initial_channels >> (i + 1);
            auto up = std::make_shared<torch::nn::Module>();
            upWeights.push_back(param(*up, "weight", {in, out, c.upsample_kernels[i]}, o));
            upBiases.push_back(param(*up, "bias", {out}, o));
            ups->push_back(up);
            for (size_t k = 0; k < c.resblock_kernels.size(); ++k) {
                resblocks.push_back(AmpBlock(out, c.resblock_kernels[k], c.resblock_dilations[k], o));
                blocks->push_back(resblocks.back());
            }
        }
        const int64_t final = c.initial_channels >> c.upsample_rates.size();
        act_post = register_module("act_post", AntiAliasedSnake(final, o));
        conv_post = register_module("conv_post", Conv1d(final, 2, 7, 1, 3, c.bias_at_final, o));
    }
    // mel [B, 2, frames, bins] → [B, 2, samples]
    torch::Tensor forward(const torch::Tensor& mel) {
        auto x = mel.transpose(2, 3);              // [B, 2, bins, frames]
        x = x.reshape({x.size(0), -1, x.size(3)}); // stereo bins stacked as channels
        x = conv_pre->forward(x);
        const size_t kernels = config.resblock_kernels.size();
        for (size_t i = 0; i < config.upsample_rates.size(); ++i) {
            const int64_t stride = config.upsample_rates[i], size = config.upsample_kernels[i];
            x = torch::conv_transpose1d(x, upWeights[i], upBiases[i], Ints{stride},
                                        Ints{(size - stride) / 2});
            std::vector<torch::Tensor> outs;
            for (size_t k = 0; k < kernels; ++k)
                outs.push_back(resblocks[i * kernels + k]->forward(x));
            x = torch::stack(outs, 0).mean(0);
        }
        x = conv_post->forward(act_post->forward(x));
        if (config.final_activation) x = config.tanh_at_final ? torch::tanh(x) : torch::clamp(x, -1, 1);
        return x;
    }
    GeneratorConfig config;
    Conv1d conv_pre{nullptr}, conv_post{nullptr};
    std::vector<torch::Tensor> upWeights, upBiases;
    std::vector<AmpBlock> resblocks;
    AntiAliasedSnake act_post{nullptr};
};
TORCH_MODULE(Generator);

GeneratorConfig generatorConfig(const json& g, const std::string& where, const char* name) {
    for (const auto& [key, value] : std::vector<std::pair<const char*, json>>{
             {"resblock", "AMP1"}, {"stereo", true}, {"activation", "snakebeta"}})
        if (!g.contains(key) || g.at(key) != value)
            refuse(where, std::string("the ") + name + " \"" + key + "\" is " +
                              (g.contains(key) ? g.at(key).dump() : "missing") +
                              "; only LTX-2.3's BigVGAN v2 (" + value.dump() + ") is implemented");
    GeneratorConfig c;
    c.initial_channels = g.value("upsample_initial_channel", c.initial_channels);
    c.upsample_rates = g.value("upsample_rates", c.upsample_rates);
    c.upsample_kernels = g.value("upsample_kernel_sizes", c.upsample_kernels);
    c.resblock_kernels = g.value("resblock_kernel_sizes", c.resblock_kernels);
    c.resblock_dilations = g.value("resblock_dilation_sizes", c.resblock_dilations);
    c.tanh_at_final = g.value("use_tanh_at_final", true);
    c.bias_at_final = g.value("use_bias_at_final", true);
    if (c.upsample_rates.size() != c.upsample_kernels.size() ||
        c.resblock_kernels.size() != c.resblock_dilations.size() || c.upsample_rates.empty() ||
        (c.initial_channels >> c.upsample_rates.size()) < 1)
        refuse(where, std::string("the ") + name + " sizes do not fit together");
    return c;
}

} // namespace

VocoderConfig parseVocoderConfig(const std::string& configJson, const std::string& where) {
    const json v = configSection(configJson, "vocoder", where);
    if (!v.contains("bwe"))
        refuse(
            where,
            "the vocoder has no bandwidth extension (LTX-2 19B's HiFi-GAN); only LTX-2.3's is implemented");
    VocoderConfig c;
    try {
        c.vocoder = generatorConfig(v.value("vocoder", json::object()), where, "vocoder");
        const json& bwe = v.at("bwe");
        c.bwe = generatorConfig(bwe, where, "bandwidth extension");
        c.bwe.final_activation = false;
        c.input_rate = bwe.at("input_sampling_rate");
        c.output_rate = bwe.at("output_sampling_rate");
        c.n_fft = bwe.at("n_fft");
        c.hop = bwe.at("hop_length");
        c.mels = bwe.at("num_mels");
    } catch (const json::exception& e) {
        refuse(where, std::string("the vocoder header is malformed (") + e.what() + ")");
    }
    if (c.input_rate <= 0 || c.output_rate % c.input_rate != 0 || c.hop <= 0 || c.n_fft < c.hop ||
        2 * c.mels != 128)
        refuse(where, "the bandwidth extension's rates, FFT or mel sizes do not fit together");
    return c;
}

VocoderImpl::VocoderImpl(const VocoderConfig& c, const torch::TensorOptions& o) : config(c) {
    register_module("vocoder", Generator(c.vocoder, o));
    register_module("bwe_generator", Generator(c.bwe, o));
    auto mel = register_module("mel_stft", std::make_shared<torch::nn::Module>());
    const int64_t freqs = c.n_fft / 2 + 1;
    mel->register_buffer("mel_basis", torch::zeros({c.mels, freqs}, o));
    auto stft = mel->register_module("stft_fn", std::make_shared<torch::nn::Module>());
    stft->register_buffer("forward_basis", torch::zeros({2 * freqs, 1, c.n_fft}, o));
    stft->register_buffer("inverse_basis", torch::zeros({2 * freqs, 1, c.n_fft}, o));
}

namespace {

// The ×ratio Hann-windowed sinc resampler of the skip path (computed, not stored).
torch::Tensor resample(const torch::Tensor& input, int64_t ratio) {
    constexpr double rolloff = 0.99, zeros = 6;
    const int64_t width = static_cast<int64_t>(std::ceil(zeros / rolloff));
    const int64_t size = 2 * width * ratio + 1, left = 2 * width * ratio, right = size - ratio;
    auto time = (torch::arange(size).to(torch::kFloat32) / ratio - width) * rolloff;
    auto window = torch::cos(time.clamp(-zeros, zeros) * M_PI / zeros / 2).pow(2);
    auto filter = (torch::sinc(time) * window * rolloff / ratio).view({1, 1, -1}).to(input.device());
    const int64_t channels = input.size(1);
    auto x = torch::replication_pad1d(input, {width, width});
    x = ratio * torch::conv_transpose1d(x, filter.expand({channels, -1, -1}), torch::Tensor(), Ints{ratio},
                                        Ints{0}, Ints{0}, channels);
    return x.narrow(-1, left, x.size(-1) - left - right);
}

} // namespace

torch::Tensor VocoderImpl::forward(const torch::Tensor& melIn) {
    const auto& c = config;
    auto children = named_children();
    auto x =
        children["vocoder"]->as<Generator>()->forward(melIn.to(torch::kFloat32)); // [B, 2, L] at input_rate
    const int64_t b = x.size(0), channels = x.size(1), length = x.size(2);
    const int64_t outputLength = length * c.output_rate / c.input_rate;
    if (length % c.hop) x = torch::constant_pad_nd(x, {0, c.hop - length % c.hop});

    // Causal STFT (left padding only) → magnitude → log-mel, per channel.
    auto mel = children["mel_stft"];
    auto stft = mel->named_children()["stft_fn"];
    auto flat = torch::constant_pad_nd(x.reshape({b * channels, 1, -1}), {c.n_fft - c.hop, 0});
    auto spec =
        torch::conv1d(flat, stft->named_buffers()["forward_basis"].to(flat), torch::Tensor(), Ints{c.hop});
    const int64_t freqs = spec.size(1) / 2;
    auto magnitude = torch::sqrt(spec.narrow(1, 0, freqs).pow(2) + spec.narrow(1, freqs, freqs).pow(2));
    auto logMel = torch::log(
        torch::clamp(torch::matmul(mel->named_buffers()["mel_basis"].to(magnitude), magnitude), 1e-5));
    logMel = logMel.reshape({b, channels, logMel.size(1), logMel.size(2)}).transpose(2, 3);

    auto residual = children["bwe_generator"]->as<Generator>()->forward(logMel);
    auto skip = resample(x, c.output_rate / c.input_rate);
    if (residual.sizes() != skip.sizes())
        throw std::runtime_error(
            "the bandwidth extension's sizes do not fit together (residual and skip differ)");
    return torch::clamp(residual + skip, -1, 1).narrow(-1, 0, outputLength).to(melIn.scalar_type());
}

Vocoder loadVocoder(const SafetensorsFile& file, const torch::TensorOptions& options) {
    return loadVocoder(file, checkpointHeader(file), "vocoder.", options);
}

Vocoder loadVocoder(const SafetensorsFile& file, const std::string& configJson, const std::string& prefix,
                    const torch::TensorOptions& options) {
    // fp32 whatever the file stores (see the design note).
    Vocoder model(parseVocoderConfig(configJson, file.path()), options.dtype(torch::kFloat32));
    loadWeights(*model, file, prefix);
    model->eval();
    return model;
}

} // namespace tandem::model::ltx2
