// Design note: every size of the engine comes from one ModelConfig, read from a checkpoint's config.json
// (or the built-in defaults when there is no checkpoint). Components take the part of the config they need
// and never hard-code a size, so a tiny test model and the shipped demo model run the same code.
#pragma once

#include "model/timebase.h"

#include <string>

namespace tandem::model {

struct VideoConfig {
    int width = 128;
    int height = 128;
    double fps = 16.0;
    int latent_channels = 8;
    int spatial_compression = 8;  // power of two
    int temporal_compression = 4; // power of two
    int vae_channels = 64; // at the latent resolution; halved per 2× towards full resolution
    int patch_size = 2; // spatial patch of the latent grid that becomes one token
};

struct AudioConfig {
    int sample_rate = 16000;
    int hop = 256; // product of the VAE strides
    int latent_channels = 8;
    int vae_channels = 32;
};

struct TextConfig {
    int vocab_size = 259; // 256 bytes + pad + dialogue open/close
    int max_tokens = 96;
    int width = 128;
    int layers = 2;
    int heads = 4;
};

struct TransformerConfig {
    int width = 128;
    int heads = 4;
    int layers = 4;
    int mlp_ratio = 4;
    double rope_theta = 10000.0;
    // Temporal RoPE positions are seconds × this rate; the default is the video latent rate, so video
    // latent steps sit on integer positions and audio steps between them.
    double rope_time_rate = 4.0;
    int freq_dim = 128; // sinusoidal timestep embedding size
};

struct ModelConfig {
    std::string name = "random-init";
    VideoConfig video;
    AudioConfig audio;
    TextConfig text;
    TransformerConfig dit;

    TimeBase timeBase() const;
    // Latent grid of one frame.
    int latentHeight() const { return video.height / video.spatial_compression; }
    int latentWidth() const { return video.width / video.spatial_compression; }

    // Checks internal consistency (divisibility, powers of two, head sizes); throws std::invalid_argument
    // naming the offending field.
    void validate() const;

    static ModelConfig fromJson(const std::string& text); // throws std::invalid_argument
    std::string toJson() const;
};

} // namespace tandem::model
