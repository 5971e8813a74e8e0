#include "model/ltx2/transformer.h"

#include "model/ltx2/block_streaming.h"

#include "model/checkpoint.h"
#include "model/layers.h"

#include <cmath>

namespace tandem::model::ltx2 {

torch::Tensor rmsNorm(const torch::Tensor& x, double eps) { return x * torch::rsqrt(x.pow(2).mean(-1, true) + eps); }

namespace {

// x normalised, then scaled and shifted by AdaLN values.
torch::Tensor modulated(const torch::Tensor& x, double eps, const torch::Tensor& scale, const torch::Tensor& shift) {
    return rmsNorm(x, eps) * (1 + scale) + shift;
}

// Rows [from, from + count) of an AdaLN table plus the matching slices of the per-token values:
// table [n, D], values [B, T', n · D] → count tensors [B, T', D].
std::vector<torch::Tensor> adaValues(const torch::Tensor& table, const torch::Tensor& values, int64_t from,
                                     int64_t count) {
    const int64_t n = table.size(0), b = values.size(0), t = values.size(1);
    auto rows = table.narrow(0, from, count).unsqueeze(0).unsqueeze(0).to(values.scalar_type());
    return (rows + values.view({b, t, n, -1}).narrow(2, from, count)).unbind(2);
}

// The 256-channel sinusoid of PixArt-α's timestep embedder: cos first, then sin; t: [N] → [N, 256].
torch::Tensor timestepSinusoid(const torch::Tensor& t) {
    constexpr int half = 128;
    auto exponent = -std::log(10000.0) * torch::arange(half, torch::dtype(torch::kFloat32).device(t.device()));
    exponent = exponent / half;
    auto args = t.to(torch::kFloat32).unsqueeze(1) * torch::exp(exponent).unsqueeze(0);
    return torch::cat({torch::cos(args), torch::sin(args)}, -1);
}

torch::Tensor parameter(torch::nn::Module& m, const char* name, std::vector<int64_t> shape,
                        const torch::TensorOptions& options) {
    return m.register_parameter(name, torch::empty(shape, options), /*requires_grad=*/false);
}

} // namespace

void Perturbations::skip(Kind kind, const std::vector<int>& blockList, const std::vector<int>& samples, int layers,
                         int batch) {
    if (!keep.defined()) keep = torch::ones({4, layers, batch});
    for (int block : blockList)
        for (int sample : samples) keep[kind][block][sample] = 0.0;
}

LinearImpl::LinearImpl(int64_t in, int64_t out, bool withBias, const torch::TensorOptions& options) {
    weight = parameter(*this, "weight", {out, in}, options);
    if (withBias) bias = parameter(*this, "bias", {out}, options);
}

// ---- timestep embedding and AdaLN-single ----------------------------------------------------------

TimestepEmbeddingImpl::TimestepEmbeddingImpl(int width, const torch::TensorOptions& options) {
    auto mlp = register_module("timestep_embedder", std::make_shared<torch::nn::Module>());
    linear_1 = mlp->register_module("linear_1", Linear(256, width, true, options));
    linear_2 = mlp->register_module("linear_2", Linear(width, width, true, options));
}

torch::Tensor TimestepEmbeddingImpl::forward(const torch::Tensor& t, torch::Dtype dtype) {
    return linear_2->forward(torch::silu(linear_1->forward(timestepSinusoid(t).to(dtype))));
}

AdaLayerNormImpl::AdaLayerNormImpl(int width, int coefficients, const torch::TensorOptions& options) {
    emb = register_module("emb", TimestepEmbedding(width, options));
    linear = register_module("linear", Linear(width, coefficients * width, true, options));
}

std::pair<torch::Tensor, torch::Tensor> AdaLayerNormImpl::forward(const torch::Tensor& t, torch::Dtype dtype) {
    // Timesteps repeat (σ where generated, 0 where known): embed each distinct value once.
    auto [distinct, inverse] = at::_unique(t.to(torch::kFloat32), /*sorted=*/true, /*return_inverse=*/true);
    auto embedded = emb->forward(distinct, dtype);
    auto values = linear->forward(torch::silu(embedded));
    return {values.index_select(0, inverse.flatten()), embedded.index_select(0, inverse.flatten())};
}

// ---- attention ------------------------------------------------------------------------------------

AttentionImpl::AttentionImpl(int queryWidth, int contextWidth, int heads_, int headDim_, double eps_, bool gated,
                             const torch::TensorOptions& options)
    : heads(heads_), headDim(headDim_), eps(eps_) {
    const int inner = heads * headDim;
    to_q = register_module("to_q", Linear(queryWidth, inner, true, options));
    to_k = register_module("to_k", Linear(contextWidth, inner, true, options));
    to_v = register_module("to_v", Linear(contextWidth, inner, true, options));
    q_norm = parameter(*register_module("q_norm", std::make_shared<torch::nn::Module>()), "weight", {inner}, options);
    k_norm = parameter(*register_module("k_norm", std::make_shared<torch::nn::Module>()), "weight", {inner}, options);
    if (gated) to_gate_logits = register_module("to_gate_logits", Linear(queryWidth, heads, true, options));
    to_out = register_module("to_out", torch::nn::ModuleList());
    to_out->push_back(Linear(inner, queryWidth, true, options));
}

torch::Tensor AttentionImpl::forward(const torch::Tensor& x, const torch::Tensor& context,
                                     const torch::Tensor& keyMask, const RopeTable* rope, const RopeTable* keyRope,
                                     const torch::Tensor& keep, bool skipAll) {
    auto v = to_v->forward(context);
    torch::Tensor out;
    if (skipAll) {
        out = v; // every sample skips this attention: the value projection passes through
    } else {
        auto q = rmsNorm(to_q->forward(x), eps) * q_norm;
        auto k = rmsNorm(to_k->forward(context), eps) * k_norm;
        if (rope) {
            q = applyRope(q, *rope);
            k = applyRope(k, keyRope ? *keyRope : *rope);
        }
        const int64_t b = x.size(0);
        auto split = [&](const torch::Tensor& t) { return t.view({b, -1, heads, headDim}).transpose(1, 2); };
        out = attention(split(q), split(k), split(v), keyMask).transpose(1, 2).reshape({b, -1, heads * headDim});
        if (keep.defined()) out = out * keep + v * (1 - keep);
    }
    if (to_gate_logits) {
        const int64_t b = out.size(0), t = out.size(1);
        auto gates = 2.0 * torch::sigmoid(to_gate_logits->forward(x)); // [B, T, heads]
        out = (out.view({b, t, heads, headDim}) * gates.unsqueeze(-1)).view({b, t, heads * headDim});
    }
    return to_out[0]->as<Linear>()->forward(out);
}

// ---- feed-forward ---------------------------------------------------------------------------------

namespace {
struct GeluProjectionImpl : torch::nn::Module {
    GeluProjectionImpl(int in, int out, bool bias, const torch::TensorOptions& options) {
        proj = register_module("proj", Linear(in, out, bias, options));
    }
    torch::Tensor forward(const torch::Tensor& x) { return torch::gelu(proj->forward(x), "tanh"); }
    Linear proj{nullptr};
};
TORCH_MODULE(GeluProjection);
} // namespace

FeedForwardImpl::FeedForwardImpl(int width, bool bias, const torch::TensorOptions& options) {
    net = register_module("net", torch::nn::ModuleList());
    net->push_back(GeluProjection(width, 4 * width, bias, options));
    net->push_back(torch::nn::Identity());
    net->push_back(Linear(4 * width, width, bias, options));
}

torch::Tensor FeedForwardImpl::forward(const torch::Tensor& x) {
    auto hidden = net[0]->as<GeluProjection>()->forward(x);
    return net[2]->as<Linear>()->forward(hidden);
}

// ---- one block ------------------------------------------------------------------------------------

AvBlockImpl::AvBlockImpl(const TransformerConfig& c, const torch::TensorOptions& o) : config(c) {
    const int v = c.width(), a = c.audioWidth();
    const double eps = c.norm_eps;
    const bool gated = c.gated_attention;
    attn1 = register_module("attn1", Attention(v, v, c.heads, c.head_dim, eps, gated, o));
    attn2 = register_module("attn2", Attention(v, c.cross_attention_dim, c.heads, c.head_dim, eps, gated, o));
    ff = register_module("ff", FeedForward(v, c.ff_bias, o));
    scale_shift_table = parameter(*this, "scale_shift_table", {c.adalnCoefficients(), v}, o);
    audio_attn1 = register_module("audio_attn1", Attention(a, a, c.audio_heads, c.audio_head_dim, eps, gated, o));
    audio_attn2 = register_module(
        "audio_attn2", Attention(a, c.audio_cross_attention_dim, c.audio_heads, c.audio_head_dim, eps, gated, o));
    audio_ff = register_module("audio_ff", FeedForward(a, c.audio_ff_bias, o));
    audio_scale_shift_table = parameter(*this, "audio_scale_shift_table", {c.adalnCoefficients(), a}, o);
    // Both directions use the audio stream's head layout.
    audio_to_video_attn = register_module("audio_to_video_attn",
                                          Attention(v, a, c.audio_heads, c.audio_head_dim, eps, gated, o));
    video_to_audio_attn = register_module("video_to_audio_attn",
                                          Attention(a, v, c.audio_heads, c.audio_head_dim, eps, gated, o));
    scale_shift_table_a2v_ca_audio = parameter(*this, "scale_shift_table_a2v_ca_audio", {5, a}, o);
    scale_shift_table_a2v_ca_video = parameter(*this, "scale_shift_table_a2v_ca_video", {5, v}, o);
    if (c.cross_attention_adaln) {
        prompt_scale_shift_table = parameter(*this, "prompt_scale_shift_table", {2, v}, o);
        audio_prompt_scale_shift_table = parameter(*this, "audio_prompt_scale_shift_table", {2, a}, o);
    }
}

namespace {

// Self-attention then text cross-attention of one stream (the first half of a block).
void attendSelfAndText(StreamState& s, Attention& self, Attention& text, const torch::Tensor& table,
                       const torch::Tensor& promptTable, const TransformerConfig& c, const torch::Tensor& keep,
                       bool skipSelf) {
    auto msa = adaValues(table, s.timestep, 0, 3); // shift, scale, gate
    auto input = modulated(s.x, c.norm_eps, msa[1], msa[0]);
    auto attended = self->forward(input, input, {}, &s.rope, nullptr, keep, skipSelf);
    s.x = s.x + attended * msa[2];
    auto normed = rmsNorm(s.x, c.norm_eps);
    if (!c.cross_attention_adaln) {
        s.x = s.x + text->forward(normed, s.context, s.contextMask, nullptr, nullptr, {}, false);
        return;
    }
    auto q = adaValues(table, s.timestep, 6, 3); // shift, scale, gate of the query side
    auto kv = promptTable.unsqueeze(0).unsqueeze(0).to(normed.scalar_type());
    if (s.promptTimestep.defined())
        kv = kv + s.promptTimestep.view({normed.size(0), s.promptTimestep.size(1), 2, -1});
    auto shiftKv = kv.select(2, 0), scaleKv = kv.select(2, 1);
    auto query = normed * (1 + q[1]) + q[0];
    auto context = s.context * (1 + scaleKv) + shiftKv;
    s.x = s.x + text->forward(query, context, s.contextMask, nullptr, nullptr, {}, false) * q[2];
}

// Scale and shift for the A↔V attention from rows [from, from + 2) of a 5-row table; the gate from row 4.
struct CrossModulation {
    torch::Tensor scale, shift, gate;
};
CrossModulation crossModulation(const torch::Tensor& table, const StreamState& s, int64_t from) {
    auto scaleShift = adaValues(table.narrow(0, 0, 4), s.crossScaleShift, from, 2);
    auto gate = adaValues(table.narrow(0, 4, 1), s.crossGate, 0, 1);
    return {scaleShift[0], scaleShift[1], gate[0]};
}

} // namespace

void AvBlockImpl::forward(StreamState& video, StreamState& audio, const Perturbations& p, int index) {
    const auto& c = config;
    auto keepOf = [&](Perturbations::Kind kind) -> std::pair<torch::Tensor, bool> {
        if (!p.keep.defined()) return {{}, false};
        auto keep = p.keep[kind][index].to(video.x.device(), video.x.scalar_type());
        const bool all = (keep == 0).all().item<bool>();
        const bool any = (keep == 0).any().item<bool>();
        return {any && !all ? keep.view({-1, 1, 1}) : torch::Tensor(), all};
    };
    auto crossKeep = [&](Perturbations::Kind kind) -> std::pair<torch::Tensor, bool> {
        if (!p.keep.defined()) return {{}, false};
        auto keep = p.keep[kind][index].to(video.x.device(), video.x.scalar_type());
        return {keep.view({-1, 1, 1}), (keep == 0).all().item<bool>()};
    };

    auto [videoKeep, videoSkip] = keepOf(Perturbations::VideoSelf);
    attendSelfAndText(video, attn1, attn2, scale_shift_table, prompt_scale_shift_table, c, videoKeep, videoSkip);
    auto [audioKeep, audioSkip] = keepOf(Perturbations::AudioSelf);
    attendSelfAndText(audio, audio_attn1, audio_attn2, audio_scale_shift_table, audio_prompt_scale_shift_table, c,
                      audioKeep, audioSkip);

    // Audio ↔ video: both directions read the streams as they were before either was updated.
    const auto videoBefore = video.x, audioBefore = audio.x;
    // The target stream's modulation rows (0–1 for audio→video, 2–3 for video→audio) gate its update.
    auto attendAcross = [&](StreamState& target, const torch::Tensor& targetBefore, const torch::Tensor& targetTable,
                            const StreamState& source, const torch::Tensor& sourceBefore,
                            const torch::Tensor& sourceTable, Attention& attention, int64_t rows,
                            Perturbations::Kind kind) {
        auto [keep, skip] = crossKeep(kind);
        if (skip) return;
        auto tm = crossModulation(targetTable, target, rows);
        auto sm = crossModulation(sourceTable, source, rows);
        auto out = attention->forward(modulated(targetBefore, c.norm_eps, tm.scale, tm.shift),
                                      modulated(sourceBefore, c.norm_eps, sm.scale, sm.shift), {}, &target.crossRope,
                                      &source.crossRope, {}, false) *
                   tm.gate;
        target.x = target.x + (keep.defined() ? out * keep : out);
    };
    attendAcross(video, videoBefore, scale_shift_table_a2v_ca_video, audio, audioBefore, scale_shift_table_a2v_ca_audio,
                 audio_to_video_attn, 0, Perturbations::AudioToVideo);
    attendAcross(audio, audioBefore, scale_shift_table_a2v_ca_audio, video, videoBefore, scale_shift_table_a2v_ca_video,
                 video_to_audio_attn, 2, Perturbations::VideoToAudio);

    auto vff = adaValues(scale_shift_table, video.timestep, 3, 3);
    video.x = video.x + ff->forward(modulated(video.x, c.norm_eps, vff[1], vff[0])) * vff[2];
    auto aff = adaValues(audio_scale_shift_table, audio.timestep, 3, 3);
    audio.x = audio.x + audio_ff->forward(modulated(audio.x, c.norm_eps, aff[1], aff[0])) * aff[2];
}

// ---- the whole transformer ------------------------------------------------------------------------

AvTransformerImpl::AvTransformerImpl(const TransformerConfig& c, const torch::TensorOptions& o) : config(c) {
    const int v = c.width(), a = c.audioWidth();
    patchify_proj = register_module("patchify_proj", Linear(c.in_channels, v, true, o));
    audio_patchify_proj = register_module("audio_patchify_proj", Linear(c.audio_in_channels, a, true, o));
    adaln_single = register_module("adaln_single", AdaLayerNorm(v, c.adalnCoefficients(), o));
    audio_adaln_single = register_module("audio_adaln_single", AdaLayerNorm(a, c.adalnCoefficients(), o));
    if (c.cross_attention_adaln && c.prompt_adaln) {
        prompt_adaln_single = register_module("prompt_adaln_single", AdaLayerNorm(v, 2, o));
        audio_prompt_adaln_single = register_module("audio_prompt_adaln_single", AdaLayerNorm(a, 2, o));
    }
    av_ca_video_scale_shift_adaln_single = register_module("av_ca_video_scale_shift_adaln_single", AdaLayerNorm(v, 4, o));
    av_ca_audio_scale_shift_adaln_single = register_module("av_ca_audio_scale_shift_adaln_single", AdaLayerNorm(a, 4, o));
    av_ca_a2v_gate_adaln_single = register_module("av_ca_a2v_gate_adaln_single", AdaLayerNorm(v, 1, o));
    av_ca_v2a_gate_adaln_single = register_module("av_ca_v2a_gate_adaln_single", AdaLayerNorm(a, 1, o));
    scale_shift_table = parameter(*this, "scale_shift_table", {2, v}, o);
    audio_scale_shift_table = parameter(*this, "audio_scale_shift_table", {2, a}, o);
    proj_out = register_module("proj_out", Linear(v, c.out_channels, true, o));
    audio_proj_out = register_module("audio_proj_out", Linear(a, c.audio_out_channels, true, o));
    transformer_blocks = register_module("transformer_blocks", torch::nn::ModuleList());
    for (int i = 0; i < c.layers; ++i) {
        blocks.push_back(AvBlock(c, o));
        transformer_blocks->push_back(blocks.back());
    }
}

StreamState AvTransformerImpl::prepare(const StreamInput& in, const StreamInput& other, bool isVideo) {
    const auto& c = config;
    const auto dtype = in.latent.scalar_type();
    const int64_t b = in.latent.size(0);
    auto perToken = [&](AdaLayerNorm& adaln, const torch::Tensor& t) {
        auto [values, embedded] = adaln->forward(t.flatten(), dtype);
        return std::pair{values.view({b, -1, values.size(-1)}), embedded.view({b, -1, embedded.size(-1)})};
    };
    StreamState s;
    s.x = (isVideo ? patchify_proj : audio_patchify_proj)->forward(in.latent);
    std::tie(s.timestep, s.embedded) = perToken(isVideo ? adaln_single : audio_adaln_single,
                                                in.timesteps * c.timestep_scale);
    auto& prompt = isVideo ? prompt_adaln_single : audio_prompt_adaln_single;
    if (!prompt.is_empty()) s.promptTimestep = perToken(prompt, in.sigma * c.timestep_scale).first;
    s.context = in.context.to(dtype);
    if (in.contextMask.defined()) s.contextMask = in.contextMask > 0.5;

    const int width = isVideo ? c.width() : c.audioWidth();
    const int heads = isVideo ? c.heads : c.audio_heads;
    const std::vector<int> maxPos = isVideo ? std::vector<int>(c.max_pos.begin(), c.max_pos.end())
                                            : std::vector<int>{c.audio_max_pos};
    s.rope = ropeTable(in.positions, width, heads, maxPos, c.rope_theta, c.rope_double_precision, dtype);
    // The A↔V attention rotates by time only, at the audio stream's width, over the longer time extent.
    const int crossMax = std::max(c.max_pos[0], c.audio_max_pos);
    s.crossRope = ropeTable(in.positions.narrow(1, 0, 1), c.audio_cross_attention_dim, heads, {crossMax},
                            c.rope_theta, c.rope_double_precision, dtype);
    s.crossScaleShift = perToken(isVideo ? av_ca_video_scale_shift_adaln_single : av_ca_audio_scale_shift_adaln_single,
                                 in.timesteps * c.timestep_scale)
                            .first;
    // The gate follows the other stream's noise level.
    const double gateScale = c.timestep_scale * (c.av_timestep_scale / c.timestep_scale);
    s.crossGate = perToken(isVideo ? av_ca_a2v_gate_adaln_single : av_ca_v2a_gate_adaln_single,
                           other.sigma * gateScale)
                      .first;
    return s;
}

Velocities AvTransformerImpl::forward(const StreamInput& video, const StreamInput& audio,
                                      const Perturbations& perturbations) {
    auto v = prepare(video, audio, true);
    auto a = prepare(audio, video, false);
    if (streamer) streamer->run(v, a, perturbations);
    else
        for (size_t i = 0; i < blocks.size(); ++i) blocks[i]->forward(v, a, perturbations, static_cast<int>(i));
    auto output = [&](const torch::Tensor& x, const torch::Tensor& embedded, const torch::Tensor& table,
                      Linear& proj) {
        auto values = table.unsqueeze(0).unsqueeze(0).to(x.scalar_type()) + embedded.unsqueeze(2);
        auto shift = values.select(2, 0), scale = values.select(2, 1);
        auto normed = torch::layer_norm(x, {x.size(-1)}, {}, {}, config.norm_eps);
        return proj->forward(normed * (1 + scale) + shift);
    };
    return {output(v.x, v.embedded, scale_shift_table, proj_out),
            output(a.x, a.embedded, audio_scale_shift_table, audio_proj_out)};
}

AvTransformer loadTransformer(const SafetensorsFile& file, const std::string& prefix,
                              const torch::TensorOptions& options) {
    return loadTransformer(file, prefix, checkpointHeader(file), options);
}

AvTransformer loadTransformer(const SafetensorsFile& file, const std::string& prefix, const std::string& configJson,
                              const torch::TensorOptions& options) {
    auto config = transformerConfigFromFile(file, prefix, configJson);
    AvTransformer model(config, options);
    // The text connectors sit under the same prefix in released files; text_connectors.h loads them.
    loadWeights(*model, file, prefix, {prefix + "video_embeddings_connector.", prefix + "audio_embeddings_connector."});
    model->eval();
    return model;
}

} // namespace tandem::model::ltx2
