#include "model/ltx2/audio_vae.h"

#include "model/checkpoint.h"
#include "model/ltx2/config.h"

#include <nlohmann/json.hpp>

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
        c.mel_bins <= 0)
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
