#include "model/ltx2/gemma3.h"

#include "model/checkpoint.h"
#include "model/ltx2/config.h"

#include <nlohmann/json.hpp>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

namespace tandem::model::ltx2 {

using nlohmann::json;
namespace fs = std::filesystem;

namespace {

torch::Tensor weightOf(torch::nn::Module& parent, const std::string& name, std::vector<int64_t> shape,
                       const torch::TensorOptions& o) {
    auto holder = parent.register_module(name, std::make_shared<torch::nn::Module>());
    return holder->register_parameter("weight", torch::empty(shape, o), /*requires_grad=*/false);
}

// Gemma's RMSNorm: in fp32, scaled by (1 + w), back to the input's dtype.
torch::Tensor gemmaNorm(const torch::Tensor& x, const torch::Tensor& w, double eps) {
    auto f = x.to(torch::kFloat32);
    f = f * torch::rsqrt(f.pow(2).mean(-1, true) + eps);
    return (f * (1.0 + w.to(torch::kFloat32))).to(x.scalar_type());
}

torch::Tensor rotateHalf(const torch::Tensor& x) {
    const int64_t half = x.size(-1) / 2;
    return torch::cat({-x.narrow(-1, half, half), x.narrow(-1, 0, half)}, -1);
}

// cos and sin [L, head_dim] for positions 0 … L − 1 (fp32, as Hugging Face forces).
std::pair<torch::Tensor, torch::Tensor> ropeTables(int64_t length, int headDim, double base, double factor,
                                                   const torch::Device& device) {
    const auto f32 = torch::TensorOptions().dtype(torch::kFloat32).device(device);
    auto inverse = 1.0 / torch::pow(base, torch::arange(0, headDim, 2, f32) / headDim);
    inverse = inverse / factor;
    auto freqs = torch::arange(length, f32).unsqueeze(1) * inverse.unsqueeze(0);
    auto emb = torch::cat({freqs, freqs}, -1);
    return {emb.cos(), emb.sin()};
}

} // namespace

struct Gemma3LayerImpl : torch::nn::Module {
    Gemma3LayerImpl(const Gemma3Config& c, const torch::TensorOptions& o) : config(c) {
        auto attn = register_module("self_attn", std::make_shared<torch::nn::Module>());
        q = weightOf(*attn, "q_proj", {c.heads * c.head_dim, c.hidden}, o);
        k = weightOf(*attn, "k_proj", {c.kv_heads * c.head_dim, c.hidden}, o);
        v = weightOf(*attn, "v_proj", {c.kv_heads * c.head_dim, c.hidden}, o);
        out = weightOf(*attn, "o_proj", {c.hidden, c.heads * c.head_dim}, o);
        qNorm = weightOf(*attn, "q_norm", {c.head_dim}, o);
        kNorm = weightOf(*attn, "k_norm", {c.head_dim}, o);
        auto mlp = register_module("mlp", std::make_shared<torch::nn::Module>());
        gate = weightOf(*mlp, "gate_proj", {c.intermediate, c.hidden}, o);
        up = weightOf(*mlp, "up_proj", {c.intermediate, c.hidden}, o);
        down = weightOf(*mlp, "down_proj", {c.hidden, c.intermediate}, o);
        inputNorm = weightOf(*this, "input_layernorm", {c.hidden}, o);
        postAttentionNorm = weightOf(*this, "post_attention_layernorm", {c.hidden}, o);
        preFeedForwardNorm = weightOf(*this, "pre_feedforward_layernorm", {c.hidden}, o);
        postFeedForwardNorm = weightOf(*this, "post_feedforward_layernorm", {c.hidden}, o);
    }

