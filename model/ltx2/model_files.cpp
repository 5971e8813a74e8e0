#include "model/ltx2/model_files.h"

#include "model/ltx2/config.h"

#include <algorithm>
#include <filesystem>
#include <map>
#include <set>

namespace tandem::model::ltx2 {

namespace {

namespace fs = std::filesystem;
using nlohmann::json;

// The transformer section of the released ltx-2.3-22b header (its "config" metadata).
const char* kLtx23Transformer =
    R"({"activation_fn":"gelu-approximate","apply_gated_attention":true,"attention_bias":true,"attention_he)"
    R"(ad_dim":128,"attention_type":"default","audio_attention_head_dim":64,"audio_connector_attention_head)"
    R"(_dim":64,"audio_connector_num_attention_heads":32,"audio_cross_attention_dim":2048,"audio_num_attent)"
    R"(ion_heads":32,"audio_out_channels":128,"audio_positional_embedding_max_pos":[20],"av_ca_timestep_sca)"
    R"(le_multiplier":1000.0,"av_cross_ada_norm":true,"caption_channels":3840,"caption_proj_before_connecto)"
    R"(r":true,"caption_proj_input_norm":false,"caption_projection_first_linear":false,"caption_projection_)"
    R"(second_linear":false,"causal_temporal_positioning":true,"connector_apply_gated_attention":true,"conn)"
    R"(ector_attention_head_dim":128,"connector_learnable_registers_std":1,"connector_norm_output":true,"co)"
    R"(nnector_num_attention_heads":32,"connector_num_layers":8,"connector_num_learnable_registers":128,"co)"
    R"(nnector_positional_embedding_max_pos":[4096],"cross_attention_adaln":true,"cross_attention_dim":4096)"
    R"(,"cross_attention_norm":true,"double_self_attention":false,"dropout":0.0,"frequencies_precision":"fl)"
    R"(oat64","in_channels":128,"norm_elementwise_affine":false,"norm_eps":1e-06,"num_attention_heads":32,")"
    R"(num_embeds_ada_norm":1000,"num_layers":48,"num_vector_embeds":null,"only_cross_attention":false,"out)"
    R"(_channels":128,"positional_embedding_max_pos":[20,2048,2048],"positional_embedding_theta":10000.0,"p)"
    R"(ositional_embedding_type":"rope","qk_norm":"rms_norm","rope_type":"split","share_ff":false,"standard)"
    R"(ization_norm":"rms_norm","text_encoder_norm_type":"per_token_rms","timestep_scale_multiplier":1000,")"
    R"(upcast_attention":false,"use_audio_video_cross_attention":true,"use_embeddings_connector":true,"use_)"
    R"(linear_projection":false,"use_middle_indices_grid":true})";

// LTX-2.3's video VAE in ltx-core's header form, reconstructed from diffusers' public converter: no
// released file was at hand to read it from (tests/fixtures/ltx2/README.md).
const char* kLtx23VideoVae =
    R"({"_class_name":"CausalVideoAutoencoder","causal_decoder":false,"decoder_base_channels":128,"decoder_)"
    R"(blocks":[["res_x",{"num_layers":4}],["compress_space",{"multiplier":2}],["res_x",{"num_layers":6}],[)"
    R"("compress_time",{"multiplier":2}],["res_x",{"num_layers":4}],["compress_all",{"multiplier":1}],["res)"
    R"(_x",{"num_layers":2}],["compress_all",{"multiplier":2}],["res_x",{"num_layers":2}]],"dims":3,"encode)"
    R"(r_blocks":[["res_x",{"num_layers":4}],["compress_space_res",{"multiplier":2}],["res_x",{"num_layers")"
    R"(:6}],["compress_time_res",{"multiplier":2}],["res_x",{"num_layers":4}],["compress_all_res",{"multipl)"
    R"(ier":2}],["res_x",{"num_layers":2}],["compress_all_res",{"multiplier":1}],["res_x",{"num_layers":2}])"
    R"(],"in_channels":3,"latent_channels":128,"latent_log_var":"uniform","norm_layer":"pixel_norm","out_ch)"
    R"(annels":3,"patch_size":4,"spatial_padding_mode":"zeros","timestep_conditioning":false})";

bool endsWith(const std::string& s, const std::string& tail) {
    return s.size() >= tail.size() && s.compare(s.size() - tail.size(), tail.size(), tail) == 0;
}

