#include "model/ltx2/config.h"

#include <nlohmann/json.hpp>

#include <map>
#include <set>
#include <sstream>

namespace tandem::model::ltx2 {

using nlohmann::json;

void refuse(const std::string& where, const std::string& why) { throw CheckpointError(where + ": " + why); }

json configSection(const std::string& configJson, const std::string& section, const std::string& where) {
    json root;
    try {
        root = json::parse(configJson);
    } catch (const json::exception& e) {
        refuse(where, std::string("the \"config\" metadata is not JSON (") + e.what() + ")");
    }
    if (!root.is_object() || !root.contains(section) || !root.at(section).is_object())
        refuse(where, "the \"config\" metadata has no \"" + section + "\" object");
    return root.at(section);
}

namespace {

// Settings the architecture never varies, with the only value the network implements. A missing key is
// refused like a wrong one (the upstream configurator does the same), except where null is the value.
void checkFixedSettings(const json& t, const std::string& where) {
    const std::vector<std::pair<const char*, json>> fixed = {
        {"dropout", 0.0},
        {"attention_bias", true},
        {"activation_fn", "gelu-approximate"},
        {"num_embeds_ada_norm", 1000},
        {"use_linear_projection", false},
        {"only_cross_attention", false},
        {"cross_attention_norm", true},
        {"double_self_attention", false},
        {"upcast_attention", false},
        {"standardization_norm", "rms_norm"},
        {"norm_elementwise_affine", false},
        {"qk_norm", "rms_norm"},
        {"positional_embedding_type", "rope"},
        {"use_audio_video_cross_attention", true},
        {"share_ff", false},
        {"av_cross_ada_norm", true},
        {"use_middle_indices_grid", true},
    };
    for (const auto& [key, expected] : fixed) {
        if (!t.contains(key)) refuse(where, std::string("transformer config has no \"") + key + "\"");
        if (t.at(key) != expected)
            refuse(where, std::string("transformer config \"") + key + "\" is " + t.at(key).dump() +
                              "; this engine implements only " + expected.dump());
    }
    if (t.contains("num_vector_embeds") && !t.at("num_vector_embeds").is_null())
        refuse(where, "transformer config \"num_vector_embeds\" is set; only continuous latents are implemented");
    if (t.value("use_keyframes_abs_pos_embedding", false))
        refuse(where, "keyframe position embeddings (generated-keyframe checkpoints) are not implemented");
    if (!t.value("caption_proj_before_connector", false))
        refuse(where, "the caption projection sits in the transformer (an LTX-2 19B checkpoint); only LTX-2.3 "
                      "layouts, with the projection in the text connector, are implemented");
}

template <class T> T read(const json& t, const char* key, T fallback, const std::string& where) {
    if (!t.contains(key) || t.at(key).is_null()) return fallback;
    try {
        return t.at(key).get<T>();
    } catch (const json::exception&) {
        refuse(where, std::string("transformer config \"") + key + "\" is " + t.at(key).dump() +
                          ", not a " + (std::is_same_v<T, bool> ? "boolean" : "number"));
    }
}

int positive(const json& t, const char* key, int fallback, const std::string& where) {
    const int v = read<int>(t, key, fallback, where);
    if (v <= 0 || v > 1 << 20) refuse(where, std::string("transformer config \"") + key + "\" is out of range");
    return v;
}

} // namespace

TransformerConfig parseTransformerConfig(const std::string& configJson, const std::string& where) {
    const json t = configSection(configJson, "transformer", where);
    checkFixedSettings(t, where);

    TransformerConfig c;
    c.heads = positive(t, "num_attention_heads", c.heads, where);
    c.head_dim = positive(t, "attention_head_dim", c.head_dim, where);
    c.in_channels = positive(t, "in_channels", c.in_channels, where);
    c.out_channels = positive(t, "out_channels", c.out_channels, where);
    c.layers = positive(t, "num_layers", c.layers, where);
    c.cross_attention_dim = positive(t, "cross_attention_dim", c.cross_attention_dim, where);
    c.norm_eps = read<double>(t, "norm_eps", c.norm_eps, where);
    c.rope_theta = read<double>(t, "positional_embedding_theta", c.rope_theta, where);
    c.timestep_scale = read<double>(t, "timestep_scale_multiplier", c.timestep_scale, where);
    c.audio_heads = positive(t, "audio_num_attention_heads", c.audio_heads, where);
    c.audio_head_dim = positive(t, "audio_attention_head_dim", c.audio_head_dim, where);
    c.audio_in_channels = positive(t, "audio_in_channels", c.audio_in_channels, where);
    c.audio_out_channels = positive(t, "audio_out_channels", c.audio_out_channels, where);
    c.audio_cross_attention_dim = positive(t, "audio_cross_attention_dim", c.audio_cross_attention_dim, where);
    c.av_timestep_scale = read<double>(t, "av_ca_timestep_scale_multiplier", c.av_timestep_scale, where);
    c.gated_attention = read<bool>(t, "apply_gated_attention", false, where);
    c.cross_attention_adaln = read<bool>(t, "cross_attention_adaln", false, where);
    c.prompt_adaln = read<bool>(t, "use_prompt_adaln_single", true, where);
    c.ff_bias = read<bool>(t, "ff_bias", true, where);
    c.audio_ff_bias = read<bool>(t, "audio_ff_bias", true, where);
    if (c.heads != c.audio_heads)
        refuse(where, "the video and audio streams have different head counts; the architecture shares them");

    if (t.contains("positional_embedding_max_pos")) {
        const json& m = t.at("positional_embedding_max_pos");
        if (!m.is_array() || m.size() != 3) refuse(where, "\"positional_embedding_max_pos\" is not three numbers");
        for (int i = 0; i < 3; ++i) c.max_pos[i] = m.at(i).get<int>();
    }
    if (t.contains("audio_positional_embedding_max_pos")) {
        const json& m = t.at("audio_positional_embedding_max_pos");
        if (!m.is_array() || m.size() != 1) refuse(where, "\"audio_positional_embedding_max_pos\" is not one number");
        c.audio_max_pos = m.at(0).get<int>();
    }
    for (int p : c.max_pos)
        if (p <= 0) refuse(where, "\"positional_embedding_max_pos\" holds a value ≤ 0");
    if (c.audio_max_pos <= 0) refuse(where, "\"audio_positional_embedding_max_pos\" is ≤ 0");

    const std::string rope = t.value("rope_type", std::string("split"));
    if (rope != "split")
        refuse(where, "\"rope_type\" " + rope + " is not implemented (LTX-2.3 rotates split halves)");
    c.rope_double_precision = t.contains("frequencies_precision") && t.at("frequencies_precision") == "float64";
    if (c.width() % 2 || c.audioWidth() % 2 || c.audio_cross_attention_dim % (2 * c.heads))
        refuse(where, "stream widths do not split into rotary halves per head");
    return c;
}

ConnectorConfig parseConnectorConfig(const std::string& configJson, const std::string& where) {
    const json t = configSection(configJson, "transformer", where);
    if (!t.value("caption_proj_before_connector", false))
        refuse(where, "the text projection sits in the transformer (an LTX-2 19B checkpoint); only the LTX-2.3 "
                      "text path is implemented");
    for (const char* key : {"caption_projection_first_linear", "caption_proj_input_norm",
                            "caption_projection_second_linear"})
        if (read<bool>(t, key, false, where))
            refuse(where, std::string("text projection variant \"") + key + "\" is not implemented");
    const std::string norm = t.value("text_encoder_norm_type", std::string("per_token_rms"));
    if (norm != "per_token_rms" && norm != "PER_TOKEN_RMS")
        refuse(where, "text encoder normalisation \"" + norm + "\" is not implemented (LTX-2.3: per_token_rms)");

    ConnectorConfig c;
    c.encoder_width = positive(t, "caption_channels", c.encoder_width, where);
    c.heads = positive(t, "connector_num_attention_heads", 30, where);
    c.head_dim = positive(t, "connector_attention_head_dim", 128, where);
    c.layers = positive(t, "connector_num_layers", 2, where);
    c.audio_heads = positive(t, "audio_connector_num_attention_heads", c.heads, where);
    c.audio_head_dim = positive(t, "audio_connector_attention_head_dim", c.head_dim, where);
    c.audio_layers = positive(t, "audio_connector_num_layers", c.layers, where);
    c.registers = positive(t, "connector_num_learnable_registers", 128, where);
    c.rope_theta = read<double>(t, "positional_embedding_theta", c.rope_theta, where);
    c.rope_double_precision = t.contains("frequencies_precision") && t.at("frequencies_precision") == "float64";
    c.gated_attention = read<bool>(t, "connector_apply_gated_attention", false, where);
    c.ff_bias = read<bool>(t, "connector_ff_bias", true, where);
    c.max_pos = 1;
    if (t.contains("connector_positional_embedding_max_pos")) {
        const json& m = t.at("connector_positional_embedding_max_pos");
        if (!m.is_array() || m.size() != 1 || !m.at(0).is_number_integer() || m.at(0).get<int>() <= 0)
            refuse(where, "\"connector_positional_embedding_max_pos\" is not one positive number");
        c.max_pos = m.at(0).get<int>();
    }
    if (t.value("rope_type", std::string("split")) != "split")
        refuse(where, "the connectors' \"rope_type\" is not implemented (LTX-2.3 rotates split halves)");
    return c;
}

namespace {

// The shape of `name` under `prefix`, or an error naming what the header promised.
const std::vector<int64_t>& shapeOf(const SafetensorsFile& file, const std::string& prefix, const std::string& name) {
    auto it = file.tensors().find(prefix + name);
    if (it == file.tensors().end())
        refuse(file.path(), "the transformer has no tensor '" + prefix + name + "'");
    return it->second.shape;
}

void expectShape(const SafetensorsFile& file, const std::string& prefix, const std::string& name,
                 const std::vector<int64_t>& expected, const char* setting) {
    const auto& got = shapeOf(file, prefix, name);
    if (got != expected) {
        std::ostringstream out;
        out << "'" << prefix << name << "' has shape [";
        for (size_t i = 0; i < got.size(); ++i) out << (i ? ", " : "") << got[i];
        out << "], which does not fit the header's " << setting;
        refuse(file.path(), out.str());
    }
}

} // namespace

std::string checkpointHeader(const SafetensorsFile& file) {
    auto meta = file.metadata().find("config");
    if (meta == file.metadata().end())
        throw CheckpointError(file.path() + ": no \"config\" in the safetensors metadata");
    return meta->second;
}

TransformerConfig transformerConfigFromFile(const SafetensorsFile& file, const std::string& prefix) {
    auto meta = file.metadata().find("config");
    if (meta == file.metadata().end())
        refuse(file.path(), "no \"config\" in the safetensors metadata (a released LTX-2 checkpoint carries its "
                            "architecture there)");
    return transformerConfigFromFile(file, prefix, meta->second);
}

TransformerConfig transformerConfigFromFile(const SafetensorsFile& file, const std::string& prefix,
                                            const std::string& configJson) {
    TransformerConfig c = parseTransformerConfig(configJson, file.path());

    // Count the blocks the file holds: the header's num_layers must be exactly that.
    std::set<int> blocks;
    const std::string blockPrefix = prefix + "transformer_blocks.";
    for (const auto& [name, view] : file.tensors()) {
        if (name.rfind(blockPrefix, 0) != 0) continue;
        const std::string rest = name.substr(blockPrefix.size());
        try {
            blocks.insert(std::stoi(rest.substr(0, rest.find('.'))));
        } catch (const std::exception&) {
            refuse(file.path(), "tensor '" + name + "' has no block number");
        }
    }
    if (static_cast<int>(blocks.size()) != c.layers || (!blocks.empty() && *blocks.rbegin() != c.layers - 1))
        refuse(file.path(), "the header says " + std::to_string(c.layers) + " blocks, the file holds " +
                                std::to_string(blocks.size()));

    const int64_t v = c.width(), a = c.audioWidth();
    expectShape(file, prefix, "patchify_proj.weight", {v, c.in_channels}, "video width and in_channels");
    expectShape(file, prefix, "audio_patchify_proj.weight", {a, c.audio_in_channels},
                "audio width and audio_in_channels");
    expectShape(file, prefix, "proj_out.weight", {c.out_channels, v}, "out_channels");
    expectShape(file, prefix, "audio_proj_out.weight", {c.audio_out_channels, a}, "audio_out_channels");
    expectShape(file, prefix, "adaln_single.linear.weight", {c.adalnCoefficients() * v, v},
                "cross_attention_adaln");
    expectShape(file, prefix, "transformer_blocks.0.attn2.to_k.weight", {v, c.cross_attention_dim},
                "cross_attention_dim");
    expectShape(file, prefix, "transformer_blocks.0.audio_attn2.to_k.weight", {a, c.audio_cross_attention_dim},
                "audio_cross_attention_dim");
    const bool hasGates = file.tensors().count(prefix + "transformer_blocks.0.attn1.to_gate_logits.weight") > 0;
    if (hasGates != c.gated_attention)
        refuse(file.path(), std::string("the header says apply_gated_attention ") +
                                (c.gated_attention ? "true" : "false") + " but the tensors " +
                                (hasGates ? "have" : "lack") + " attention gates");
    const bool hasPrompt = file.tensors().count(prefix + "prompt_adaln_single.linear.weight") > 0;
    if (hasPrompt != (c.cross_attention_adaln && c.prompt_adaln))
        refuse(file.path(), "the header's cross_attention_adaln / use_prompt_adaln_single do not match the "
                            "tensors (prompt AdaLN " + std::string(hasPrompt ? "present" : "absent") + ")");
    return c;
}

} // namespace tandem::model::ltx2
