#include "model/ltx2/video_vae.h"

#include "model/checkpoint.h"
#include "model/ltx2/config.h"
#include "model/ltx2/transformer.h"

#include <nlohmann/json.hpp>

#include <cmath>

namespace tandem::model::ltx2 {

using nlohmann::json;
using torch::indexing::Slice;

namespace {

using Stride = std::array<int64_t, 3>; // time, height, width
constexpr Stride kUnit{1, 1, 1};

torch::Tensor pixelNorm(const torch::Tensor& x) {
    return x / torch::sqrt(x.pow(2).mean(1, true) + 1e-8);
}

torch::Tensor parameter(torch::nn::Module& m, const char* name, std::vector<int64_t> shape,
                        const torch::TensorOptions& o) {
    return m.register_parameter(name, torch::empty(shape, o), /*requires_grad=*/false);
}

// A 3 × 3 × 3 convolution whose time axis is padded by repeating frames: the first one twice when causal,
// else the first and the last once; space is padded by one cell (zeros, reflection or replication).
torch::Tensor causalConv3d(const torch::Tensor& x, const torch::Tensor& weight, const torch::Tensor& bias,
                           Stride stride, VaePadding padding, bool causal) {
    const int64_t frames = x.size(2);
    auto padded = causal ? torch::cat({x.narrow(2, 0, 1).expand({-1, -1, 2, -1, -1}), x}, 2)
                         : torch::cat({x.narrow(2, 0, 1), x, x.narrow(2, frames - 1, 1)}, 2);
    std::vector<int64_t> spatial{0, 1, 1};
    if (padding == VaePadding::Reflect) {
        padded = torch::reflection_pad3d(padded, {1, 1, 1, 1, 0, 0});
        spatial = {0, 0, 0};
    } else if (padding == VaePadding::Replicate) {
        padded = torch::replication_pad3d(padded, {1, 1, 1, 1, 0, 0});
        spatial = {0, 0, 0};
    }
    return torch::conv3d(padded, weight, bias, {stride[0], stride[1], stride[2]}, spatial);
}

// Upstream's CausalConv3d: the convolution's tensors under "conv.weight", "conv.bias".
struct CausalConv3dImpl : torch::nn::Module {
    CausalConv3dImpl(int64_t in, int64_t out, Stride stride_, VaePadding padding_,
                     const torch::TensorOptions& o)
        : stride(stride_), padding(padding_) {
        auto conv = register_module("conv", std::make_shared<torch::nn::Module>());
        weight = parameter(*conv, "weight", {out, in, 3, 3, 3}, o);
        bias = parameter(*conv, "bias", {out}, o);
    }
    torch::Tensor forward(const torch::Tensor& x, bool causal) {
        return causalConv3d(x, weight, bias, stride, padding, causal);
    }
    Stride stride;
    VaePadding padding;
    torch::Tensor weight, bias;
};
TORCH_MODULE(CausalConv3d);

// One stage of a block list. `timestep` is the decoder's scaled timestep [B] (undefined without
// timestep conditioning); only residual stages (res_x) read it.
struct Stage : torch::nn::Module {
    virtual torch::Tensor run(const torch::Tensor& x, bool causal, const torch::Tensor& timestep) = 0;
};

// A strided convolution as a stage of its own (the encoder's plain compress_* blocks), named as one.
struct ConvStage : Stage {
    ConvStage(int64_t in, int64_t out, Stride stride_, VaePadding padding_, const torch::TensorOptions& o)
        : stride(stride_), padding(padding_) {
        auto conv = register_module("conv", std::make_shared<torch::nn::Module>());
        weight = parameter(*conv, "weight", {out, in, 3, 3, 3}, o);
        bias = parameter(*conv, "bias", {out}, o);
    }
    torch::Tensor run(const torch::Tensor& x, bool causal, const torch::Tensor&) override {
        return causalConv3d(x, weight, bias, stride, padding, causal);
    }
    Stride stride;
    VaePadding padding;
    torch::Tensor weight, bias;
};

// Residual block: pixel norm, (timestep shift/scale), SiLU, conv, twice; a 1 × 1 × 1 projection of the
// layer-normed input when the width changes.
struct ResnetBlock : Stage {
    ResnetBlock(int64_t in, int64_t out, bool timestepConditioning, VaePadding padding,
                const torch::TensorOptions& o)
        : channels(in) {
        conv1 = register_module("conv1", CausalConv3d(in, out, kUnit, padding, o));
        conv2 = register_module("conv2", CausalConv3d(out, out, kUnit, padding, o));
        if (in != out) {
            auto norm3 = register_module("norm3", std::make_shared<torch::nn::Module>());
            normWeight = parameter(*norm3, "weight", {in}, o);
            normBias = parameter(*norm3, "bias", {in}, o);
            auto shortcut = register_module("conv_shortcut", std::make_shared<torch::nn::Module>());
            shortcutWeight = parameter(*shortcut, "weight", {out, in, 1, 1, 1}, o);
            shortcutBias = parameter(*shortcut, "bias", {out}, o);
        }
        if (timestepConditioning) table = parameter(*this, "scale_shift_table", {4, in}, o);
    }
    // embedded: [B, 4 · in] or undefined.
    torch::Tensor run(const torch::Tensor& x, bool causal, const torch::Tensor& embedded) override {
        auto h = pixelNorm(x);
        std::vector<torch::Tensor> ada;
        if (table.defined()) {
            const int64_t b = x.size(0);
            auto values = table.to(h.dtype()).view({1, 4, channels, 1, 1, 1}) +
                          embedded.to(h.dtype()).view({b, 4, channels, 1, 1, 1});
            ada = values.unbind(1); // shift1, scale1, shift2, scale2
            h = h * (1 + ada[1]) + ada[0];
        }
        h = conv1->forward(torch::silu(h), causal);
        h = pixelNorm(h);
        if (table.defined()) h = h * (1 + ada[3]) + ada[2];
        h = conv2->forward(torch::silu(h), causal);
        auto skip = x;
        if (shortcutWeight.defined()) {
            skip = torch::group_norm(skip, 1, normWeight, normBias, 1e-6);
            skip = torch::conv3d(skip, shortcutWeight, shortcutBias);
        }
        return skip + h;
    }
    int64_t channels;
    CausalConv3d conv1{nullptr}, conv2{nullptr};
    torch::Tensor normWeight, normBias, shortcutWeight, shortcutBias, table;
};

// res_x: residual blocks of one width, sharing one timestep embedding (4 · width: two shift/scale pairs).
struct MidBlock : Stage {
    MidBlock(int64_t width, int layers, bool timestepConditioning, VaePadding padding,
             const torch::TensorOptions& o) {
        if (timestepConditioning)
            timeEmbedder =
                register_module("time_embedder", TimestepEmbedding(static_cast<int>(width * 4), o));
        auto list = register_module("res_blocks", torch::nn::ModuleList());
        for (int i = 0; i < layers; ++i) {
            blocks.push_back(std::make_shared<ResnetBlock>(width, width, timestepConditioning, padding, o));
            list->push_back(blocks.back());
        }
    }
    torch::Tensor run(const torch::Tensor& x, bool causal, const torch::Tensor& timestep) override {
        torch::Tensor embedded;
        if (timeEmbedder) embedded = timeEmbedder->forward(timestep.flatten(), x.scalar_type());
        auto h = x;
        for (auto& block : blocks)
            h = block->run(h, causal, embedded);
        return h;
    }
    TimestepEmbedding timeEmbedder{nullptr};
    std::vector<std::shared_ptr<ResnetBlock>> blocks;
};

// "b (c p1 p2 p3) d h w -> b c (d p1) (h p2) (w p3)" and its inverse.
torch::Tensor depthToSpace(const torch::Tensor& x, Stride s) {
    const int64_t b = x.size(0), d = x.size(2), h = x.size(3), w = x.size(4);
    const int64_t c = x.size(1) / (s[0] * s[1] * s[2]);
    return x.reshape({b, c, s[0], s[1], s[2], d, h, w})
        .permute({0, 1, 5, 2, 6, 3, 7, 4})
        .reshape({b, c, d * s[0], h * s[1], w * s[2]});
}
torch::Tensor spaceToDepth(const torch::Tensor& x, Stride s) {
    const int64_t b = x.size(0), c = x.size(1);
    const int64_t d = x.size(2) / s[0], h = x.size(3) / s[1], w = x.size(4) / s[2];
    return x.reshape({b, c, d, s[0], h, s[1], w, s[2]})
        .permute({0, 1, 3, 5, 7, 2, 4, 6})
        .reshape({b, c * s[0] * s[1] * s[2], d, h, w});
}

// Decoder upsampling: a convolution to stride-product × width / reduction channels moved into space and
// time; when time doubles, the first frame (the causal padding's echo) is dropped. Optionally residual:
// the input itself, moved the same way and repeated to the output width.
struct DepthToSpaceUpsample : Stage {
    DepthToSpaceUpsample(int64_t in, Stride s, bool residual_, int64_t reduction_, VaePadding padding,
                         const torch::TensorOptions& o)
        : stride(s), residual(residual_), reduction(reduction_) {
        conv =
            register_module("conv", CausalConv3d(in, s[0] * s[1] * s[2] * in / reduction, kUnit, padding, o));
    }
    torch::Tensor run(const torch::Tensor& x, bool causal, const torch::Tensor&) override {
        torch::Tensor skip;
        if (residual) {
            skip =
                depthToSpace(x, stride).repeat({1, stride[0] * stride[1] * stride[2] / reduction, 1, 1, 1});
            if (stride[0] == 2) skip = skip.narrow(2, 1, skip.size(2) - 1);
        }
        auto h = depthToSpace(conv->forward(x, causal), stride);
        if (stride[0] == 2) h = h.narrow(2, 1, h.size(2) - 1);
        return residual ? h + skip : h;
    }
    Stride stride;
    bool residual;
    int64_t reduction;
    CausalConv3d conv{nullptr};
};

// Encoder downsampling: space and time moved into channels, both from a convolution and, as a skip, from
// the input itself averaged over channel groups; when time halves, the first frame is doubled first.
struct SpaceToDepthDownsample : Stage {
    SpaceToDepthDownsample(int64_t in, int64_t out, Stride s, VaePadding padding,
                           const torch::TensorOptions& o)
        : stride(s), groupSize(in * s[0] * s[1] * s[2] / out) {
        conv = register_module("conv", CausalConv3d(in, out / (s[0] * s[1] * s[2]), kUnit, padding, o));
    }
    torch::Tensor run(const torch::Tensor& input, bool causal, const torch::Tensor&) override {
        auto x = stride[0] == 2 ? torch::cat({input.narrow(2, 0, 1), input}, 2) : input;
        auto skip = spaceToDepth(x, stride);
        skip = skip.view({skip.size(0), skip.size(1) / groupSize, groupSize, skip.size(2), skip.size(3),
                          skip.size(4)})
                   .mean(2);
        return spaceToDepth(conv->forward(x, causal), stride) + skip;
    }
    Stride stride;
    int64_t groupSize;
    CausalConv3d conv{nullptr};
};

// Single-head self-attention within each frame (no exchange across frames), RMS-normed with a gain.
struct AttnBlock : Stage {
    AttnBlock(int64_t c, const torch::TensorOptions& o) : channels(c) {
        auto norm = register_module("norm", std::make_shared<torch::nn::Module>());
        gamma = parameter(*norm, "gamma", {c, 1, 1}, o);
        auto qkv = register_module("to_qkv", std::make_shared<torch::nn::Module>());
        qkvWeight = parameter(*qkv, "weight", {3 * c, c, 1, 1}, o);
        qkvBias = parameter(*qkv, "bias", {3 * c}, o);
        auto proj = register_module("proj", std::make_shared<torch::nn::Module>());
        projWeight = parameter(*proj, "weight", {c, c, 1, 1}, o);
        projBias = parameter(*proj, "bias", {c}, o);
    }
    torch::Tensor run(const torch::Tensor& input, bool, const torch::Tensor&) override {
        const int64_t b = input.size(0), c = input.size(1), t = input.size(2), h = input.size(3),
                      w = input.size(4);
        auto x = input.permute({0, 2, 1, 3, 4}).reshape({b * t, c, h, w});
        // F.normalize: x / max(‖x‖, 1e-12) over channels.
        x = x / x.norm(2, 1, true).clamp_min(1e-12) * (std::sqrt(static_cast<double>(c)) * gamma);
        auto qkv = torch::conv2d(x, qkvWeight, qkvBias).flatten(2).transpose(1, 2); // [bt, hw, 3c]
        auto parts = qkv.chunk(3, -1);
        auto scores = torch::matmul(parts[0], parts[1].transpose(1, 2)) / std::sqrt(static_cast<double>(c));
        auto out =
            torch::matmul(torch::softmax(scores, -1), parts[2]).transpose(1, 2).reshape({b * t, c, h, w});
        out = torch::conv2d(out, projWeight, projBias);
        return input + out.view({b, t, c, h, w}).permute({0, 2, 1, 3, 4});
    }
    int64_t channels;
    torch::Tensor gamma, qkvWeight, qkvBias, projWeight, projBias;
};

Stride strideOf(const std::string& name) {
    if (name.rfind("compress_time", 0) == 0) return {2, 1, 1};
    if (name.rfind("compress_space", 0) == 0) return {1, 2, 2};
    return {2, 2, 2};
}

int multiplierOr(const VaeBlock& b, int fallback) {
    return b.multiplier > 0 ? b.multiplier : fallback;
}

// "b c (f p) (h q) (w r) -> b (c p r q) f h w" with p = 1, and its inverse.
torch::Tensor patchify(const torch::Tensor& x, int64_t p) {
    if (p == 1) return x;
    const int64_t b = x.size(0), c = x.size(1), f = x.size(2), h = x.size(3) / p, w = x.size(4) / p;
    return x.reshape({b, c, f, h, p, w, p}).permute({0, 1, 6, 4, 2, 3, 5}).reshape({b, c * p * p, f, h, w});
}
torch::Tensor unpatchify(const torch::Tensor& x, int64_t p) {
    if (p == 1) return x;
    const int64_t b = x.size(0), c = x.size(1) / (p * p), f = x.size(2), h = x.size(3), w = x.size(4);
    return x.reshape({b, c, p, p, f, h, w}).permute({0, 1, 4, 5, 3, 6, 2}).reshape({b, c, f, h * p, w * p});
}

torch::Tensor channelVector(torch::nn::Module& statistics, const char* name, const torch::Tensor& like) {
    return statistics.named_buffers()[name].to(like).view({1, -1, 1, 1, 1});
}

// ---- tiling ---------------------------------------------------------------------------------------

struct Interval {
    int64_t start, end, left, right; // latent cells; ramps are the blended cells at either end
};

std::vector<Interval> whole(int64_t length) {
    return {{0, length, 0, 0}};
}

std::vector<Interval> splitBySize(int64_t length, int64_t size, int64_t overlap) {
    if (length <= size) return whole(length);
    const int64_t step = size - overlap, amount = (length + size - 2 * overlap - 1) / step;
    std::vector<Interval> out{{0, size, 0, overlap}};
    for (int64_t i = 1; i < amount - 1; ++i)
        out.push_back({i * step, i * step + size, overlap, overlap});
    out.push_back({(amount - 1) * step, length, overlap, 0});
    return out;
}

std::vector<Interval> splitByCount(int64_t length, int64_t tiles, int64_t overlap) {
    if (tiles > length)
        throw std::invalid_argument("VAE tiling: " + std::to_string(tiles) + " tiles on an axis of " +
                                    std::to_string(length) + " latent cells");
    if (tiles == 1) return whole(length);
    const int64_t total = length + overlap * (tiles - 1), size = total / tiles, remainder = total % tiles;
    if (size <= overlap) throw std::invalid_argument("VAE tiling: the overlap is not smaller than a tile");
    auto base = splitBySize(length - remainder, size, overlap);
    for (size_t i = 0; i < base.size(); ++i) { // the first `remainder` tiles take one cell more each
        const int64_t shift = std::min<int64_t>(static_cast<int64_t>(i), remainder);
        base[i].start += shift;
        base[i].end += shift + (static_cast<int64_t>(i) < remainder ? 1 : 0);
    }
    return base;
}

// Each temporal tile after the first starts one latent frame earlier, so its causal first frame is a
// frame the previous tile also decoded.
std::vector<Interval> causalShift(std::vector<Interval> intervals) {
    for (size_t i = 1; i < intervals.size(); ++i) {
        intervals[i].start -= 1;
        intervals[i].left += 1;
    }
    return intervals;
}

std::vector<Interval> splitAxis(const AxisTiling& t, int64_t length, int64_t factor, bool temporal,
                                const char* axis) {
    using Kind = AxisTiling::Kind;
    const std::string name(axis);
    switch (t.kind) {
    case Kind::Whole:
        return whole(length);
    case Kind::BySize: {
        if (t.amount < 2 * factor || t.amount % factor != 0 || t.overlap % factor != 0 || t.overlap < 0 ||
            t.overlap >= t.amount)
            throw std::invalid_argument("VAE tiling: " + name + " tiles of " + std::to_string(t.amount) +
                                        " overlapping by " + std::to_string(t.overlap) +
                                        " (need multiples of " + std::to_string(factor) +
                                        ", at least two, overlap below the tile)");
        const int64_t overlap = t.overlap / factor;
        const int64_t size = std::max<int64_t>(std::max<int64_t>(2, overlap + 1), t.amount / factor);
        if (temporal) return length <= size ? whole(length) : causalShift(splitBySize(length, size, overlap));
        return splitBySize(length, size, overlap);
    }
    case Kind::ByCount: {
        if (t.amount < 1 || t.overlap < 0)
            throw std::invalid_argument("VAE tiling: " + name +
                                        " needs at least one tile and a non-negative overlap");
        if (t.amount == 1 && t.overlap == 0) return whole(length);
        auto intervals = splitByCount(length, t.amount, t.overlap);
        return temporal && intervals.size() > 1 ? causalShift(intervals) : intervals;
    }
    }
    return whole(length);
}

// Upstream's 1-D blend window: ones, with linear ramps in and out (a temporal tile's ramp starts at 0).
torch::Tensor trapezoid(int64_t length, int64_t left, int64_t right, bool leftFromZero) {
    left = std::clamp<int64_t>(left, 0, length);
    right = std::clamp<int64_t>(right, 0, length);
    auto mask = torch::ones({length});
    if (left > 0) {
        auto fadeIn = torch::linspace(0.0, 1.0, leftFromZero ? left + 1 : left + 2)
                          .narrow(0, 0, leftFromZero ? left : left + 1);
        if (!leftFromZero) fadeIn = fadeIn.narrow(0, 1, left);
        mask.narrow(0, 0, left).mul_(fadeIn);
    }
    if (right > 0)
        mask.narrow(0, length - right, right).mul_(torch::linspace(1.0, 0.0, right + 2).narrow(0, 1, right));
    return mask.clamp_(0, 1);
}

// A latent interval's pixel extent and blend window (upstream's map_temporal_slice / map_spatial_slice).
struct PixelSpan {
    int64_t start, stop;
    torch::Tensor mask;
};
PixelSpan temporalSpan(const Interval& i, int64_t scale) {
    const int64_t start = i.start * scale, stop = 1 + (i.end - 1) * scale;
    const int64_t left = i.left == 0 ? 0 : 1 + (i.left - 1) * scale;
    return {start, stop, trapezoid(stop - start, left, i.right * scale, true)};
}
PixelSpan spatialSpan(const Interval& i, int64_t scale) {
    const int64_t start = i.start * scale, stop = i.end * scale;
    return {start, stop, trapezoid(stop - start, i.left * scale, i.right * scale, false)};
}

torch::Tensor blendWindow(const torch::Tensor& t, const torch::Tensor& h, const torch::Tensor& w,
                          const torch::TensorOptions& o) {
    return (t.view({-1, 1, 1}) * h.view({1, -1, 1}) * w.view({1, 1, -1})).to(o).unsqueeze(0).unsqueeze(0);
}

// ---- header ---------------------------------------------------------------------------------------

VaePadding paddingNamed(const std::string& name, const std::string& where) {
    if (name == "zeros") return VaePadding::Zeros;
    if (name == "reflect") return VaePadding::Reflect;
    if (name == "replicate") return VaePadding::Replicate;
    refuse(where, "video VAE spatial_padding_mode \"" + name + "\" is not implemented");
}

std::vector<VaeBlock> parseBlocks(const json& list, bool encoder, const std::string& where) {
    static const std::vector<std::string> encoderNames{"res_x",
                                                       "res_x_y",
                                                       "compress_time",
                                                       "compress_space",
                                                       "compress_all",
                                                       "compress_all_x_y",
                                                       "compress_all_res",
                                                       "compress_space_res",
                                                       "compress_time_res",
                                                       "attn"};
    static const std::vector<std::string> decoderNames{"res_x",          "res_x_y",      "compress_time",
                                                       "compress_space", "compress_all", "attn"};
    const auto& allowed = encoder ? encoderNames : decoderNames;
    const std::string half = encoder ? "encoder_blocks" : "decoder_blocks";
    if (!list.is_array() || list.empty()) refuse(where, "the video VAE header has no " + half);
    std::vector<VaeBlock> blocks;
    for (const auto& entry : list) {
        if (!entry.is_array() || entry.size() != 2 || !entry[0].is_string())
            refuse(where, "a video VAE " + half + " entry is not [name, settings]");
        VaeBlock b;
        b.name = entry[0].get<std::string>();
        if (b.name == "attn_res_x")
            refuse(where, "video VAE attn_res_x blocks are not implemented (no released LTX-2 VAE has them)");
        if (std::find(allowed.begin(), allowed.end(), b.name) == allowed.end())
            refuse(where, "unknown video VAE block \"" + b.name + "\" in " + half);
        const json& p = entry[1];
        if (p.is_number_integer()) {
            b.layers = p.get<int>();
        } else if (p.is_object()) {
            b.layers = p.value("num_layers", 1);
            b.multiplier = p.value("multiplier", 0);
            b.residual = p.value("residual", false);
            if (p.value("inject_noise", false))
                refuse(where, "video VAE noise injection is not implemented (LTX-2.3's decoder has none)");
        } else {
            refuse(where, "a video VAE " + half + " entry's settings are neither a number nor an object");
        }
        if (b.layers < 1 || b.multiplier < 0) refuse(where, "a video VAE block has a size ≤ 0");
        blocks.push_back(b);
    }
    return blocks;
}

} // namespace

VideoVaeConfig parseVideoVaeConfig(const std::string& configJson, const std::string& where) {
    const json vae = configSection(configJson, "vae", where);
    VideoVaeConfig c;
    try {
        const std::string kind = vae.value("_class_name", std::string("CausalVideoAutoencoder"));
        if (kind != "CausalVideoAutoencoder")
            refuse(where,
                   "video VAE \"" + kind + "\" is not implemented (LTX-2/2.3: CausalVideoAutoencoder)");
        if (vae.contains("dims") && vae["dims"] != json(3))
            refuse(where,
                   "only 3-D video VAE convolutions are implemented (\"dims\": " + vae["dims"].dump() + ")");
        if (vae.value("in_channels", 3) != 3 || vae.value("out_channels", 3) != 3)
            refuse(where, "the video VAE does not code 3 colour channels");
        if (vae.value("norm_layer", std::string("pixel_norm")) != "pixel_norm")
            refuse(where, "video VAE norm_layer \"" + vae.value("norm_layer", std::string()) +
                              "\" is not implemented (LTX-2: pixel_norm)");
        c.latent_channels = vae.value("latent_channels", c.latent_channels);
        c.patch_size = vae.value("patch_size", c.patch_size);
        c.causal_decoder = vae.value("causal_decoder", c.causal_decoder);
        c.timestep_conditioning = vae.value("timestep_conditioning", c.timestep_conditioning);
        c.decoder_base_channels = vae.value("decoder_base_channels", c.decoder_base_channels);
        // As upstream reads them: the decoder's padding from "spatial_padding_mode" (default reflect), the
        // encoder's from the same key, else "encoder_spatial_padding_mode" (default zeros).
        c.decoder_padding = paddingNamed(vae.value("spatial_padding_mode", std::string("reflect")), where);
        c.encoder_padding =
            paddingNamed(vae.value("spatial_padding_mode",
                                   vae.value("encoder_spatial_padding_mode", std::string("zeros"))),
                         where);
        const std::string logVar = vae.value("latent_log_var", std::string("uniform"));
        if (logVar == "uniform")
            c.log_variance = VideoVaeConfig::LogVariance::Uniform;
        else if (logVar == "per_channel")
            c.log_variance = VideoVaeConfig::LogVariance::PerChannel;
        else if (logVar == "constant")
            c.log_variance = VideoVaeConfig::LogVariance::Constant;
        else
            refuse(where, "video VAE latent_log_var \"" + logVar + "\" is not implemented");
        if (vae.contains("encoder_blocks"))
            c.encoder_blocks = parseBlocks(vae["encoder_blocks"], true, where);
        if (vae.contains("decoder_blocks"))
            c.decoder_blocks = parseBlocks(vae["decoder_blocks"], false, where);
    } catch (const json::exception& e) {
        refuse(where, std::string("the video VAE header is malformed (") + e.what() + ")");
    }
    if (c.latent_channels <= 0 || c.patch_size <= 0 || c.decoder_base_channels <= 0)
        refuse(where, "the video VAE header holds a size ≤ 0");
    if (c.encoder_blocks.empty() && c.decoder_blocks.empty())
        refuse(where, "the video VAE header lists neither encoder nor decoder blocks");
    return c;
}

VaeScale VaeScale::of(const std::vector<VaeBlock>& blocks, int patchSize) {
    VaeScale s{1, patchSize};
    for (const auto& b : blocks) {
        if (b.name.rfind("compress_space", 0) == 0 || b.name.rfind("compress_all", 0) == 0) s.space *= 2;
        if (b.name.rfind("compress_time", 0) == 0 || b.name.rfind("compress_all", 0) == 0) s.time *= 2;
    }
    return s;
}

VaeTiling VaeTiling::defaults() {
    return {AxisTiling::bySize(80, 24), AxisTiling::bySize(768, 64), AxisTiling::bySize(768, 64)};
}

// ---- decoder --------------------------------------------------------------------------------------

namespace {

// The decoder's widest point: its base width times every upsampling stage's channel reduction.
int64_t bottleneckWidth(const VideoVaeConfig& c) {
    int64_t width = c.decoder_base_channels;
    for (const auto& b : c.decoder_blocks) {
        if (b.name.rfind("compress_", 0) == 0)
            width *= multiplierOr(b, 1);
        else if (b.name == "res_x_y")
            width *= multiplierOr(b, 2);
    }
    return width;
}

std::vector<std::shared_ptr<Stage>> stagesOf(torch::nn::Module& body, const char* name) {
    std::vector<std::shared_ptr<Stage>> out;
    for (const auto& m : *body.named_children()[name]->as<torch::nn::ModuleList>())
        out.push_back(std::dynamic_pointer_cast<Stage>(m));
    return out;
}

} // namespace

VideoDecoderImpl::VideoDecoderImpl(const VideoVaeConfig& c, const torch::TensorOptions& o) : config(c) {
    if (c.decoder_blocks.empty()) throw CheckpointError("the video VAE header lists no decoder blocks");
    auto decoder = register_module("decoder", std::make_shared<torch::nn::Module>());
    body = decoder.get();
    int64_t width = bottleneckWidth(c);
    const auto pad = c.decoder_padding;
    decoder->register_module("conv_in", CausalConv3d(c.latent_channels, width, kUnit, pad, o));
    auto list = decoder->register_module("up_blocks", torch::nn::ModuleList());
    for (auto it = c.decoder_blocks.rbegin(); it != c.decoder_blocks.rend(); ++it) {
        const auto& b = *it;
        if (b.name == "res_x") {
            list->push_back(std::make_shared<MidBlock>(width, b.layers, c.timestep_conditioning, pad, o));
        } else if (b.name == "res_x_y") {
            const int64_t out = width / multiplierOr(b, 2);
            list->push_back(std::make_shared<ResnetBlock>(width, out, false, pad, o));
            width = out;
        } else if (b.name == "attn") {
            list->push_back(std::make_shared<AttnBlock>(width, o));
        } else { // compress_time / compress_space / compress_all
            const Stride s = strideOf(b.name);
            const int64_t reduction = multiplierOr(b, 1);
            if ((s[0] * s[1] * s[2] * width) % reduction != 0 || width % reduction != 0)
                throw CheckpointError("video VAE decoder: width " + std::to_string(width) +
                                      " does not divide by " + std::to_string(reduction));
            list->push_back(std::make_shared<DepthToSpaceUpsample>(
                width, s, b.name == "compress_all" && b.residual, reduction, pad, o));
            width /= reduction;
        }
    }
    decoder->register_module("conv_out", CausalConv3d(width, 3 * c.patch_size * c.patch_size, kUnit, pad, o));
    if (c.timestep_conditioning) {
        parameter(*decoder, "timestep_scale_multiplier", {}, o);
        decoder->register_module("last_time_embedder", TimestepEmbedding(static_cast<int>(width * 2), o));
        parameter(*decoder, "last_scale_shift_table", {2, width}, o);
    }
    auto stats = register_module("per_channel_statistics", std::make_shared<torch::nn::Module>());
    statistics = stats.get();
    stats->register_buffer("std-of-means", torch::ones({c.latent_channels}, o));
    stats->register_buffer("mean-of-means", torch::zeros({c.latent_channels}, o));
}

torch::Tensor VideoDecoderImpl::forward(const torch::Tensor& latent, torch::Tensor timestep,
                                        torch::Tensor noise, std::optional<at::Generator> generator) {
    constexpr double kDecodeNoise = 0.025, kDecodeTimestep = 0.05; // upstream's decode_noise_scale/_timestep
    auto children = body->named_children();
    auto params = body->named_parameters(/*recurse=*/false);
    const auto dtype = children["conv_in"]->as<CausalConv3d>()->weight.scalar_type();
    const int64_t b = latent.size(0);
    auto x = latent.to(dtype);
    torch::Tensor scaled;
    if (config.timestep_conditioning) {
        if (!noise.defined())
            noise = generator ? torch::randn(x.sizes(), *generator, x.options())
                              : torch::randn(x.sizes(), x.options());
        x = noise.to(x) * kDecodeNoise + (1.0 - kDecodeNoise) * x;
        if (!timestep.defined()) timestep = torch::full({b}, kDecodeTimestep, x.options());
        scaled = timestep.to(x) * params["timestep_scale_multiplier"].to(x);
    }
    x = x * channelVector(*statistics, "std-of-means", x) + channelVector(*statistics, "mean-of-means", x);
    const bool causal = config.causal_decoder;
    x = children["conv_in"]->as<CausalConv3d>()->forward(x, causal);
    for (auto& stage : stagesOf(*body, "up_blocks"))
        x = stage->run(x, causal, scaled);
    x = pixelNorm(x);
    if (config.timestep_conditioning) {
        auto embedded =
            children["last_time_embedder"]->as<TimestepEmbedding>()->forward(scaled.flatten(), dtype);
        auto table = params["last_scale_shift_table"];
        auto ada = (table.to(x).view({1, 2, -1, 1, 1, 1}) + embedded.view({b, 2, -1, 1, 1, 1})).unbind(1);
        x = x * (1 + ada[1]) + ada[0];
    }
    x = children["conv_out"]->as<CausalConv3d>()->forward(torch::silu(x), causal);
    return unpatchify(x, config.patch_size).to(latent.scalar_type());
}

void VideoDecoderImpl::decodeTiled(const torch::Tensor& latent, const VaeTiling& tiling,
                                   const FrameSink& sink, torch::Tensor timestep,
                                   std::optional<at::Generator> generator) {
    TORCH_CHECK(latent.dim() == 5 && latent.size(0) == 1, "decodeTiled takes one latent [1, C, F, H, W]");
    const auto s = scale();
    auto frames = splitAxis(tiling.frames, latent.size(2), s.time, true, "frame");
    auto rows = splitAxis(tiling.height, latent.size(3), s.space, false, "height");
    auto cols = splitAxis(tiling.width, latent.size(4), s.space, false, "width");
    const int64_t height = latent.size(3) * s.space, width = latent.size(4) * s.space;
    const auto o = latent.options().dtype(torch::kFloat32);

    auto toRgb = [](const torch::Tensor& x) {
        return x[0].permute({1, 2, 3, 0}).add(1.0).mul(0.5).clamp(0.0, 1.0);
    };
    torch::Tensor previous, previousWeights;
    int64_t previousStart = 0, previousStop = 0;
    for (const auto& t : frames) {
        const auto span = temporalSpan(t, s.time);
        const int64_t length = span.stop - span.start;
        auto buffer = torch::zeros({1, 3, length, height, width}, o);
        auto weights = torch::zeros({1, 1, length, height, width}, o);
        for (const auto& r : rows) {
            const auto rowSpan = spatialSpan(r, s.space);
            for (const auto& col : cols) {
                const auto colSpan = spatialSpan(col, s.space);
                auto tile = forward(latent.index({Slice(), Slice(), Slice(t.start, t.end),
                                                  Slice(r.start, r.end), Slice(col.start, col.end)}),
                                    timestep, {}, generator);
                const int64_t n = std::min(length, tile.size(2));
                auto window = blendWindow(span.mask.narrow(0, 0, n), rowSpan.mask, colSpan.mask, o);
                auto region = [&](torch::Tensor& into) {
                    return into.index({Slice(), Slice(), Slice(0, n), Slice(rowSpan.start, rowSpan.stop),
                                       Slice(colSpan.start, colSpan.stop)});
                };
                region(buffer).add_(tile.narrow(2, 0, n).to(o) * window);
                region(weights).add_(window);
            }
        }
        if (previous.defined()) {
            if (previousStop > span.start) { // blend the frames both runs decoded
                const int64_t overlap = previousStop - span.start, offset = span.start - previousStart;
                previous.narrow(2, offset, overlap).add_(buffer.narrow(2, 0, overlap));
                previousWeights.narrow(2, offset, overlap).add_(weights.narrow(2, 0, overlap));
                buffer.narrow(2, 0, overlap).copy_(previous.narrow(2, offset, overlap));
                weights.narrow(2, 0, overlap).copy_(previousWeights.narrow(2, offset, overlap));
            }
            const int64_t finished = span.start - previousStart;
            if (finished > 0)
                sink(toRgb((previous / previousWeights.clamp_min(1e-8)).narrow(2, 0, finished)));
        }
        previous = buffer;
        previousWeights = weights;
        previousStart = span.start;
        previousStop = span.stop;
    }
    if (previous.defined()) sink(toRgb(previous / previousWeights.clamp_min(1e-8)));
}

// ---- encoder --------------------------------------------------------------------------------------

VideoEncoderImpl::VideoEncoderImpl(const VideoVaeConfig& c, const torch::TensorOptions& o) : config(c) {
    if (c.encoder_blocks.empty()) throw CheckpointError("the video VAE header lists no encoder blocks");
    auto encoder = register_module("encoder", std::make_shared<torch::nn::Module>());
    body = encoder.get();
    const auto pad = c.encoder_padding;
    int64_t width = c.latent_channels;
    encoder->register_module("conv_in", CausalConv3d(3 * c.patch_size * c.patch_size, width, kUnit, pad, o));
    auto list = encoder->register_module("down_blocks", torch::nn::ModuleList());
    for (const auto& b : c.encoder_blocks) {
        const bool resampling = b.name.rfind("compress_", 0) == 0;
        const Stride s = strideOf(b.name);
        if (b.name == "res_x") {
            list->push_back(std::make_shared<MidBlock>(width, b.layers, false, pad, o));
        } else if (b.name == "res_x_y") {
            const int64_t out = width * multiplierOr(b, 2);
            list->push_back(std::make_shared<ResnetBlock>(width, out, false, pad, o));
            width = out;
        } else if (b.name == "attn") {
            list->push_back(std::make_shared<AttnBlock>(width, o));
        } else if (resampling && b.name.size() > 4 && b.name.compare(b.name.size() - 4, 4, "_res") == 0) {
            const int64_t out = width * multiplierOr(b, 2), product = s[0] * s[1] * s[2];
            if (out % product != 0 || (width * product) % out != 0)
                throw CheckpointError("video VAE encoder: width " + std::to_string(out) + " does not suit " +
                                      b.name);
            list->push_back(std::make_shared<SpaceToDepthDownsample>(width, out, s, pad, o));
            width = out;
        } else { // a strided convolution; compress_all_x_y also widens
            const int64_t out = b.name == "compress_all_x_y" ? width * multiplierOr(b, 2) : width;
            list->push_back(std::make_shared<ConvStage>(width, out, s, pad, o));
            width = out;
        }
    }
    const int64_t n = c.latent_channels;
    const int64_t outputs = c.log_variance == VideoVaeConfig::LogVariance::PerChannel ? 2 * n : n + 1;
    encoder->register_module("conv_out", CausalConv3d(width, outputs, kUnit, pad, o));
    auto stats = register_module("per_channel_statistics", std::make_shared<torch::nn::Module>());
    statistics = stats.get();
    stats->register_buffer("std-of-means", torch::ones({n}, o));
    stats->register_buffer("mean-of-means", torch::zeros({n}, o));
}

torch::Tensor VideoEncoderImpl::forward(const torch::Tensor& video) {
    TORCH_CHECK(video.dim() == 5 && video.size(1) == 3, "the video VAE encodes [B, 3, F, H, W]");
    const auto s = scale();
    TORCH_CHECK(video.size(3) % s.space == 0 && video.size(4) % s.space == 0,
                "the video VAE encodes sizes that are multiples of ", s.space);
    auto children = body->named_children();
    auto conv_in = children["conv_in"]->as<CausalConv3d>();
    const int64_t frames = video.size(2), usable = (frames - 1) / s.time * s.time + 1;
    auto x = patchify(video.narrow(2, 0, usable).to(conv_in->weight.scalar_type()), config.patch_size);
    x = conv_in->forward(x, true);
    for (auto& stage : stagesOf(*body, "down_blocks"))
        x = stage->run(x, true, {});
    x = children["conv_out"]->as<CausalConv3d>()->forward(torch::silu(pixelNorm(x)), true);
    auto means = x.narrow(1, 0, config.latent_channels); // the rest is log-variance
    return ((means - channelVector(*statistics, "mean-of-means", means)) /
            channelVector(*statistics, "std-of-means", means))
        .to(video.scalar_type());
}

torch::Tensor VideoEncoderImpl::encodeTiled(const torch::Tensor& video, const VaeTiling& tiling) {
    // Enough overlap that the zero-padded tile edges are blended away (upstream's floor).
    for (const auto& [axis, floor] :
         {std::pair{&tiling.frames, 16}, {&tiling.height, 64}, {&tiling.width, 64}})
        if (axis->kind == AxisTiling::Kind::BySize && axis->overlap < floor)
            throw std::invalid_argument("VAE tiling: an encoder tile overlap of " +
                                        std::to_string(axis->overlap) + " is below the required " +
                                        std::to_string(floor));
    const auto s = scale();
    const int64_t frames = (video.size(2) - 1) / s.time * s.time + 1;
    const int64_t latentFrames = (frames - 1) / s.time + 1, rowsN = video.size(3) / s.space,
                  colsN = video.size(4) / s.space;
    auto framesIv = splitAxis(tiling.frames, latentFrames, s.time, true, "frame");
    auto rows = splitAxis(tiling.height, rowsN, s.space, false, "height");
    auto cols = splitAxis(tiling.width, colsN, s.space, false, "width");
    const auto o = video.options().dtype(torch::kFloat32);
    auto buffer = torch::zeros({video.size(0), config.latent_channels, latentFrames, rowsN, colsN}, o);
    auto weights = torch::zeros({1, 1, latentFrames, rowsN, colsN}, o);
    for (const auto& t : framesIv)
        for (const auto& r : rows)
            for (const auto& c : cols) {
                const auto ts = temporalSpan(t, s.time);
                const auto rs = spatialSpan(r, s.space), cs = spatialSpan(c, s.space);
                auto tile = forward(video.index({Slice(), Slice(), Slice(ts.start, ts.stop),
                                                 Slice(rs.start, rs.stop), Slice(cs.start, cs.stop)}));
                auto window = blendWindow(trapezoid(t.end - t.start, t.left, t.right, true),
                                          trapezoid(r.end - r.start, r.left, r.right, false),
                                          trapezoid(c.end - c.start, c.left, c.right, false), o);
                // Indices built in place: copying a TensorIndex reads an uninitialised member in
                // LibTorch 1.13's header (UBSan reports it).
                const auto region = [&](const torch::Tensor& x) {
                    return x.index({Slice(), Slice(), Slice(t.start, t.end), Slice(r.start, r.end),
                                    Slice(c.start, c.end)});
                };
                region(buffer).add_(tile.to(o) * window);
                region(weights).add_(window);
            }
    return (buffer / weights.clamp_min(1e-8)).to(video.scalar_type());
}

// ---- loading --------------------------------------------------------------------------------------

std::string videoVaePrefix(const SafetensorsFile& file) {
    bool bare = false;
    for (const auto& [name, view] : file.tensors()) {
        if (name.rfind("vae.decoder.", 0) == 0 || name.rfind("vae.encoder.", 0) == 0) return "vae.";
        if (name.rfind("decoder.", 0) == 0 || name.rfind("encoder.", 0) == 0) bare = true;
    }
    if (!bare)
        throw CheckpointError(file.path() + ": no video VAE tensors (\"vae.decoder.…\" or \"decoder.…\")");
    return "";
}

namespace {

template <typename Model>
Model loadVae(const SafetensorsFile& file, const std::string& configJson, const std::string& prefix,
              const torch::TensorOptions& options, const char* half) {
    Model model(parseVideoVaeConfig(configJson, file.path()), options);
    loadWeights(*model->body, file, prefix + half);
    // Upstream keeps more statistics than it reads (per-channel means of stds, a channel index).
    const std::string stats = prefix + "per_channel_statistics.";
    loadWeights(*model->statistics, file, stats, {stats + "channel", stats + "mean-of-stds"});
    model->eval();
    return model;
}


} // namespace

VideoDecoder loadVideoDecoder(const SafetensorsFile& file, const std::string& configJson,
                              const std::string& prefix, const torch::TensorOptions& options) {
    return loadVae<VideoDecoder>(file, configJson, prefix, options, "decoder.");
}
VideoEncoder loadVideoEncoder(const SafetensorsFile& file, const std::string& configJson,
                              const std::string& prefix, const torch::TensorOptions& options) {
    return loadVae<VideoEncoder>(file, configJson, prefix, options, "encoder.");
}
VideoDecoder loadVideoDecoder(const SafetensorsFile& file, const torch::TensorOptions& options) {
    return loadVideoDecoder(file, checkpointHeader(file), videoVaePrefix(file), options);
}
VideoEncoder loadVideoEncoder(const SafetensorsFile& file, const torch::TensorOptions& options) {
    return loadVideoEncoder(file, checkpointHeader(file), videoVaePrefix(file), options);
}

} // namespace tandem::model::ltx2