    // x [B, L, D]; cos/sin [L, head_dim]; bias [B, 1, L, L] additive (0 or the dtype's lowest).
    torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& cos, const torch::Tensor& sin,
                          const torch::Tensor& bias) {
        const auto& c = config;
        const int64_t b = x.size(0), l = x.size(1);
        auto h = gemmaNorm(x, inputNorm, c.eps);
        auto query = torch::linear(h, q).view({b, l, c.heads, c.head_dim}).transpose(1, 2);
        auto key = torch::linear(h, k).view({b, l, c.kv_heads, c.head_dim}).transpose(1, 2);
        auto value = torch::linear(h, v).view({b, l, c.kv_heads, c.head_dim}).transpose(1, 2);
        query = gemmaNorm(query, qNorm, c.eps);
        key = gemmaNorm(key, kNorm, c.eps);
        const auto cs = cos.to(x.scalar_type()), sn = sin.to(x.scalar_type());
        query = query * cs + rotateHalf(query) * sn;
        key = key * cs + rotateHalf(key) * sn;
        const int64_t groups = c.heads / c.kv_heads; // each key/value head serves `groups` query heads
        key = key.repeat_interleave(groups, 1);
        value = value.repeat_interleave(groups, 1);
        auto scores = torch::matmul(query, key.transpose(2, 3)) * std::pow(c.query_pre_attn_scalar, -0.5);
        scores = scores + bias.to(scores.scalar_type());
        auto weights = torch::softmax(scores.to(torch::kFloat32), -1).to(query.scalar_type());
        auto attended = torch::matmul(weights, value).transpose(1, 2).reshape({b, l, c.heads * c.head_dim});
        auto y = x + gemmaNorm(torch::linear(attended, out), postAttentionNorm, c.eps);
        h = gemmaNorm(y, preFeedForwardNorm, c.eps);
        h = torch::linear(torch::gelu(torch::linear(h, gate), "tanh") * torch::linear(h, up), down);
        return y + gemmaNorm(h, postFeedForwardNorm, c.eps);
    }

    Gemma3Config config;
    torch::Tensor q, k, v, out, qNorm, kNorm, gate, up, down;
    torch::Tensor inputNorm, postAttentionNorm, preFeedForwardNorm, postFeedForwardNorm;
};