// Records that `file` holds `name`'s part under `prefix`; the same part in a second place is refused.
void place(LtxPart& part, const char* name, const SafetensorsFile& file, const std::string& prefix) {
    if (part && (part.file != &file || part.prefix != prefix))
        throw CheckpointError("two places hold an LTX-2 " + std::string(name) + ": " + part.file->path() +
                              (part.prefix.empty() ? "" : " ('" + part.prefix + "…')") + " and " +
                              file.path() + (prefix.empty() ? "" : " ('" + prefix + "…')") + "; keep one");
    part.file = &file;
    part.prefix = prefix;
}

void findParts(LtxFiles& m, const SafetensorsFile& file) {
    for (const auto& [name, view] : file.tensors()) {
        auto before = [&](const std::string& tail) { return name.substr(0, name.size() - tail.size()); };
        if (endsWith(name, "audio_patchify_proj.weight")) {
            place(m.transformer, "transformer", file, before("audio_patchify_proj.weight"));
        } else if (endsWith(name, "video_embeddings_connector.learnable_registers")) {
            place(m.connectors, "text connector", file,
                  before("video_embeddings_connector.learnable_registers"));
        } else if (endsWith(name, "video_aggregate_embed.weight")) {
            place(m.projection, "text projection", file, before("video_aggregate_embed.weight"));
        } else if (endsWith(name, "decoder.conv_in.conv.weight")) {
            // The video VAE convolves in 3-D (a 5-D kernel), the audio VAE in 2-D.
            if (view.shape.size() == 5)
                place(m.videoVae, "video VAE", file, before("decoder.conv_in.conv.weight"));
            else
                place(m.audioVae, "audio VAE", file, before("decoder.conv_in.conv.weight"));
        } else if (endsWith(name, "vocoder.conv_pre.weight")) {
            place(m.vocoder, "vocoder", file, before("vocoder.conv_pre.weight"));
        }
    }
}

void mergeHeader(LtxFiles& m, const SafetensorsFile& file, std::map<std::string, std::string>& from) {
    auto meta = file.metadata().find("config");
    if (meta == file.metadata().end()) return;
    json header;
    try {
        header = json::parse(meta->second);
    } catch (const json::exception& e) {
        throw CheckpointError(file.path() + ": the \"config\" metadata is not JSON (" + e.what() + ")");
    }
    if (!header.is_object())
        throw CheckpointError(file.path() + ": the \"config\" metadata is not an object");
    for (const char* section : {"transformer", "vae", "audio_vae", "vocoder"}) {
        if (!header.contains(section)) continue;
        if (m.header.contains(section) && m.header[section] != header[section])
            throw CheckpointError(from[section] + " and " + file.path() + " disagree on the \"" + section +
                                  "\" header: they are parts of different models");
        m.header[section] = header[section];
        from[section] = file.path();
    }
}

std::vector<std::string> safetensorsIn(const std::string& path) {
    std::error_code ec;
    if (!fs::is_directory(path, ec)) return {path};
    std::vector<std::string> out;
    for (const auto& entry : fs::directory_iterator(path, ec))
        if (entry.is_regular_file() && entry.path().extension() == ".safetensors")
            out.push_back(entry.path().string());
    if (ec) throw CheckpointError(path + ": cannot list the folder (" + ec.message() + ")");
    std::sort(out.begin(), out.end());
    if (out.empty()) throw CheckpointError(path + ": no .safetensors files in the folder");
    return out;
}

int64_t dim(const LtxPart& part, const std::string& name, size_t axis) {
    const auto& tensors = part.file->tensors();
    auto it = tensors.find(part.prefix + name);
    if (it == tensors.end() || it->second.shape.size() <= axis)
        throw CheckpointError(part.file->path() + ": no LTX-2 tensor '" + part.prefix + name + "'");
    return it->second.shape[axis];
}

int countBlocks(const LtxPart& part, const std::string& blocks) {
    std::set<std::string> seen;
    const std::string head = part.prefix + blocks;
    for (const auto& [name, view] : part.file->tensors())
        if (name.rfind(head, 0) == 0)
            seen.insert(name.substr(head.size(), name.find('.', head.size()) - head.size()));
    return static_cast<int>(seen.size());
}

bool has(const LtxPart& part, const std::string& name) {
    return part.file->tensors().count(part.prefix + name) > 0;
}

} // namespace

const json& ltx23TransformerHeader() {
    static const json header = json::parse(kLtx23Transformer);
    return header;
}

const json& ltx23VideoVaeHeader() {
    static const json header = json::parse(kLtx23VideoVae);
    return header;
}

