// Design note: LTX-2's video VAE. 128 latent channels; 32× in space (a 4 × 4 patchify, then three ×2
// stages) and 8× in time, causal: frame 0 is coded alone, then every 8 frames make one latent frame, so a
// shot has 8k + 1 frames and sides that are multiples of 32. Both halves are stacks of 3-D convolutions
// whose blocks the checkpoint header lists ("encoder_blocks", "decoder_blocks"): residual stages with pixel
// norm (RMS over channels) and SiLU, and resampling stages that move space and time into channels (encoder,
// with an averaged skip) or back out (decoder). Convolutions pad time by repeating the first frame (the
// encoder always; the decoder symmetrically unless "causal_decoder"), and space by zeros or reflection.
// Latents are normalised per channel with statistics stored beside the two halves. LTX-2 (19B) conditions
// its decoder on a small timestep with a little added noise; LTX-2.3's decoder does not.
// Tiling: a 1080p shot does not fit in memory at once, so the decoder also works tile by tile over the
// latent (time, height, width), blending overlaps with linear ramps exactly as upstream does, and hands
// frames on as soon as no later tile can touch them; the encoder tiles the same way.
// Names are upstream's: "vae.decoder.…", "vae.encoder.…", "vae.per_channel_statistics.…" in a single
// file; ComfyUI's split VAE file has the same names without "vae.".
#pragma once

#include "model/safetensors.h"

#include <torch/torch.h>

#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace tandem::model::ltx2 {

enum class VaePadding { Zeros, Reflect, Replicate };

// One entry of a header's block list, e.g. ["compress_all", {"multiplier": 2}].
struct VaeBlock {
    std::string name;      // res_x, res_x_y, attn, compress_{time,space,all}[_res|_x_y]
    int layers = 1;        // res_x
    int multiplier = 0;    // channel factor; 0 = the block's own default
    bool residual = false; // decoder compress_all
};

struct VideoVaeConfig {
    int latent_channels = 128;
    int patch_size = 4;
    std::vector<VaeBlock> encoder_blocks, decoder_blocks;
    VaePadding encoder_padding = VaePadding::Zeros, decoder_padding = VaePadding::Reflect;
    bool causal_decoder = false;
    bool timestep_conditioning = true; // upstream's default; LTX-2.3's header says false
    int decoder_base_channels = 128;
    enum class LogVariance { PerChannel, Uniform, Constant } log_variance = LogVariance::Uniform;
};

// Reads the "vae" object of a checkpoint's config JSON (upstream's defaults where a key is absent).
// Refuses by name what this port does not implement: the diffusion decoder (LTX-2.5), group norm, 2-D
// or dual convolutions, noise injection, attention inside residual stages. Throws CheckpointError.
VideoVaeConfig parseVideoVaeConfig(const std::string& configJson, const std::string& where);

// Pixels per latent cell along time and space, derived from a block list (each compress_* doubles its axes).
struct VaeScale {
    int time = 1, space = 1;
    static VaeScale of(const std::vector<VaeBlock>& blocks, int patchSize);
};

// How one axis is cut into overlapping tiles. BySize: tile and overlap in frames or pixels (multiples of
// the VAE's scale on that axis, as upstream's TileSizeConfig); ByCount: a number of tiles and an overlap
// in latent cells (TileCountConfig). Whole: not cut.
struct AxisTiling {
    enum class Kind { Whole, BySize, ByCount } kind = Kind::Whole;
    int amount = 0, overlap = 0;
    static AxisTiling whole() { return {}; }
    static AxisTiling bySize(int size, int overlap) { return {Kind::BySize, size, overlap}; }
    static AxisTiling byCount(int tiles, int overlap) { return {Kind::ByCount, tiles, overlap}; }
};
struct VaeTiling {
    AxisTiling frames, height, width;
    // Upstream's default: 80 frames overlapping by 24, 768-pixel squares overlapping by 64.
    static VaeTiling defaults();
};

// Called with each finished run of decoded frames, [frames, height, width, 3] floats in [0, 1], in order.
using FrameSink = std::function<void(const torch::Tensor&)>;

struct VideoDecoderImpl : torch::nn::Module {
    VideoDecoderImpl(const VideoVaeConfig& c, const torch::TensorOptions& options = {});
    // latent [B, C, F', H', W'] → video [B, 3, 8(F' − 1) + 1, 32 H', 32 W'] in about [−1, 1].
    // With timestep conditioning: `timestep` [B] (default 0.05) and the decode `noise` (same shape as the
    // latent; drawn from `generator` when undefined).
    torch::Tensor forward(const torch::Tensor& latent, torch::Tensor timestep = {}, torch::Tensor noise = {},
                          std::optional<at::Generator> generator = std::nullopt);
    // The same, tile by tile; frames reach `sink` as they are finished (see FrameSink).
    void decodeTiled(const torch::Tensor& latent, const VaeTiling& tiling, const FrameSink& sink,
                     torch::Tensor timestep = {}, std::optional<at::Generator> generator = std::nullopt);
    VaeScale scale() const { return VaeScale::of(config.decoder_blocks, config.patch_size); }

    VideoVaeConfig config;
    torch::nn::Module* body = nullptr;       // "decoder."
    torch::nn::Module* statistics = nullptr; // "per_channel_statistics."
};
TORCH_MODULE(VideoDecoder);

struct VideoEncoderImpl : torch::nn::Module {
    VideoEncoderImpl(const VideoVaeConfig& c, const torch::TensorOptions& options = {});
    // video [B, 3, F, H, W] in [−1, 1] → normalised latent means [B, C, (F − 1)/8 + 1, H/32, W/32]; frames
    // beyond the last 8k + 1 are dropped, as upstream does.
    torch::Tensor forward(const torch::Tensor& video);
    torch::Tensor encodeTiled(const torch::Tensor& video, const VaeTiling& tiling);
    VaeScale scale() const { return VaeScale::of(config.encoder_blocks, config.patch_size); }

    VideoVaeConfig config;
    torch::nn::Module* body = nullptr;       // "encoder."
    torch::nn::Module* statistics = nullptr; // "per_channel_statistics."
};
TORCH_MODULE(VideoEncoder);

// Where a file keeps its video VAE: "vae." in a single-file checkpoint, nothing in ComfyUI's split file.
std::string videoVaePrefix(const SafetensorsFile& file);

// The decoder / encoder the header `configJson` describes, loaded strictly from `file` under `prefix`
// (+ "decoder." / "encoder." / "per_channel_statistics."). Throws CheckpointError.
VideoDecoder loadVideoDecoder(const SafetensorsFile& file, const std::string& configJson,
                              const std::string& prefix, const torch::TensorOptions& options = {});
VideoEncoder loadVideoEncoder(const SafetensorsFile& file, const std::string& configJson,
                              const std::string& prefix, const torch::TensorOptions& options = {});
// The same, from the file's own "config" metadata and layout.
VideoDecoder loadVideoDecoder(const SafetensorsFile& file, const torch::TensorOptions& options = {});
VideoEncoder loadVideoEncoder(const SafetensorsFile& file, const torch::TensorOptions& options = {});

} // namespace tandem::model::ltx2
