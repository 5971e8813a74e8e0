#include "model/video_vae.h"

namespace tandem::model {

namespace F = torch::nn::functional;

namespace {

int log2Of(int v) {
    int n = 0;
    while ((1 << n) < v) ++n;
    return n;
}

// At least 8 channels per group: a group of one channel would be instance normalisation, which erases a
// frame's flat colour — exactly what a backdrop is.
int groupsFor(int channels) { return channels % 8 == 0 ? channels / 8 : 1; }

// Channel width at stage `stage` of `count` (0 = full resolution): `widest` at the latent resolution, halved
// for each 2× step towards full resolution, never below 8. Full-resolution 3-D convolutions dominate the
// cost, so the network is narrow where it is large.
int channelsAtStage(int widest, int count, int stage) { return std::max(8, widest >> (count - stage)); }

// The parameter-free shortcut of each resolution change (as in deep-compression autoencoders): channels
// repeated when they widen, averaged in groups when they narrow. With average pooling (encoder) and the
// decoder's nearest upsampling it gives pixels a nearly linear path to the latent and back, so flat
// colours — most of every frame — need no learning, and the convolutions learn the detail on top.
torch::Tensor matchChannels(const torch::Tensor& x, int64_t channels) {
    const int64_t c = x.size(1);
    if (c == channels) return x;
    if (channels % c == 0) return x.repeat_interleave(channels / c, 1);
    if (c % channels == 0) {
        auto sizes = x.sizes().vec();
        sizes[1] = channels;
        sizes.insert(sizes.begin() + 2, c / channels);
        return x.reshape(sizes).mean(2);
    }
    throw std::invalid_argument("video VAE: channel counts " + std::to_string(c) + " and " + std::to_string(channels) + " do not divide");
}

} // namespace

CausalConv3dImpl::CausalConv3dImpl(int in, int out, int kernel_, int timeStride_, int spaceStride)
    : kernel(kernel_), timeStride(timeStride_) {
    conv = register_module(
        "conv", torch::nn::Conv3d(torch::nn::Conv3dOptions(in, out, kernel).stride({timeStride_, spaceStride, spaceStride})));
}

torch::Tensor CausalConv3dImpl::forward(const torch::Tensor& x) {
    const int64_t s = kernel / 2;
    // (W left, W right, H top, H bottom, T past, T future)
    auto padded = F::pad(x, F::PadFuncOptions({s, s, s, s, kernel - timeStride, 0}).mode(torch::kReplicate));
    return conv(padded);
}

FrameGroupNormImpl::FrameGroupNormImpl(int channels) {
    norm = register_module("norm", torch::nn::GroupNorm(groupsFor(channels), channels));
}

torch::Tensor FrameGroupNormImpl::forward(const torch::Tensor& x) {
    const auto B = x.size(0), C = x.size(1), T = x.size(2), H = x.size(3), W = x.size(4);
    auto frames = x.permute({0, 2, 1, 3, 4}).reshape({B * T, C, H, W});
    return norm(frames).reshape({B, T, C, H, W}).permute({0, 2, 1, 3, 4});
}

ResBlock3dImpl::ResBlock3dImpl(int channels) {
    norm1 = register_module("norm1", FrameGroupNorm(channels));
    norm2 = register_module("norm2", FrameGroupNorm(channels));
    conv1 = register_module("conv1", CausalConv3d(channels, channels, 3));
    conv2 = register_module("conv2", CausalConv3d(channels, channels, 3));
}

torch::Tensor ResBlock3dImpl::forward(const torch::Tensor& x) {
    auto h = conv1(torch::silu(norm1(x)));
    h = conv2(torch::silu(norm2(h)));
    return x + h;
}

VideoEncoderImpl::VideoEncoderImpl(const VideoConfig& cfg) {
    const int stageCount = std::max(log2Of(cfg.spatial_compression), log2Of(cfg.temporal_compression));
    const int spatialStages = log2Of(cfg.spatial_compression);
    const int temporalStages = log2Of(cfg.temporal_compression);
    int ch = channelsAtStage(cfg.vae_channels, stageCount, 0);
    convIn = register_module("conv_in", CausalConv3d(3, ch, 3));
    stages = register_module("stages", torch::nn::ModuleList());
    for (int i = 0; i < stageCount; ++i) {
        const int next = channelsAtStage(cfg.vae_channels, stageCount, i + 1);
        auto stage = torch::nn::Sequential();
        stage->push_back(ResBlock3d(ch));
        stage->push_back(CausalConv3d(ch, next, 3, i < temporalStages ? 2 : 1, i < spatialStages ? 2 : 1));
        stages->push_back(stage);
        downsamples.emplace_back(i < spatialStages, i < temporalStages);
        ch = next;
    }
    convOut = register_module("conv_out", CausalConv3d(ch, cfg.latent_channels, 3));
    latentScale = register_buffer("latent_scale", torch::ones({cfg.latent_channels}));
}

torch::Tensor VideoEncoderImpl::forward(const torch::Tensor& pixels) {
    // The pixels themselves ride along in the first three channels, so the shortcuts below carry their
    // (pooled) colour to the latent from the first step of training.
    auto h = convIn(pixels) + F::pad(pixels, F::PadFuncOptions({0, 0, 0, 0, 0, 0, 0, convIn->conv->options.out_channels() - 3}));
    for (size_t i = 0; i < downsamples.size(); ++i) {
        const auto [spatial, temporal] = downsamples[i];
        auto y = stages[i]->as<torch::nn::Sequential>()->forward(h);
        h = y + matchChannels(F::avg_pool3d(h, F::AvgPool3dFuncOptions({temporal ? 2 : 1, spatial ? 2 : 1, spatial ? 2 : 1})), y.size(1));
    }
    // No normalisation on the main path: it would subtract each frame's mean, and with it the backdrop colour.
    auto latent = convOut(torch::silu(h)) + matchChannels(h, convOut->conv->options.out_channels());
    return latent / latentScale.reshape({1, -1, 1, 1, 1});
}

VideoDecoderImpl::VideoDecoderImpl(const VideoConfig& cfg) {
    const int stageCount = std::max(log2Of(cfg.spatial_compression), log2Of(cfg.temporal_compression));
    const int spatialStages = log2Of(cfg.spatial_compression);
    const int temporalStages = log2Of(cfg.temporal_compression);
    int ch = cfg.vae_channels;
    convIn = register_module("conv_in", CausalConv3d(cfg.latent_channels, ch, 3));
    stages = register_module("stages", torch::nn::ModuleList());
    for (int i = 0; i < stageCount; ++i) {
        // Stage i upsamples; its resolution is that of encoder stage (stageCount − 1 − i).
        const int next = channelsAtStage(cfg.vae_channels, stageCount, stageCount - 1 - i);
        upsamples.emplace_back(i < spatialStages, i < temporalStages);
        auto stage = torch::nn::Sequential();
        stage->push_back(CausalConv3d(ch, next, 3));
        stage->push_back(ResBlock3d(next));
        stages->push_back(stage);
        ch = next;
    }
    convOut = register_module("conv_out", CausalConv3d(ch, 3, 3));
    latentScale = register_buffer("latent_scale", torch::ones({cfg.latent_channels}));
}

torch::Tensor VideoDecoderImpl::forward(const torch::Tensor& scaled) {
    const auto latent = scaled * latentScale.reshape({1, -1, 1, 1, 1});
    auto h = convIn(latent) + matchChannels(latent, convIn->conv->options.out_channels());
    for (size_t i = 0; i < upsamples.size(); ++i) {
        const auto [spatial, temporal] = upsamples[i];
        // Nearest-neighbour upsampling; the causal conv that follows smooths it. Repeating each frame keeps
        // causality (a frame is built from its own latent step and earlier ones only).
        if (temporal) h = h.repeat_interleave(2, 2);
        if (spatial) h = h.repeat_interleave(2, 3).repeat_interleave(2, 4);
        auto y = stages[i]->as<torch::nn::Sequential>()->forward(h);
        h = y + matchChannels(h, y.size(1));
    }
    // And back out: the first three channels are the colour the shortcuts carried.
    return torch::tanh(convOut(torch::silu(h)) + h.narrow(1, 0, 3));
}

VideoVaeImpl::VideoVaeImpl(const VideoConfig& cfg) {
    encoder = register_module("encoder", VideoEncoder(cfg));
    decoder = register_module("decoder", VideoDecoder(cfg));
}

} // namespace tandem::model
