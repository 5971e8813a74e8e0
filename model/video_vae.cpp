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
// x with each element of axis `dim` repeated `times` in place (as repeat_interleave, which LibTorch runs
// about seven times slower on the CPU than this view-and-copy).
torch::Tensor repeatEach(const torch::Tensor& x, int64_t dim, int64_t times) {
    auto sizes = x.sizes().vec();
    auto expanded = sizes;
    expanded.insert(expanded.begin() + dim + 1, times);
    auto target = sizes;
    target[size_t(dim)] *= times;
    return x.unsqueeze(dim + 1).expand(expanded).reshape(target);
}

torch::Tensor matchChannels(const torch::Tensor& x, int64_t channels) {
    const int64_t c = x.size(1);
    if (c == channels) return x;
    if (channels % c == 0) return repeatEach(x, 1, channels / c);
    if (c % channels == 0) {
        auto sizes = x.sizes().vec();
        sizes[1] = channels;
        sizes.insert(sizes.begin() + 2, c / channels);
        return x.reshape(sizes).mean(2);
    }
    throw std::invalid_argument("video VAE: channel counts " + std::to_string(c) + " and " + std::to_string(channels) + " do not divide");
}

// [B, C, T, H, W] → [B, C·p·p, T, H/p, W/p]: each p × p patch folded into channels (colour-major, so the
// channels of one colour are consecutive) — and back.
torch::Tensor foldPatches(const torch::Tensor& x, int p) {
    if (p == 1) return x;
    const auto B = x.size(0), C = x.size(1), T = x.size(2), H = x.size(3), W = x.size(4);
    return x.reshape({B, C, T, H / p, p, W / p, p}).permute({0, 1, 4, 6, 2, 3, 5}).reshape({B, C * p * p, T, H / p, W / p});
}
torch::Tensor unfoldPatches(const torch::Tensor& x, int p) {
    if (p == 1) return x;
    const auto B = x.size(0), C = x.size(1) / (p * p), T = x.size(2), h = x.size(3), w = x.size(4);
    return x.reshape({B, C, p, p, T, h, w}).permute({0, 1, 4, 5, 2, 6, 3}).reshape({B, C, T, h * p, w * p});
}

// Time kernel of the residual blocks at stage `stage` (0 = full resolution) of `count`: 3-D at the
// `temporalStages` lowest-resolution stages (all of them when 0), per-frame 2-D above. Motion is modelled
// where it is cheap; the large tensors get spatial detail only (3-D kernels there would triple the cost of
// the whole network). Convolutions that change the frame rate are always 3-D.
int timeKernelAt(int stage, int count, int temporalStages) {
    return temporalStages == 0 || count - stage <= temporalStages ? 3 : 1;
}

} // namespace

CausalConv3dImpl::CausalConv3dImpl(int in, int out, int kernel_, int timeStride_, int spaceStride, int timeKernel_)
    : kernel(kernel_), timeKernel(timeKernel_ < 0 ? kernel_ : timeKernel_), timeStride(timeStride_) {
    conv = register_module("conv", torch::nn::Conv3d(torch::nn::Conv3dOptions(in, out, {timeKernel, kernel, kernel})
                                                         .stride({timeStride_, spaceStride, spaceStride})));
}

torch::Tensor CausalConv3dImpl::forward(const torch::Tensor& x) {
    const int64_t s = kernel / 2;
    // (W left, W right, H top, H bottom, T past, T future)
    auto padded = F::pad(x, F::PadFuncOptions({s, s, s, s, std::max(0, timeKernel - timeStride), 0}).mode(torch::kReplicate));
    return conv(padded);
}

FrameGroupNormImpl::FrameGroupNormImpl(int channels) {
    norm = register_module("norm", torch::nn::GroupNorm(groupsFor(channels), channels));
}

torch::Tensor FrameGroupNormImpl::forward(const torch::Tensor& x) {
    const auto B = x.size(0), C = x.size(1), T = x.size(2), H = x.size(3), W = x.size(4);
    auto frames = x.permute({0, 2, 1, 3, 4}).reshape({B * T, C, H, W});
    // In the weights' type: under the CPU's bf16 autocast the convolutions hand over bf16, which LibTorch's
    // group norm refuses beside fp32 weights (and statistics are better taken in fp32 anyway).
    return norm(frames.to(norm->weight.scalar_type())).reshape({B, T, C, H, W}).permute({0, 2, 1, 3, 4});
}

ResBlock3dImpl::ResBlock3dImpl(int channels, int timeKernel) {
    norm1 = register_module("norm1", FrameGroupNorm(channels));
    norm2 = register_module("norm2", FrameGroupNorm(channels));
    conv1 = register_module("conv1", CausalConv3d(channels, channels, 3, 1, 1, timeKernel));
    conv2 = register_module("conv2", CausalConv3d(channels, channels, 3, 1, 1, timeKernel));
}

torch::Tensor ResBlock3dImpl::forward(const torch::Tensor& x) {
    auto h = conv1(torch::silu(norm1(x)));
    h = conv2(torch::silu(norm2(h)));
    return x + h;
}

