#include "model/shot_file.h"

#include "model/safetensors.h"

#include <cstring>
#include <fstream>

namespace tandem::model {

namespace {

LatentBlock readBlock(const SafetensorsFile& f, const std::string& name, size_t rank) {
    LatentBlock b;
    auto it = f.tensors().find(name);
    if (it == f.tensors().end()) return b;
    const TensorView& v = it->second;
    if (v.dtype != DType::F32 || v.shape.size() != rank) throw CheckpointError(f.path() + ": " + name + " must be F32 of rank " + std::to_string(rank));
    b.shape = v.shape;
    b.data.resize(v.bytes / 4);
    std::memcpy(b.data.data(), v.data, v.bytes);
    return b;
}

} // namespace

void writeShotFile(const std::string& path, const Shot& shot) {
    std::vector<TensorToWrite> t;
    if (shot.frames > 0)
        t.push_back({"video", DType::U8, {shot.frames, shot.height, shot.width, 3}, shot.rgb.data(), shot.rgb.size()});
    if (!shot.audio.empty())
        t.push_back({"audio", DType::F32, {int64_t(shot.audio.size())}, shot.audio.data(), shot.audio.size() * 4});
    if (!shot.video_latent.empty())
        t.push_back({"video_latent", DType::F32, shot.video_latent.shape, shot.video_latent.data.data(), shot.video_latent.data.size() * 4});
    if (!shot.audio_latent.empty())
        t.push_back({"audio_latent", DType::F32, shot.audio_latent.shape, shot.audio_latent.data.data(), shot.audio_latent.data.size() * 4});
    char fps[32];
    std::snprintf(fps, sizeof fps, "%.17g", shot.fps);
    writeSafetensors(path, t, {{"format", "tandem-shot"}, {"fps", fps}, {"sample_rate", std::to_string(shot.sample_rate)}});
}

Shot readShotFile(const std::string& path) {
    SafetensorsFile f(path);
    auto meta = f.metadata();
    if (meta["format"] != "tandem-shot") throw CheckpointError(path + ": not a Tandem shot file");
    Shot s;
    try {
        s.fps = std::stod(meta["fps"]);
        s.sample_rate = std::stoi(meta["sample_rate"]);
    } catch (const std::exception&) {
        throw CheckpointError(path + ": bad fps or sample_rate metadata");
    }
    if (auto it = f.tensors().find("video"); it != f.tensors().end()) {
        const TensorView& v = it->second;
        if (v.dtype != DType::U8 || v.shape.size() != 4 || v.shape[3] != 3) throw CheckpointError(path + ": video must be U8 [F, H, W, 3]");
        s.frames = v.shape[0];
        s.height = int(v.shape[1]);
        s.width = int(v.shape[2]);
        s.rgb.assign(v.data, v.data + v.bytes);
    }
    if (auto it = f.tensors().find("audio"); it != f.tensors().end()) {
        const TensorView& v = it->second;
        if (v.dtype != DType::F32 || v.shape.size() != 1) throw CheckpointError(path + ": audio must be F32 [N]");
        s.audio.resize(v.bytes / 4);
        std::memcpy(s.audio.data(), v.data, v.bytes);
    }
    s.video_latent = readBlock(f, "video_latent", 4);
    s.audio_latent = readBlock(f, "audio_latent", 2);
    return s;
}

bool looksLikeShotFile(const std::string& path) {
    const auto dot = path.rfind('.');
    if (dot == std::string::npos || path.substr(dot) != ".safetensors") return false;
    std::ifstream in(path, std::ios::binary);
    return bool(in);
}

void writeMaskFile(const std::string& path, const std::vector<uint8_t>& mask, int64_t frames, int height, int width) {
    writeSafetensors(path, {{"mask", DType::U8, {frames, height, width}, mask.data(), mask.size()}}, {{"format", "tandem-mask"}});
}

std::vector<uint8_t> readMaskFile(const std::string& path) {
    SafetensorsFile f(path);
    const TensorView& v = f.at("mask");
    if (v.dtype != DType::U8 || v.shape.size() != 3) throw CheckpointError(path + ": mask must be U8 [F, H, W]");
    return std::vector<uint8_t>(v.data, v.data + v.bytes);
}

} // namespace tandem::model
