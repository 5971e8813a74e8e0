#include "model/config.h"
#include "model/engine.h" // task names
#include "model/json_number.h"

#include <type_traits>

#include <nlohmann/json.hpp>

#include <stdexcept>

namespace tandem::model {

using nlohmann::json;

namespace {

bool isPowerOfTwo(int v) { return v > 0 && (v & (v - 1)) == 0; }

void require(bool ok, const std::string& what) {
    if (!ok) throw std::invalid_argument("config.json: " + what);
}

// Reads `key` from `section` into `out` when present, with a type check that names the key.
// Whole-number fields must hold whole numbers that fit: 1e30 or 2.5 for a layer count is refused, never
// converted (a float outside an int's range would be undefined behaviour, found by fuzzing).
template <typename T> void read(const json& section, const char* prefix, const char* key, T& out) {
    auto it = section.find(key);
    if (it == section.end()) return;
    const std::string name = std::string("config.json: ") + prefix + "." + key;
    if constexpr (std::is_integral_v<T> && !std::is_same_v<T, bool>) {
        if (!it->is_number_integer()) throw std::invalid_argument(name + " must be a whole number");
        if (!holdsWholeNumber<T>(*it)) throw std::invalid_argument(name + " is out of range");
    }
    try {
        out = it->get<T>();
    } catch (const json::exception&) {
        throw std::invalid_argument(name + " has the wrong type");
    }
}

void readGuidance(const json& section, const std::string& where, GuidanceConfig& g) {
    read(section, where.c_str(), "video_guidance", g.video_guidance);
    read(section, where.c_str(), "audio_guidance", g.audio_guidance);
    read(section, where.c_str(), "guidance_noise_floor", g.guidance_noise_floor);
}

json guidanceJson(const GuidanceConfig& g) {
    return json{{"video_guidance", g.video_guidance},
                {"audio_guidance", g.audio_guidance},
                {"guidance_noise_floor", g.guidance_noise_floor}};
}

} // namespace

std::string GuidanceConfig::rangeError() const {
    if (!(video_guidance >= 0 && video_guidance <= 50 && audio_guidance >= 0 && audio_guidance <= 50))
        return "guidance must be in [0, 50]";
    if (!(guidance_noise_floor >= 0 && guidance_noise_floor <= 1)) return "guidance_noise_floor must be in [0, 1]";
    return {};
}

GuidanceConfig SamplerConfig::forTask(const std::string& task) const {
    auto it = tasks.find(task);
    return it == tasks.end() ? static_cast<const GuidanceConfig&>(*this) : it->second;
}

TimeBase ModelConfig::timeBase() const {
    TimeBase tb;
    tb.fps = video.fps;
    tb.sample_rate = audio.sample_rate;
    tb.temporal_compression = video.temporal_compression;
    tb.audio_hop = audio.hop;
    return tb;
}

void ModelConfig::validate() const {
    require(video.width > 0 && video.height > 0, "video.width and video.height must be positive");
    require(video.fps > 0 && video.fps <= 240, "video.fps must be in (0, 240]");
    require(isPowerOfTwo(video.spatial_compression), "video.spatial_compression must be a power of two");
    require(isPowerOfTwo(video.temporal_compression), "video.temporal_compression must be a power of two");
    // Checked before it divides anything below (fuzzing found the division by zero).
    require(video.patch_size > 0, "video.patch_size must be positive");
    const int64_t cell = int64_t(video.spatial_compression) * video.patch_size; // 64-bit: no overflow either
    require(video.width % cell == 0 && video.height % cell == 0,
            "video size must be a multiple of spatial_compression × patch_size");
    require(video.latent_channels > 0 && video.vae_channels > 0, "video channel counts must be positive");
    require(video.vae_decoder_blocks >= 1 && video.vae_decoder_blocks <= 8, "video.vae_decoder_blocks must be in 1..8");
    require(isPowerOfTwo(video.vae_patch) && video.vae_patch <= video.spatial_compression,
            "video.vae_patch must be a power of two no larger than video.spatial_compression");
    // The VAE's shortcuts repeat or average channels between stages, so the widths must divide each other.
    require(video.vae_channels >= 8 && isPowerOfTwo(video.vae_channels), "video.vae_channels must be a power of two ≥ 8");
    require(isPowerOfTwo(video.latent_channels), "video.latent_channels must be a power of two");
    require(audio.sample_rate >= 8000 && audio.sample_rate <= 96000, "audio.sample_rate must be in [8000, 96000]");
    require(audio.hop >= 4 && isPowerOfTwo(audio.hop), "audio.hop must be a power of two ≥ 4");
    require(audio.latent_channels > 0 && audio.vae_channels > 0, "audio channel counts must be positive");
    require(audio.vae_kind == "seanet" || audio.vae_kind == "plain", "audio.vae_kind must be \"seanet\" or \"plain\"");
    require(video.vae_temporal_stages >= 0 && video.vae_temporal_stages <= 8, "video.vae_temporal_stages must be in 0..8");
    require(text.tokenizer == "bytes" || text.tokenizer == "words", "text.tokenizer must be \"bytes\" or \"words\"");
    require(text.vocab_size >= (text.tokenizer == "bytes" ? 259 : 4) && text.vocab_size <= 1 << 20,
            "text.vocab_size must hold the tokenizer (bytes: at least 259) and be at most 2^20");
    require(text.max_tokens > 0 && text.layers >= 0, "text.max_tokens and text.layers must be positive");
    require(text.heads > 0 && text.width % text.heads == 0, "text.width must be divisible by text.heads");
    require(dit.heads > 0 && dit.width % dit.heads == 0, "dit.width must be divisible by dit.heads");
    const int headDim = dit.width / dit.heads;
    require(headDim % 8 == 0, "dit head size (width / heads) must be a multiple of 8 for 3-D RoPE");
    require(dit.layers > 0 && dit.mlp_ratio > 0, "dit.layers and dit.mlp_ratio must be positive");
    require(dit.rope_time_rate > 0 && dit.rope_theta > 1, "dit.rope_time_rate and dit.rope_theta out of range");
    require(dit.freq_dim > 0 && dit.freq_dim % 2 == 0, "dit.freq_dim must be even");
    require(sampler.cpu_precision == "fp32" || sampler.cpu_precision == "bf16",
            "sampler.cpu_precision must be \"fp32\" or \"bf16\"");
    const std::string shared = sampler.rangeError();
    require(shared.empty(), "sampler." + shared);
    for (const auto& [task, guidance] : sampler.tasks) {
        Task known;
        require(parseTask(task, known), "sampler.tasks: unknown task \"" + task + "\"");
        const std::string own = guidance.rangeError();
        require(own.empty(), "sampler.tasks." + task + "." + own);
    }
}

ModelConfig ModelConfig::fromJson(const std::string& text) {
    json root;
    try {
        root = json::parse(text);
    } catch (const json::parse_error& e) {
        throw std::invalid_argument(std::string("config.json is not valid JSON: ") + e.what());
    }
    require(root.is_object(), "top level must be an object");
    ModelConfig c;
    read(root, "", "name", c.name);
    auto section = [&](const char* name) -> const json& {
        static const json empty = json::object();
        auto it = root.find(name);
        if (it == root.end()) return empty;
        require(it->is_object(), std::string(name) + " must be an object");
        return *it;
    };
    const json& v = section("video");
    read(v, "video", "width", c.video.width);
    read(v, "video", "height", c.video.height);
    read(v, "video", "fps", c.video.fps);
    read(v, "video", "latent_channels", c.video.latent_channels);
    read(v, "video", "spatial_compression", c.video.spatial_compression);
    read(v, "video", "temporal_compression", c.video.temporal_compression);
    read(v, "video", "vae_channels", c.video.vae_channels);
    read(v, "video", "vae_decoder_blocks", c.video.vae_decoder_blocks);
    read(v, "video", "vae_patch", c.video.vae_patch);
    read(v, "video", "vae_temporal_stages", c.video.vae_temporal_stages);
    read(v, "video", "patch_size", c.video.patch_size);
    const json& a = section("audio");
    read(a, "audio", "sample_rate", c.audio.sample_rate);
    read(a, "audio", "hop", c.audio.hop);
    read(a, "audio", "latent_channels", c.audio.latent_channels);
    read(a, "audio", "vae_channels", c.audio.vae_channels);
    read(a, "audio", "vae_kind", c.audio.vae_kind);
    const json& t = section("text");
    read(t, "text", "tokenizer", c.text.tokenizer);
    read(t, "text", "vocab_size", c.text.vocab_size);
    read(t, "text", "max_tokens", c.text.max_tokens);
    read(t, "text", "width", c.text.width);
    read(t, "text", "layers", c.text.layers);
    read(t, "text", "heads", c.text.heads);
    const json& d = section("dit");
    read(d, "dit", "width", c.dit.width);
    read(d, "dit", "heads", c.dit.heads);
    read(d, "dit", "layers", c.dit.layers);
    read(d, "dit", "mlp_ratio", c.dit.mlp_ratio);
    read(d, "dit", "rope_theta", c.dit.rope_theta);
    read(d, "dit", "rope_time_rate", c.dit.rope_time_rate);
    read(d, "dit", "freq_dim", c.dit.freq_dim);
    read(d, "dit", "qk_norm", c.dit.qk_norm);
    const json& sm = section("sampler");
    readGuidance(sm, "sampler", c.sampler);
    read(sm, "sampler", "cpu_precision", c.sampler.cpu_precision);
    if (auto it = sm.find("tasks"); it != sm.end()) {
        require(it->is_object(), "sampler.tasks must be an object");
        for (const auto& item : it->items()) {
            const std::string& task = item.key();
            const json& fields = item.value();
            require(fields.is_object(), "sampler.tasks." + task + " must be an object");
            GuidanceConfig g = c.sampler; // the shared values, with the task's own over them
            readGuidance(fields, "sampler.tasks." + task, g);
            c.sampler.tasks[task] = g;
        }
    }
    c.validate();
    return c;
}

std::string ModelConfig::toJson() const {
    json j = {
        {"name", name},
        {"video",
         {{"width", video.width},
          {"height", video.height},
          {"fps", video.fps},
          {"latent_channels", video.latent_channels},
          {"spatial_compression", video.spatial_compression},
          {"temporal_compression", video.temporal_compression},
          {"vae_channels", video.vae_channels},
          {"vae_decoder_blocks", video.vae_decoder_blocks},
          {"vae_patch", video.vae_patch},
          {"vae_temporal_stages", video.vae_temporal_stages},
          {"patch_size", video.patch_size}}},
        {"audio",
         {{"sample_rate", audio.sample_rate},
          {"hop", audio.hop},
          {"latent_channels", audio.latent_channels},
          {"vae_channels", audio.vae_channels},
          {"vae_kind", audio.vae_kind}}},
        {"text",
         {{"tokenizer", text.tokenizer},
          {"vocab_size", text.vocab_size},
          {"max_tokens", text.max_tokens},
          {"width", text.width},
          {"layers", text.layers},
          {"heads", text.heads}}},
        {"dit",
         {{"width", dit.width},
          {"heads", dit.heads},
          {"layers", dit.layers},
          {"mlp_ratio", dit.mlp_ratio},
          {"rope_theta", dit.rope_theta},
          {"rope_time_rate", dit.rope_time_rate},
          {"freq_dim", dit.freq_dim},
          {"qk_norm", dit.qk_norm}}},
        {"sampler", guidanceJson(sampler)},
    };
    for (const auto& [task, guidance] : sampler.tasks)
        j["sampler"]["tasks"][task] = guidanceJson(guidance);
    j["sampler"]["cpu_precision"] = sampler.cpu_precision;
    return j.dump(2);
}

} // namespace tandem::model