Gemma3Config parseGemma3Config(const std::string& configJson, const std::string& where) {
    json top;
    try {
        top = json::parse(configJson);
    } catch (const json::exception& e) {
        refuse(where, std::string("config.json is not JSON (") + e.what() + ")");
    }
    const std::string kind = top.value("model_type", std::string());
    if (kind != "gemma3" && kind != "gemma3_text")
        refuse(where, "model_type \"" + kind + "\" is not Gemma 3 (LTX-2.3's text encoder is gemma-3-12b)");
    const json text = top.contains("text_config") ? top["text_config"] : top;
    Gemma3Config c;
    try {
        c.vocab_size = text.value("vocab_size", c.vocab_size);
        c.hidden = text.value("hidden_size", c.hidden);
        c.intermediate = text.value("intermediate_size", c.intermediate);
        c.layers = text.value("num_hidden_layers", c.layers);
        c.heads = text.value("num_attention_heads", c.heads);
        c.kv_heads = text.value("num_key_value_heads", c.kv_heads);
        c.head_dim = text.value("head_dim", c.head_dim);
        c.eps = text.value("rms_norm_eps", c.eps);
        c.query_pre_attn_scalar = text.value("query_pre_attn_scalar", c.query_pre_attn_scalar);
        c.sliding_window = text.value("sliding_window", c.sliding_window);
        if (!text.value("attn_logit_softcapping", json()).is_null())
            refuse(where, "Gemma attention logit soft-capping is not implemented (Gemma 3 has none)");
        if (text.value("attention_bias", false)) refuse(where, "Gemma attention biases are not implemented");
        if (text.value("use_bidirectional_attention", false))
            refuse(where, "bidirectional Gemma attention is not implemented (LTX-2 uses the causal model)");
        if (text.value("hidden_activation", std::string("gelu_pytorch_tanh")) != "gelu_pytorch_tanh")
            refuse(where, "Gemma hidden_activation \"" + text.value("hidden_activation", std::string()) +
                              "\" is not implemented");
        auto ropeFactor = [&](const json& scaling) {
            if (scaling.is_null()) return 1.0;
            const std::string type =
                scaling.value("rope_type", scaling.value("type", std::string("default")));
            if (type == "default") return 1.0;
            if (type != "linear") refuse(where, "Gemma RoPE scaling \"" + type + "\" is not implemented");
            return scaling.value("factor", 1.0);
        };
        if (text.contains("rope_parameters") &&
            text["rope_parameters"].is_object()) { // transformers 5 layout
            const json& p = text["rope_parameters"];
            if (p.contains("full_attention")) {
                c.rope_theta = p["full_attention"].value("rope_theta", c.rope_theta);
                c.rope_factor = ropeFactor(p["full_attention"]);
            }
            if (p.contains("sliding_attention")) {
                c.rope_local_theta = p["sliding_attention"].value("rope_theta", c.rope_local_theta);
                if (ropeFactor(p["sliding_attention"]) != 1.0)
                    refuse(where, "scaled RoPE on Gemma's sliding layers is not implemented");
            }
        } else {
            c.rope_theta = text.value("rope_theta", c.rope_theta);
            c.rope_local_theta = text.value("rope_local_base_freq", c.rope_local_theta);
            c.rope_factor = ropeFactor(text.value("rope_scaling", json()));
        }
        if (text.contains("layer_types") && text["layer_types"].is_array()) {
            for (const auto& t : text["layer_types"])
                c.sliding.push_back(t.get<std::string>() == "sliding_attention");
        } else {
            const int pattern = text.value("sliding_window_pattern", 6); // every pattern-th layer is global
            for (int i = 0; i < c.layers; ++i)
                c.sliding.push_back(pattern <= 0 || (i + 1) % pattern != 0);
        }
    } catch (const json::exception& e) {
        refuse(where, std::string("the Gemma config is malformed (") + e.what() + ")");
    }
    if (c.vocab_size <= 0 || c.hidden <= 0 || c.intermediate <= 0 || c.layers <= 0 || c.heads <= 0 ||
        c.kv_heads <= 0 || c.head_dim <= 0 || c.head_dim % 2 != 0 || c.heads % c.kv_heads != 0 ||
        c.sliding_window <= 0 || c.query_pre_attn_scalar <= 0)
        refuse(where, "the Gemma config holds sizes that do not fit together");
    if (static_cast<int>(c.sliding.size()) != c.layers)
        refuse(where, "Gemma layer_types does not list every layer");
    return c;
}

Gemma3Impl::Gemma3Impl(const Gemma3Config& c, const torch::TensorOptions& o) : config(c) {
    embed_tokens = weightOf(*this, "embed_tokens", {c.vocab_size, c.hidden}, o);
    auto list = register_module("layers", torch::nn::ModuleList());
    for (int i = 0; i < c.layers; ++i) {
        blocks.push_back(std::make_shared<Gemma3LayerImpl>(c, o));
        list->push_back(blocks.back());
    }
    norm = weightOf(*this, "norm", {c.hidden}, o);
}

