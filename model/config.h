// Design note: every size of the engine comes from one ModelConfig, read from a checkpoint's config.json
// (or the built-in defaults when there is no checkpoint). Components take the part of the config they need
// and never hard-code a size, so a tiny test model and the shipped demo model run the same code.
#pragma once

#include "model/timebase.h"

#include <map>
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
    int vae_decoder_blocks = 1; // residual blocks per decoder stage (the encoder has one)
    // Pixels enter the VAE as p × p patches folded into channels (and leave it unfolded), so no convolution
    // runs at full resolution; 1 = none. Part of the spatial compression: stages do the rest.
    int vae_patch = 1;
    // How many of the lowest-resolution stages look across frames (3-D kernels; the others are 2-D in
    // space, which costs a third): 0 = every stage, the first layout (models trained before this field).
    int vae_temporal_stages = 1;
    int patch_size = 2; // spatial patch of the latent grid that becomes one token
};

struct AudioConfig {
    int sample_rate = 16000;
    int hop = 256; // product of the VAE strides
    int latent_channels = 8;
    int vae_channels = 32;
    // "seanet": residual units with Snake activations, channels doubling per stage (audio_vae.h); "plain":
    // the first layout, one strided convolution and one mixing convolution per stage.
    std::string vae_kind = "seanet";
};

struct TextConfig {
    // "bytes": UTF-8 bytes (any prompt, spelling to learn); "words": the words a model was trained on, one
    // token each, with dialogue spelled in letters (tokenizer.json lists them). See tokenizer.h.
    std::string tokenizer = "bytes";
    int vocab_size = 259; // at least the tokenizer's size (bytes: 256 + pad + dialogue open/close)
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
    // RMS-normalise queries and keys per head (learned scale) before RoPE: bounded attention logits, which
    // lets a small model train at a higher learning rate without attention collapsing onto a few tokens.
    bool qk_norm = false;
};

// Classifier-free guidance as a model is meant to run it.
struct GuidanceConfig {
    // Per modality; 1 = off (no unconditional pass).
    double video_guidance = 1.0;
    double audio_guidance = 1.0;
    // Guidance runs only on steps whose noise level t (1 = pure noise) is at least this; 0 = every step.
    // Layout, colour and shape are settled at high noise, so the low-noise steps can skip the second pass.
    double guidance_noise_floor = 0.0;
    // The ranges requests and configs must keep to; empty when they do, else what is wrong.
    std::string rangeError() const;
};

// The sampler settings a model is meant to run with, used wherever a request leaves them unset (the editor,
// the CLI and the evaluation alike), so a model that needs guidance gets it without every caller knowing.
// config.json: "sampler": {"video_guidance": 5, …, "tasks": {"dub": {"video_guidance": 1}}} — a task's
// entry overrides the shared fields it names (a model whose dubbed lips suffer under guidance turns it off
// there).
struct SamplerConfig : GuidanceConfig {
    std::map<std::string, GuidanceConfig> tasks; // by task name (taskName()), each complete
    // On the CPU, "bf16" runs the video decoder's convolutions in bf16 (LibTorch autocast; its weights
    // stay fp32): the sampled latents are fp32's bit for bit, the decoded pictures within rounding of them
    // (47–59 dB PSNR), and a warm engine's 4-second demo shot 1.16× as fast (docs/benchmarks.md). The
    // transformer stays fp32: bf16 there moved the sampling's path and measured fewer objects right.
    // "fp32" (the default) decodes in fp32. A CPU without bf16 units decodes in fp32 either way, and on
    // CUDA the engine runs bf16 weights either way (EngineOptions::cpu_precision).
    std::string cpu_precision = "fp32";
    GuidanceConfig forTask(const std::string& task) const;
};

struct ModelConfig {
    std::string name = "random-init";
    VideoConfig video;
    AudioConfig audio;
    TextConfig text;
    TransformerConfig dit;
    SamplerConfig sampler;

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