json recogniseTransformerHeader(const LtxPart& t, const LtxPart& c, int textEncoderWidth) {
    const std::string& where = t.file->path();
    const bool signature =
        has(t, "transformer_blocks.0.attn1.to_gate_logits.weight") &&
        has(t, "prompt_adaln_single.linear.weight") &&
        dim(t, "transformer_blocks.0.scale_shift_table", 0) == 9 &&
        has(c, "video_embeddings_connector.transformer_1d_blocks.0.attn1.to_gate_logits.weight");
    if (!signature)
        throw CheckpointError(where +
                              ": no architecture header (\"config\" metadata) in any file, and the "
                              "tensors are not LTX-2.3's (attention gates, cross-attention and prompt "
                              "AdaLN): use the released single file, whose header says what it is");
    json h = ltx23TransformerHeader();
    const int64_t width = dim(t, "patchify_proj.weight", 0),
                  audioWidth = dim(t, "audio_patchify_proj.weight", 0);
    const int64_t heads = dim(t, "transformer_blocks.0.attn1.to_gate_logits.weight", 0);
    const int64_t audioHeads = dim(t, "transformer_blocks.0.audio_attn1.to_gate_logits.weight", 0);
    h["num_layers"] = countBlocks(t, "transformer_blocks.");
    h["num_attention_heads"] = heads;
    h["attention_head_dim"] = width / heads;
    h["in_channels"] = dim(t, "patchify_proj.weight", 1);
    h["out_channels"] = dim(t, "proj_out.weight", 0);
    h["cross_attention_dim"] = dim(t, "transformer_blocks.0.attn2.to_k.weight", 1);
    h["audio_num_attention_heads"] = audioHeads;
    h["audio_attention_head_dim"] = audioWidth / audioHeads;
    h["audio_in_channels"] = dim(t, "audio_patchify_proj.weight", 1);
    h["audio_out_channels"] = dim(t, "audio_proj_out.weight", 0);
    h["audio_cross_attention_dim"] = dim(t, "transformer_blocks.0.audio_attn2.to_k.weight", 1);
    for (const auto& [stream, key] : {std::pair{"video", ""}, std::pair{"audio", "audio_"}}) {
        const std::string connector = std::string(stream) + "_embeddings_connector.";
        const int64_t connectorHeads =
            dim(c, connector + "transformer_1d_blocks.0.attn1.to_gate_logits.weight", 0);
        const int64_t connectorWidth = dim(c, connector + "transformer_1d_blocks.0.attn1.to_q.weight", 0);
        h[std::string(key) + "connector_num_attention_heads"] = connectorHeads;
        h[std::string(key) + "connector_attention_head_dim"] = connectorWidth / connectorHeads;
        h[std::string(key) + "connector_num_layers"] = countBlocks(c, connector + "transformer_1d_blocks.");
    }
    h["connector_num_learnable_registers"] = dim(c, "video_embeddings_connector.learnable_registers", 0);
    h["caption_channels"] = textEncoderWidth > 0 ? textEncoderWidth : 3840; // Gemma 3 12B
    return h;
}

LtxFiles LtxFiles::open(const std::string& path, int textEncoderWidth) {
    LtxFiles m;
    std::map<std::string, std::string> headerFrom;
    for (const auto& file : safetensorsIn(path)) {
        m.files.push_back(std::make_unique<SafetensorsFile>(file));
        findParts(m, *m.files.back());
        mergeHeader(m, *m.files.back(), headerFrom);
    }
    const std::pair<const LtxPart*, const char*> parts[] = {
        {&m.transformer, "transformer (\"…patchify_proj\")"},
        {&m.connectors, "text connectors (\"…video_embeddings_connector\")"},
        {&m.projection, "text projection (\"…video_aggregate_embed\")"},
        {&m.videoVae, "video VAE (\"…decoder.conv_in\", 3-D)"},
        {&m.audioVae, "audio VAE (\"…decoder.conv_in\", 2-D)"},
        {&m.vocoder, "vocoder (\"…vocoder.conv_pre\")"}};
    for (const auto& [part, name] : parts)
        if (!*part)
            throw CheckpointError(path + ": no LTX-2 " + std::string(name) + " in " +
                                  (m.files.size() == 1 ? "the file" : "any of its files"));

    if (!m.header.contains("transformer")) {
        m.header["transformer"] = recogniseTransformerHeader(m.transformer, m.connectors, textEncoderWidth);
        m.recognised.push_back("transformer");
    }
    if (!m.header.contains("vae")) {
        m.header["vae"] = ltx23VideoVaeHeader();
        m.recognised.push_back("vae");
    }
    for (const auto& [section, part] :
         {std::pair{"audio_vae", &m.audioVae}, std::pair{"vocoder", &m.vocoder}})
        if (!m.header.contains(section))
            throw CheckpointError(
                part->file->path() + ": no \"" + std::string(section) +
                "\" header (\"config\" metadata) in any file; this part cannot be recognised "
                "from its tensors alone: use a file that keeps its metadata");
    return m;
}

} // namespace tandem::model::ltx2