VideoEncoderImpl::VideoEncoderImpl(const VideoConfig& cfg) : patch(cfg.vae_patch) {
    const int spatialStages = log2Of(cfg.spatial_compression / cfg.vae_patch);
    const int temporalStages = log2Of(cfg.temporal_compression);
    const int stageCount = std::max(spatialStages, temporalStages);
    int ch = channelsAtStage(cfg.vae_channels, stageCount, 0);
    convIn = register_module("conv_in", CausalConv3d(3 * patch * patch, ch, 3, 1, 1, timeKernelAt(0, stageCount, cfg.vae_temporal_stages)));
    stages = register_module("stages", torch::nn::ModuleList());
    for (int i = 0; i < stageCount; ++i) {
        const int next = channelsAtStage(cfg.vae_channels, stageCount, i + 1);
        auto stage = torch::nn::Sequential();
        stage->push_back(ResBlock3d(ch, timeKernelAt(i, stageCount, cfg.vae_temporal_stages)));
        stage->push_back(CausalConv3d(ch, next, 3, i < temporalStages ? 2 : 1, i < spatialStages ? 2 : 1));
        stages->push_back(stage);
        downsamples.emplace_back(i < spatialStages, i < temporalStages);
        ch = next;
    }
    convOut = register_module("conv_out", CausalConv3d(ch, cfg.latent_channels, 3));
    latentScale = register_buffer("latent_scale", torch::ones({cfg.latent_channels}));
}

torch::Tensor VideoEncoderImpl::forward(const torch::Tensor& pixels) {
    auto folded = foldPatches(pixels, patch);
    // The pixels themselves (each patch's mean colour) ride along in the first three channels, so the
    // shortcuts below carry their pooled colour to the latent from the first step of training.
    auto colour = matchChannels(folded, 3);
    auto h = convIn(folded) + F::pad(colour, F::PadFuncOptions({0, 0, 0, 0, 0, 0, 0, convIn->conv->options.out_channels() - 3}));
    for (size_t i = 0; i < downsamples.size(); ++i) {
        const auto [spatial, temporal] = downsamples[i];
        auto y = stages[i]->as<torch::nn::Sequential>()->forward(h);
        h = y + matchChannels(F::avg_pool3d(h, F::AvgPool3dFuncOptions({temporal ? 2 : 1, spatial ? 2 : 1, spatial ? 2 : 1})), y.size(1));
    }
    // No normalisation on the main path: it would subtract each frame's mean, and with it the backdrop colour.
    auto latent = convOut(torch::silu(h)) + matchChannels(h, convOut->conv->options.out_channels());
    return latent / latentScale.reshape({1, -1, 1, 1, 1});
}

VideoDecoderImpl::VideoDecoderImpl(const VideoConfig& cfg) : patch(cfg.vae_patch) {
    const int spatialStages = log2Of(cfg.spatial_compression / cfg.vae_patch);
    const int temporalStages = log2Of(cfg.temporal_compression);
    const int stageCount = std::max(spatialStages, temporalStages);
    int ch = cfg.vae_channels;
    convIn = register_module("conv_in", CausalConv3d(cfg.latent_channels, ch, 3));
    stages = register_module("stages", torch::nn::ModuleList());
    for (int i = 0; i < stageCount; ++i) {
        // Stage i upsamples; its resolution is that of encoder stage (stageCount − 1 − i).
        const int next = channelsAtStage(cfg.vae_channels, stageCount, stageCount - 1 - i);
        upsamples.emplace_back(i < spatialStages, i < temporalStages);
        // Stage i works at the resolution of encoder stage (stageCount − 1 − i). Its first convolution mixes
        // time whenever the stage doubled the frame rate: it must tell the repeated frames apart.
        const int timeKernel = timeKernelAt(stageCount - 1 - i, stageCount, cfg.vae_temporal_stages);
        auto stage = torch::nn::Sequential();
        stage->push_back(CausalConv3d(ch, next, 3, 1, 1, i < temporalStages ? 3 : timeKernel));
        for (int b = 0; b < cfg.vae_decoder_blocks; ++b) stage->push_back(ResBlock3d(next, timeKernel));
        stages->push_back(stage);
        ch = next;
    }
    convOut = register_module("conv_out", CausalConv3d(ch, 3 * patch * patch, 3, 1, 1, timeKernelAt(0, stageCount, cfg.vae_temporal_stages)));
    latentScale = register_buffer("latent_scale", torch::ones({cfg.latent_channels}));
}

torch::Tensor VideoDecoderImpl::forward(const torch::Tensor& scaled) {
    const auto latent = scaled * latentScale.reshape({1, -1, 1, 1, 1});
    auto h = convIn(latent) + matchChannels(latent, convIn->conv->options.out_channels());
    for (size_t i = 0; i < upsamples.size(); ++i) {
        const auto [spatial, temporal] = upsamples[i];
        // Nearest-neighbour upsampling; the causal conv that follows smooths it. Repeating each frame keeps
        // causality (a frame is built from its own latent step and earlier ones only).
        if (temporal) h = repeatEach(h, 2, 2);
        if (spatial) h = repeatEach(repeatEach(h, 3, 2), 4, 2);
        auto y = stages[i]->as<torch::nn::Sequential>()->forward(h);
        h = y + matchChannels(h, y.size(1));
    }
    // And back out: the first three channels are the colour the shortcuts carried (spread over each patch).
    return torch::tanh(unfoldPatches(convOut(torch::silu(h)) + repeatEach(h.narrow(1, 0, 3), 1, patch * patch), patch));
}

VideoVaeImpl::VideoVaeImpl(const VideoConfig& cfg) {
    encoder = register_module("encoder", VideoEncoder(cfg));
    decoder = register_module("decoder", VideoDecoder(cfg));
}

} // namespace tandem::model
