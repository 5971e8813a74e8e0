#include "model/ltx2/audio_vae.h"

#include "model/checkpoint.h"
#include "model/ltx2/config.h"

#include <nlohmann/json.hpp>

#include <cmath>
#include <numeric>

namespace tandem::model::ltx2 {

using nlohmann::json;

namespace {

torch::Tensor pixelNorm(const torch::Tensor& x) {
    return x / torch::sqrt(x.pow(2).mean(1, true) + 1e-6);
}

// A 2-D convolution padded on the past side of the causal axis ("conv.weight", "conv.bias").
struct CausalConvImpl : torch::nn::Module {
    CausalConvImpl(int in, int out, int kernel, CausalAxis axis, const torch::TensorOptions& o) {
        auto conv = register_module("conv", std::make_shared<torch::nn::Module>());
        weight = conv->register_parameter("weight", torch::empty({out, in, kernel, kernel}, o), false);
        bias = conv->register_parameter("bias", torch::empty({out}, o), false);
        const int64_t p = kernel - 1, half = p / 2;
        switch (axis) { // F.pad order: (width left, width right, height top, height bottom)
        case CausalAxis::None:
            padding = {half, p - half, half, p - half};
            break;
        case CausalAxis::Width:
        case CausalAxis::WidthCompatibility:
            padding = {p, 0, half, p - half};
            break;
        case CausalAxis::Height:
            padding = {half, p - half, p, 0};
            break;
        }
    }
    torch::Tensor forward(const torch::Tensor& x) {
        return torch::conv2d(torch::constant_pad_nd(x, padding), weight, bias);
    }
    torch::Tensor weight, bias;
    std::vector<int64_t> padding;
};
TORCH_MODULE(CausalConv);

struct ResnetBlockImpl : torch::nn::Module {
    ResnetBlockImpl(int in, int out, CausalAxis axis, const torch::TensorOptions& o) {
        conv1 = register_module("conv1", CausalConv(in, out, 3, axis, o));
        conv2 = register_module("conv2", CausalConv(out, out, 3, axis, o));
        if (in != out) nin_shortcut = register_module("nin_shortcut", CausalConv(in, out, 1, axis, o));
    }
    torch::Tensor forward(const torch::Tensor& x) {
        auto h = conv1->forward(torch::silu(pixelNorm(x)));
        h = conv2->forward(torch::silu(pixelNorm(h)));
        return (nin_shortcut ? nin_shortcut->forward(x) : x) + h;
    }
    CausalConv conv1{nullptr}, conv2{nullptr}, nin_shortcut{nullptr};
};
TORCH_MODULE(ResnetBlock);

// A stride-2 convolution padded by hand on the past side of the causal axis ("conv.weight", "conv.bias").
struct DownsampleImpl : torch::nn::Module {
    DownsampleImpl(int channels, CausalAxis axis, const torch::TensorOptions& o) {
        auto conv = register_module("conv", std::make_shared<torch::nn::Module>());
        weight = conv->register_parameter("weight", torch::empty({channels, channels, 3, 3}, o), false);
        bias = conv->register_parameter("bias", torch::empty({channels}, o), false);
        switch (axis) { // F.pad order: (width left, width right, height top, height bottom)
        case CausalAxis::None: padding = {0, 1, 0, 1}; break;
        case CausalAxis::Width: padding = {2, 0, 0, 1}; break;
        case CausalAxis::WidthCompatibility: padding = {1, 0, 0, 1}; break;
        case CausalAxis::Height: padding = {0, 1, 2, 0}; break;
        }
    }
    torch::Tensor forward(const torch::Tensor& x) {
        return torch::conv2d(torch::constant_pad_nd(x, padding), weight, bias, 2);
    }
    torch::Tensor weight, bias;
    std::vector<int64_t> padding;
};
TORCH_MODULE(Downsample);

// Slaney's mel scale: linear to 1 kHz, logarithmic above (torchaudio's and librosa's "slaney").
constexpr double kSlaneyHzPerMel = 200.0 / 3, kSlaneyLogHz = 1000.0;
double slaneyMel(double hz) {
    const double logStep = std::log(6.4) / 27.0;
    return hz < kSlaneyLogHz ? hz / kSlaneyHzPerMel
                             : kSlaneyLogHz / kSlaneyHzPerMel + std::log(hz / kSlaneyLogHz) / logStep;
}
torch::Tensor slaneyHz(const torch::Tensor& mels) {
    const double logStep = std::log(6.4) / 27.0, logMel = kSlaneyLogHz / kSlaneyHzPerMel;
    return torch::where(mels >= logMel, kSlaneyLogHz * torch::exp(logStep * (mels - logMel)),
                        mels * kSlaneyHzPerMel);
}

// Triangular filters [frequencies, mels] with Slaney's area norm, as torchaudio's melscale_fbanks builds them.
torch::Tensor melFilters(int frequencies, double fMax, int mels, int rate) {
    auto all = torch::linspace(0, rate / 2, frequencies);
    auto points = slaneyHz(torch::linspace(slaneyMel(0.0), slaneyMel(fMax), mels + 2));
    auto gaps = points.slice(0, 1) - points.slice(0, 0, -1);
    auto slopes = points.unsqueeze(0) - all.unsqueeze(1);
    auto down = -slopes.slice(1, 0, -2) / gaps.slice(0, 0, -1);
    auto up = slopes.slice(1, 2) / gaps.slice(0, 1);
    auto filters = torch::clamp_min(torch::min(down, up), 0.0);
    return filters * (2.0 / (points.slice(0, 2, mels + 2) - points.slice(0, 0, mels))).unsqueeze(0);
}

CausalAxis axisNamed(const std::string& name, const std::string& where) {
    if (name == "height") return CausalAxis::Height;
    if (name == "width") return CausalAxis::Width;
    if (name == "width-compatibility") return CausalAxis::WidthCompatibility;
    if (name == "none" || name.empty()) return CausalAxis::None;
    refuse(where, "unknown audio VAE causality_axis \"" + name + "\"");
}

} // namespace

AudioVaeConfig parseAudioVaeConfig(const std::string& configJson, const std::string& where) {
    const json vae = configSection(configJson, "audio_vae", where);
    const json params = vae.value("model", json::object()).value("params", json::object());
    const json dd = params.value("ddconfig", json::object());
    const json stft = vae.value("preprocessing", json::object()).value("stft", json::object());
    AudioVaeConfig c;
    try {
        c.channels = dd.value("ch", c.channels);
        c.multipliers = dd.value("ch_mult", c.multipliers);
        c.res_blocks = dd.value("num_res_blocks", c.res_blocks);
        c.latent_channels = dd.value("z_channels", c.latent_channels);
        c.out_channels = dd.value("out_ch", c.out_channels);
        c.mel_bins = dd.value("mel_bins", c.mel_bins);
        c.sample_rate = params.value("sampling_rate", c.sample_rate);
        c.hop = stft.value("hop_length", c.hop);
        c.n_fft = stft.value("filter_length", c.n_fft);
        c.in_channels = dd.value("in_channels", c.in_channels);
        c.double_z = dd.value("double_z", c.double_z);
        c.causal = axisNamed(dd.value("causality_axis", std::string("height")), where);
        if (dd.value("norm_type", std::string("pixel")) != "pixel")
            refuse(where, "audio VAE norm_type \"" + dd.value("norm_type", std::string()) +
                              "\" is not implemented (LTX-2.3: pixel)");
        // Attention blocks are on by default upstream; the released decoder has none, and neither does this
        // one.
        if (dd.value("mid_block_add_attention", true) || !dd.value("attn_resolutions", json::array()).empty())
            refuse(where, "audio VAE attention blocks are not implemented (LTX-2.3's decoder has none)");
        if (!stft.value("causal", true)) refuse(where, "a non-causal audio STFT is not implemented");
    } catch (const json::exception& e) {
        refuse(where, std::string("the audio VAE header is malformed (") + e.what() + ")");
    }
    if (c.channels <= 0 || c.multipliers.empty() || c.res_blocks <= 0 || c.latent_channels <= 0 ||
        c.mel_bins <= 0 || c.n_fft <= 0 || c.hop <= 0 || c.sample_rate <= 0 || c.in_channels <= 0)
        refuse(where, "the audio VAE header holds a size ≤ 0");
    return c;
}

AudioDecoderImpl::AudioDecoderImpl(const AudioVaeConfig& c, const torch::TensorOptions& o) : config(c) {
    auto body = register_module("decoder", std::make_shared<torch::nn::Module>());
    decoder = body.get();
    const int levels = static_cast<int>(c.multipliers.size());
    int channels = c.channels * c.multipliers.back();
    body->register_module("conv_in", CausalConv(c.latent_channels, channels, 3, c.causal, o));
    auto mid = body->register_module("mid", std::make_shared<torch::nn::Module>());
    mid->register_module("block_1", ResnetBlock(channels, channels, c.causal, o));
    mid->register_module("block_2", ResnetBlock(channels, channels, c.causal, o));
    auto up = body->register_module("up", torch::nn::ModuleList());
    std::vector<std::shared_ptr<torch::nn::Module>> stages(static_cast<size_t>(levels));
    for (int level = levels - 1; level >= 0; --level) {
        auto stage = std::make_shared<torch::nn::Module>();
        auto blocks = stage->register_module("block", torch::nn::ModuleList());
        const int out = c.channels * c.multipliers[static_cast<size_t>(level)];
        for (int i = 0; i <= c.res_blocks; ++i) {
            blocks->push_back(ResnetBlock(channels, out, c.causal, o));
            channels = out;
        }
        if (level != 0) {
            auto upsample = stage->register_module("upsample", std::make_shared<torch::nn::Module>());
            upsample->register_module("conv", CausalConv(channels, channels, 3, c.causal, o));
        }
        stages[static_cast<size_t>(level)] = stage;
    }
    for (auto& stage : stages)
        up->push_back(stage);
    body->register_module("conv_out", CausalConv(channels, c.out_channels, 3, c.causal, o));

    auto stats = register_module("per_channel_statistics", std::make_shared<torch::nn::Module>());
    statistics = stats.get();
    const int features = c.channels; // latent channels × latent mel bins, flattened
    stats->register_buffer("std-of-means", torch::ones({features}, o));
    stats->register_buffer("mean-of-means", torch::zeros({features}, o));
}

torch::Tensor AudioDecoderImpl::forward(const torch::Tensor& latent) {
    const auto& c = config;
    const int64_t b = latent.size(0), ch = latent.size(1), frames = latent.size(2), bins = latent.size(3);
    // Un-normalise over (channels × mel bins) per frame, the layout the statistics were taken in.
    auto flat = latent.permute({0, 2, 1, 3}).reshape({b, frames, ch * bins});
    flat = flat * statistics->named_buffers()["std-of-means"].to(flat) +
           statistics->named_buffers()["mean-of-means"].to(flat);
    auto h = flat.view({b, frames, ch, bins}).permute({0, 2, 1, 3});

    auto children = decoder->named_children();
    h = children["conv_in"]->as<CausalConv>()->forward(h);
    auto mid = children["mid"]->named_children();
    h = mid["block_1"]->as<ResnetBlock>()->forward(h);
    h = mid["block_2"]->as<ResnetBlock>()->forward(h);
    auto up = children["up"]->as<torch::nn::ModuleList>();
    for (int level = static_cast<int>(up->size()) - 1; level >= 0; --level) {
        auto stage = (*up)[static_cast<size_t>(level)]->named_children();
        for (const auto& block : *stage["block"]->as<torch::nn::ModuleList>())
            h = block->as<ResnetBlock>()->forward(h);
        if (level != 0) {
            h = torch::upsample_nearest2d(h, {h.size(2) * 2, h.size(3) * 2});
            h = stage["upsample"]->named_children()["conv"]->as<CausalConv>()->forward(h);
            // The first row along the causal axis depends only on padding: drop it (4n − 3 frames overall).
            if (c.causal == CausalAxis::Height)
                h = h.narrow(2, 1, h.size(2) - 1);
            else if (c.causal == CausalAxis::Width)
                h = h.narrow(3, 1, h.size(3) - 1);
        }
    }
    h = children["conv_out"]->as<CausalConv>()->forward(torch::silu(pixelNorm(h)));

    // Crop or zero-pad to the shape the latent stands for.
    const int64_t wantFrames = c.causal == CausalAxis::None
                                   ? frames * c.kLatentDownsample
                                   : std::max<int64_t>(frames * c.kLatentDownsample - 3, 1);
    h = h.narrow(1, 0, std::min<int64_t>(h.size(1), c.out_channels))
            .narrow(2, 0, std::min(h.size(2), wantFrames))
            .narrow(3, 0, std::min<int64_t>(h.size(3), c.mel_bins));
    if (h.size(2) < wantFrames || h.size(3) < c.mel_bins)
        h = torch::constant_pad_nd(h, {0, c.mel_bins - h.size(3), 0, wantFrames - h.size(2)});
    return h;
}

torch::Tensor resampleAudio(const torch::Tensor& waveform, int from, int to) {
    if (from <= 0 || to <= 0) throw std::invalid_argument("sample rates must be above 0");
    if (from == to) return waveform;
    constexpr double kZeroCrossings = 6, kRollOff = 0.99;
    const int64_t g = std::gcd(from, to), in = from / g, out = to / g;
    const double base = static_cast<double>(std::min(in, out)) * kRollOff;
    const auto width = static_cast<int64_t>(std::ceil(kZeroCrossings * static_cast<double>(in) / base));
    const auto dtype = waveform.scalar_type();
    // One filter per output phase, evaluated where the input samples fall (float in the waveform's dtype,
    // as torchaudio computes it).
    auto idx = torch::arange(-width, width + in, torch::TensorOptions().dtype(dtype)).view({1, 1, -1}) /
               static_cast<double>(in);
    auto t = torch::arange(0, -out, -1, torch::TensorOptions().dtype(dtype)).view({-1, 1, 1}) /
                 static_cast<double>(out) +
             idx;
    t = (t * base).clamp(-kZeroCrossings, kZeroCrossings);
    auto window = torch::cos(t * M_PI / kZeroCrossings / 2).pow(2);
    t = t * M_PI;
    auto kernel = torch::where(t == 0, torch::ones_like(t), t.sin() / t) * (window * (base / in));
    const auto shape = waveform.sizes().vec();
    auto flat = waveform.reshape({-1, shape.back()});
    const int64_t length = flat.size(1);
    auto padded = torch::constant_pad_nd(flat, {width, width + in}).unsqueeze(1);
    auto y = torch::conv1d(padded, kernel.to(waveform.device()), {}, in).transpose(1, 2).reshape({flat.size(0), -1});
    const auto wanted = static_cast<int64_t>(std::ceil(static_cast<double>(out) * length / in));
    auto outShape = shape;
    outShape.back() = wanted;
    return y.narrow(1, 0, wanted).reshape(outShape);
}

torch::Tensor logMelSpectrogram(const torch::Tensor& waveform, int rate, const AudioVaeConfig& c) {
    auto x = resampleAudio(waveform.to(torch::kFloat32), rate, c.sample_rate);
    const auto b = x.size(0), channels = x.size(1);
    auto flat = x.reshape({b * channels, x.size(2)});
    auto window = torch::hann_window(c.n_fft, torch::TensorOptions().device(x.device()));
    auto spectrum = torch::stft(flat, c.n_fft, c.hop, c.n_fft, window, /*center=*/true, "reflect",
                                /*normalized=*/false, /*onesided=*/true, /*return_complex=*/true)
                        .abs(); // [B·C, frequencies, frames]
    auto filters = melFilters(c.n_fft / 2 + 1, c.sample_rate / 2.0, c.mel_bins, c.sample_rate).to(x.device());
    auto mel = torch::matmul(spectrum.transpose(1, 2), filters); // [B·C, frames, mels]
    return torch::log(torch::clamp_min(mel, 1e-5)).view({b, channels, mel.size(1), mel.size(2)});
}

AudioEncoderImpl::AudioEncoderImpl(const AudioVaeConfig& c, const torch::TensorOptions& o) : config(c) {
    auto body = register_module("encoder", std::make_shared<torch::nn::Module>());
    encoder = body.get();
    const int levels = static_cast<int>(c.multipliers.size());
    body->register_module("conv_in", CausalConv(c.in_channels, c.channels, 3, c.causal, o));
    auto down = body->register_module("down", torch::nn::ModuleList());
    int channels = c.channels;
    for (int level = 0; level < levels; ++level) {
        auto stage = std::make_shared<torch::nn::Module>();
        auto blocks = stage->register_module("block", torch::nn::ModuleList());
        const int out = c.channels * c.multipliers[static_cast<size_t>(level)];
        for (int i = 0; i < c.res_blocks; ++i) {
            blocks->push_back(ResnetBlock(channels, out, c.causal, o));
            channels = out;
        }
        if (level != levels - 1) stage->register_module("downsample", Downsample(channels, c.causal, o));
        down->push_back(stage);
    }
    auto mid = body->register_module("mid", std::make_shared<torch::nn::Module>());
    mid->register_module("block_1", ResnetBlock(channels, channels, c.causal, o));
    mid->register_module("block_2", ResnetBlock(channels, channels, c.causal, o));
    body->register_module("conv_out",
                          CausalConv(channels, c.double_z ? 2 * c.latent_channels : c.latent_channels, 3, c.causal, o));
    auto stats = register_module("per_channel_statistics", std::make_shared<torch::nn::Module>());
    statistics = stats.get();
    stats->register_buffer("std-of-means", torch::ones({c.channels}, o));
    stats->register_buffer("mean-of-means", torch::zeros({c.channels}, o));
}

torch::Tensor AudioEncoderImpl::forward(const torch::Tensor& mel) {
    auto children = encoder->named_children();
    auto h = children["conv_in"]->as<CausalConv>()->forward(mel);
    for (const auto& stageModule : *children["down"]->as<torch::nn::ModuleList>()) {
        auto stage = stageModule->named_children();
        for (const auto& block : *stage["block"]->as<torch::nn::ModuleList>())
            h = block->as<ResnetBlock>()->forward(h);
        if (stage.contains("downsample")) h = stage["downsample"]->as<Downsample>()->forward(h);
    }
    auto mid = children["mid"]->named_children();
    h = mid["block_1"]->as<ResnetBlock>()->forward(h);
    h = mid["block_2"]->as<ResnetBlock>()->forward(h);
    h = children["conv_out"]->as<CausalConv>()->forward(torch::silu(pixelNorm(h)));
    // The means half, normalised over (channels × mel bins) per frame as the statistics were taken.
    auto means = h.narrow(1, 0, config.latent_channels);
    const int64_t b = means.size(0), ch = means.size(1), frames = means.size(2), bins = means.size(3);
    auto flat = means.permute({0, 2, 1, 3}).reshape({b, frames, ch * bins});
    flat = (flat - statistics->named_buffers()["mean-of-means"].to(flat)) /
           statistics->named_buffers()["std-of-means"].to(flat);
    return flat.view({b, frames, ch, bins}).permute({0, 2, 1, 3});
}

torch::Tensor AudioEncoderImpl::encode(const torch::Tensor& waveform, int rate) {
    auto w = waveform;
    if (w.size(1) == 1 && config.in_channels == 2) w = w.expand({w.size(0), 2, w.size(2)});
    if (w.size(1) != config.in_channels)
        throw std::invalid_argument("the audio encoder takes " + std::to_string(config.in_channels) +
                                    " channels, not " + std::to_string(w.size(1)));
    const auto dtype = encoder->parameters().front().scalar_type();
    return forward(logMelSpectrogram(w, rate, config).to(dtype));
}

AudioEncoder loadAudioEncoder(const SafetensorsFile& file, const std::string& configJson, const std::string& prefix,
                              const torch::TensorOptions& options) {
    AudioEncoder model(parseAudioVaeConfig(configJson, file.path()), options);
    loadWeights(*model->encoder, file, prefix + "encoder.");
    loadWeights(*model->statistics, file, prefix + "per_channel_statistics.");
    model->eval();
    return model;
}

AudioDecoder loadAudioDecoder(const SafetensorsFile& file, const torch::TensorOptions& options) {
    return loadAudioDecoder(file, checkpointHeader(file), "audio_vae.", options);
}

AudioDecoder loadAudioDecoder(const SafetensorsFile& file, const std::string& configJson,
                              const std::string& prefix, const torch::TensorOptions& options) {
    AudioDecoder model(parseAudioVaeConfig(configJson, file.path()), options);
    loadWeights(*model->decoder, file, prefix + "decoder.");
    loadWeights(*model->statistics, file, prefix + "per_channel_statistics.");
    model->eval();
    return model;
}

} // namespace tandem::model::ltx2
