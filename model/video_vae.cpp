#include "model/video_vae.h"

namespace tandem::model {

namespace F = torch::nn::functional;

namespace {

int log2Of(int v) {
    int n = 0;
    while ((1 << n) < v) ++n;
    return n;
}

int groupsFor(int channels) { return channels % 8 == 0 ? 8 : 1; }

// Channel width at stage `stage` of `count` (0 = full resolution): `widest` at the latent resolution, halved
// for each 2× step towards full resolution, never below 8. Full-resolution 3-D convolutions dominate the
// cost, so the network is narrow where it is large.
int channelsAtStage(int widest, int count, int stage) { return std::max(8, widest >> (count - stage)); }

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
        ch = next;
    }
    normOut = register_module("norm_out", FrameGroupNorm(ch));
    convOut = register_module("conv_out", CausalConv3d(ch, cfg.latent_channels, 3));
}

torch::Tensor VideoEncoderImpl::forward(const torch::Tensor& pixels) {
    auto h = convIn(pixels);
    for (const auto& stage : *stages) h = stage->as<torch::nn::Sequential>()->forward(h);
    return convOut(torch::silu(normOut(h)));
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
    normOut = register_module("norm_out", FrameGroupNorm(ch));
    convOut = register_module("conv_out", CausalConv3d(ch, 3, 3));
}

torch::Tensor VideoDecoderImpl::forward(const torch::Tensor& latent) {
    auto h = convIn(latent);
    for (size_t i = 0; i < upsamples.size(); ++i) {
        const auto [spatial, temporal] = upsamples[i];
        // Nearest-neighbour upsampling; the causal conv that follows smooths it. Repeating each frame keeps
        // causality (a frame is built from its own latent step and earlier ones only).
        if (temporal) h = h.repeat_interleave(2, 2);
        if (spatial) h = h.repeat_interleave(2, 3).repeat_interleave(2, 4);
        h = stages[i]->as<torch::nn::Sequential>()->forward(h);
    }
    return torch::tanh(convOut(torch::silu(normOut(h))));
}

VideoVaeImpl::VideoVaeImpl(const VideoConfig& cfg) {
    encoder = register_module("encoder", VideoEncoder(cfg));
    decoder = register_module("decoder", VideoDecoder(cfg));
}

} // namespace tandem::model
