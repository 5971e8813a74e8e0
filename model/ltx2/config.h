// Design note: the sizes and switches of an LTX-2 audio-video transformer. A released checkpoint carries
// them as JSON in its safetensors `__metadata__` under "config" → "transformer" (there is no config.json);
// the fields and their defaults are those of the upstream configurator. Settings the architecture never
// varies (dropout 0, rms_norm everywhere, rope, middle-of-patch positions…) are checked, not read: a file
// that says otherwise describes a network this port does not implement, and is refused by name.
// The widths are then checked against the tensors themselves (transformerConfigFromTensors), so a header
// that disagrees with its weights is refused before any weight is read.
#pragma once

#include "model/safetensors.h"

#include <nlohmann/json.hpp>

#include <array>
#include <string>

namespace tandem::model::ltx2 {

struct TransformerConfig {
    int heads = 32;            // video stream: heads × head_dim = 4096
    int head_dim = 128;
    int in_channels = 128;     // video latent channels (patch size 1)
    int out_channels = 128;
    int layers = 48;
    int cross_attention_dim = 4096; // video text context width
    double norm_eps = 1e-6;
    double rope_theta = 10000.0;
    std::array<int, 3> max_pos{20, 2048, 2048}; // RoPE extent: seconds, pixels, pixels
    double timestep_scale = 1000.0;
    int audio_heads = 32;      // audio stream: 32 × 64 = 2048
    int audio_head_dim = 64;
    int audio_in_channels = 128; // 8 latent channels × 16 mel bins
    int audio_out_channels = 128;
    int audio_cross_attention_dim = 2048; // audio text context width, and the A↔V RoPE width
    int audio_max_pos = 20;
    double av_timestep_scale = 1.0; // cross-modal gate timestep multiplier (2.3: 1000)
    bool rope_double_precision = false; // "frequencies_precision": "float64"
    bool gated_attention = false;    // per-head 2·sigmoid gates on every attention output
    bool cross_attention_adaln = false; // text cross-attention modulated by the noise level (2.3)
    bool prompt_adaln = true;        // … with a timestep MLP on the prompt side too
    bool ff_bias = true;
    bool audio_ff_bias = true;

    int width() const { return heads * head_dim; }
    int audioWidth() const { return audio_heads * audio_head_dim; }
    int adalnCoefficients() const { return cross_attention_adaln ? 9 : 6; }
};

// The text path after the text encoder (LTX-2.3 layout): per-token RMS-normed hidden states of every
// encoder layer, projected to each stream's width, then one small transformer per stream ("connector")
// with learnable registers in place of padding. Read from the same "transformer" header object.
struct ConnectorConfig {
    int encoder_width = 3840; // "caption_channels": the text encoder's hidden size
    int heads = 32, head_dim = 128;             // video connector (its width is the video stream's)
    int audio_heads = 32, audio_head_dim = 64;  // audio connector
    int layers = 8, audio_layers = 8;
    int max_pos = 4096;      // RoPE extent over token indices
    int registers = 128;     // learnable registers; the prompt length must be a multiple
    double rope_theta = 10000.0;
    bool rope_double_precision = false;
    bool gated_attention = false;
    bool ff_bias = true;

    int width() const { return heads * head_dim; }
    int audioWidth() const { return audio_heads * audio_head_dim; }
};
ConnectorConfig parseConnectorConfig(const std::string& configJson, const std::string& where);

// The architecture header a checkpoint carries as JSON in its safetensors metadata ("config").
// Throws CheckpointError naming the file when there is none.
std::string checkpointHeader(const SafetensorsFile& file);

// Throws CheckpointError("where: why").
[[noreturn]] void refuse(const std::string& where, const std::string& why);

// The object `section` ("transformer", "audio_vae", "vocoder") of a checkpoint's "config" metadata JSON.
// Throws CheckpointError naming `where` when the text is not JSON or has no such object.
nlohmann::json configSection(const std::string& configJson, const std::string& section, const std::string& where);

// Parses the "transformer" object of a checkpoint's config JSON text. Throws CheckpointError naming the
// field that is missing, malformed or set to a variant this port does not implement.
TransformerConfig parseTransformerConfig(const std::string& configJson, const std::string& where);

// The config stored in `file`'s metadata, checked against the shapes of its transformer tensors (under
// `prefix`, e.g. "model.diffusion_model."): layer count, widths, channel counts, gating and prompt AdaLN.
TransformerConfig transformerConfigFromFile(const SafetensorsFile& file, const std::string& prefix);
// The same with the header given (a split file may not carry it: model_files.h recognises it).
TransformerConfig transformerConfigFromFile(const SafetensorsFile& file, const std::string& prefix,
                                            const std::string& configJson);

} // namespace tandem::model::ltx2