std::vector<torch::Tensor> Gemma3Impl::forward(const torch::Tensor& ids, const torch::Tensor& mask) {
    const auto& c = config;
    const int64_t length = ids.size(1);
    const auto device = embed_tokens.device();
    const auto dtype = embed_tokens.scalar_type();
    // Embeddings scaled by √width, the scale rounded to the weights' dtype as the reference does.
    auto x = torch::embedding(embed_tokens, ids.to(device)) *
             torch::tensor(std::sqrt(static_cast<double>(c.hidden)), torch::dtype(torch::kFloat32))
                 .to(dtype)
                 .item();

    // Additive biases: a key is seen if it is a prompt token at or before the query (and, in sliding
    // layers, within the window). Masked scores get the dtype's lowest value rather than −∞, so rows of
    // padding (which see nothing) stay finite.
    auto positions = torch::arange(length, torch::TensorOptions().device(device));
    auto query = positions.unsqueeze(1), key = positions.unsqueeze(0);
    auto seen = (key <= query).unsqueeze(0) & mask.to(device).to(torch::kBool).unsqueeze(1);
    auto windowed = seen & (query - key < c.sliding_window).unsqueeze(0);
    const double lowest = std::numeric_limits<float>::lowest();
    auto toBias = [&](const torch::Tensor& allowed) {
        return torch::zeros(allowed.sizes(), torch::TensorOptions().dtype(torch::kFloat32).device(device))
            .masked_fill(allowed.logical_not(), lowest)
            .unsqueeze(1);
    };
    const auto fullBias = toBias(seen), slidingBias = toBias(windowed);
    const auto [globalCos, globalSin] = ropeTables(length, c.head_dim, c.rope_theta, c.rope_factor, device);
    const auto [localCos, localSin] = ropeTables(length, c.head_dim, c.rope_local_theta, 1.0, device);

    std::vector<torch::Tensor> states{x};
    for (int i = 0; i < c.layers; ++i) {
        const bool sliding = c.sliding[static_cast<size_t>(i)];
        x = blocks[static_cast<size_t>(i)]->forward(x, sliding ? localCos : globalCos,
                                                    sliding ? localSin : globalSin,
                                                    sliding ? slidingBias : fullBias);
        states.push_back(i + 1 < c.layers ? x : gemmaNorm(x, norm, c.eps));
    }
    return states;
}

Gemma3Folder Gemma3Folder::open(const std::string& dir) {
    Gemma3Folder f;
    f.dir = dir;
    auto readText = [&](const fs::path& path) {
        std::ifstream in(path, std::ios::binary);
        if (!in) throw CheckpointError(path.string() + ": cannot be read (a Gemma 3 folder needs it)");
        std::stringstream text;
        text << in.rdbuf();
        return text.str();
    };
    const fs::path root(dir);
    f.config = parseGemma3Config(readText(root / "config.json"), (root / "config.json").string());

    std::vector<std::string> files;
    if (fs::exists(root / "model.safetensors.index.json")) {
        const auto indexPath = (root / "model.safetensors.index.json").string();
        try {
            std::set<std::string> unique;
            const json index = json::parse(readText(indexPath));
            for (const auto& entry : index.at("weight_map").items())
                unique.insert(entry.value().get<std::string>());
            files.assign(unique.begin(), unique.end());
        } catch (const json::exception& e) {
            throw CheckpointError(indexPath + ": not a weight index (" + e.what() + ")");
        }
    } else {
        files.push_back("model.safetensors");
    }
    for (const auto& name : files) {
        if (name.find('/') != std::string::npos || name.find("..") != std::string::npos)
            throw CheckpointError(dir + ": the weight index names a file outside the folder: " + name);
        const auto path = (root / name).string();
        if (!fs::exists(path))
            throw CheckpointError(path + ": missing (listed by the Gemma folder's weight index)");
        f.shards.push_back(std::make_unique<SafetensorsFile>(path));
    }
    for (const char* prefix : {"language_model.model.", "model.language_model.", "model.", ""})
        for (const auto& shard : f.shards)
            if (shard->tensors().count(std::string(prefix) + "embed_tokens.weight")) {
                f.prefix = prefix;
                return f;
            }
    throw CheckpointError(dir + ": no Gemma text model in its weight files (no \"…embed_tokens.weight\")");
}

Gemma3 loadGemma3(const Gemma3Folder& folder, const torch::TensorOptions& options) {
    Gemma3 model(folder.config, options);
    std::vector<const SafetensorsFile*> files;
    for (const auto& shard : folder.shards)
        files.push_back(shard.get());
    loadWeights(*model, files, folder.prefix);
    model->eval();
    return model;
}

} // namespace tandem::model::ltx2
