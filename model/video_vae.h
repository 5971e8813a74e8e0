// Design note: the video VAE. Causal 3-D convolutions (a frame never sees the future, so the first latent
// step encodes the first frames alone and extension can continue from latents) with configurable spatial
// (e.g. 8×) and temporal (e.g. 4×) compression, each a power of two reached by 2× stages.
// Pixels are RGB in [-1, 1], laid out [B, 3, T, H, W]; latents [B, C, T/tc, H/sc, W/sc].
#pragma once

#include "model/config.h"

#include <torch/torch.h>

namespace tandem::model {

// Conv3d whose time axis is padded only on the past side (by replicating the first frame). With a time
// stride s, output step j sees input frames up to s·j + s − 1: the block it summarises and earlier ones,
// never a later block ("block-causal"), so latent step j covers exactly frames [tc·j, tc·(j+1)).
// `timeKernel` 1 makes it a per-frame 2-D convolution (used at full resolution, where 3-D kernels would
// triple the cost of the largest tensors; motion is mixed at the coarser stages).
struct CausalConv3dImpl : torch::nn::Module {
    CausalConv3dImpl(int in, int out, int kernel, int timeStride = 1, int spaceStride = 1, int timeKernel = -1);
    torch::Tensor forward(const torch::Tensor& x);
    int kernel, timeKernel, timeStride;
    torch::nn::Conv3d conv{nullptr};
};
TORCH_MODULE(CausalConv3d);

// Group normalisation computed per frame; normalising over time would let later frames change earlier ones.
struct FrameGroupNormImpl : torch::nn::Module {
    explicit FrameGroupNormImpl(int channels);
    torch::Tensor forward(const torch::Tensor& x);
    torch::nn::GroupNorm norm{nullptr};
};
TORCH_MODULE(FrameGroupNorm);

struct ResBlock3dImpl : torch::nn::Module {
    explicit ResBlock3dImpl(int channels, int timeKernel = 3);
    torch::Tensor forward(const torch::Tensor& x);
    FrameGroupNorm norm1{nullptr}, norm2{nullptr};
    CausalConv3d conv1{nullptr}, conv2{nullptr};
};
TORCH_MODULE(ResBlock3d);

struct VideoEncoderImpl : torch::nn::Module {
    explicit VideoEncoderImpl(const VideoConfig& cfg);
    torch::Tensor forward(const torch::Tensor& pixels); // → latent mean
    std::vector<std::pair<bool, bool>> downsamples;     // per stage: (spatial ÷2, temporal ÷2)
    torch::nn::ModuleList stages;
    CausalConv3d convIn{nullptr}, convOut{nullptr};
    torch::Tensor latentScale; // [C]; latents are divided by it so they come out near unit RMS (set in training)
    int patch = 1;
};
TORCH_MODULE(VideoEncoder);

struct VideoDecoderImpl : torch::nn::Module {
    explicit VideoDecoderImpl(const VideoConfig& cfg);
    torch::Tensor forward(const torch::Tensor& latent); // → pixels in [-1, 1]
    std::vector<std::pair<bool, bool>> upsamples;       // per stage: (spatial ×2, temporal ×2)
    torch::nn::ModuleList stages;
    CausalConv3d convIn{nullptr}, convOut{nullptr};
    torch::Tensor latentScale; // [C]; the encoder's, multiplied back before decoding
    int patch = 1;
};
TORCH_MODULE(VideoDecoder);

struct VideoVaeImpl : torch::nn::Module {
    explicit VideoVaeImpl(const VideoConfig& cfg);
    VideoEncoder encoder{nullptr};
    VideoDecoder decoder{nullptr};
};
TORCH_MODULE(VideoVae);

} // namespace tandem::model
