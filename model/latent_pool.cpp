#include "model/latent_pool.h"

#include "model/safetensors.h"
#include "model/tandem_model.h"
#include "model/world/world.h"

#include <nlohmann/json.hpp>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace tandem::model {

namespace fs = std::filesystem;

namespace {

// [F·H·W·3] bytes → [1, 3, F, H, W] in [-1, 1].
torch::Tensor pixelTensor(const std::vector<uint8_t>& rgb, int64_t frames, int H, int W) {
    auto t = torch::from_blob(const_cast<uint8_t*>(rgb.data()), {frames, H, W, 3}, torch::kUInt8);
    return t.permute({3, 0, 1, 2}).unsqueeze(0).to(torch::kFloat32) / 127.5 - 1;
}

// The part of a config the latents depend on (the transformer's sizes do not matter to them).
nlohmann::json autoencoderConfig(const ModelConfig& cfg) {
    const auto all = nlohmann::json::parse(cfg.toJson());
    return {{"video", all.at("video")}, {"audio", all.at("audio")}};
}

torch::Tensor waveTensor(std::vector<float> audio, int64_t steps, int hop) {
    audio.resize(size_t(steps * hop), 0.f);
    return torch::from_blob(audio.data(), {1, 1, steps * hop}, torch::kFloat32).clone();
}

} // namespace

void LatentPool::add(TandemModelImpl& net, const torch::Device& device, uint64_t seed) {
    torch::NoGradGuard noGrad;
    const TimeBase tb = cfg_.timeBase();
    const int H = cfg_.video.height, W = cfg_.video.width, tc = cfg_.video.temporal_compression, hop = cfg_.audio.hop;
    const int64_t frames = tb.framesForVideoLatentSteps(tb.videoLatentStepsForSeconds(seconds_));
    const int64_t samples = tb.samplesForFrames(frames);
    const world::SceneSpec scene = world::randomScene(seed, W, H, cfg_.video.fps, cfg_.audio.sample_rate, double(frames) / cfg_.video.fps);
    world::Clip clip = world::render(scene, seed);
    clip.rgb.resize(size_t(frames) * H * W * 3); // the world renders round(seconds · fps) frames: exactly these
    auto encodeVideo = [&](const torch::Tensor& pixels) { return net.videoVae->encoder->forward(pixels.to(device))[0].cpu(); };
    auto encodeAudio = [&](std::vector<float> audio, int64_t n) {
        return net.audioVae->encoder->forward(waveTensor(std::move(audio), tb.audioLatentStepsForSamples(n), hop).to(device))[0].cpu();
    };

    PoolItem item;
    auto pixels = pixelTensor(clip.rgb, frames, H, W);
    item.video = encodeVideo(pixels);
    item.audio = encodeAudio(clip.audio, samples);
    item.still = encodeVideo(pixels.narrow(2, 0, 1).expand({-1, -1, tc, -1, -1}).contiguous());
    // The first object alone, on a wall of another colour than the shot's (and than itself).
    const int colours = int(world::palette().size());
    int wall = int((seed / 7) % uint64_t(colours));
    while (wall == scene.background || wall == scene.objects[0].colour) wall = (wall + 1) % colours;
    const auto ref = world::objectReference(scene.objects[0], wall, W, H, seed + 1);
    item.objectRef = encodeVideo(pixelTensor(ref, 1, H, W).expand({-1, -1, tc, -1, -1}).contiguous());
    if (scene.speaker) {
        const int64_t n = tb.sampleForSeconds(kVoiceReferenceSeconds);
        auto voice = world::voiceReference(clip.voicePitch, world::randomWords(seed), cfg_.audio.sample_rate, cfg_.video.fps,
                                           kVoiceReferenceSeconds, seed + 2);
        voice.resize(size_t(n), 0.f);
        item.voiceRef = encodeAudio(std::move(voice), n);
    }
    item.caption = clip.caption;
    item.captionNoColour = world::caption(scene, {0, -1});
    item.captionNoColourShape = world::caption(scene, {0, 0});
    if (items_.size() < capacity_) items_.push_back(std::move(item));
    else items_[size_t(added_ % capacity_)] = std::move(item);
    ++added_;
}

void LatentPool::save(const std::string& dir) const {
    std::vector<torch::Tensor> keep;
    std::vector<TensorToWrite> out;
    nlohmann::json meta = nlohmann::json::array();
    auto put = [&](const std::string& name, const torch::Tensor& t) {
        keep.push_back(t.to(torch::kFloat16).contiguous());
        const auto& k = keep.back();
        out.push_back({name, DType::F16, k.sizes().vec(), k.data_ptr(), size_t(k.numel()) * 2});
    };
    for (size_t i = 0; i < items_.size(); ++i) {
        const PoolItem& it = items_[i];
        const std::string p = std::to_string(i) + ".";
        put(p + "video", it.video);
        put(p + "audio", it.audio);
        put(p + "still", it.still);
        put(p + "object_ref", it.objectRef);
        if (it.voiceRef.defined()) put(p + "voice_ref", it.voiceRef);
        meta.push_back({it.caption, it.captionNoColour, it.captionNoColourShape});
    }
    writeSafetensors((fs::path(dir) / "pool.safetensors").string(), out, {{"format", "tandem-latent-pool"}});
    const nlohmann::json j{{"seconds", seconds_}, {"added", added_}, {"autoencoders", autoencoderConfig(cfg_)}, {"captions", meta}};
    const fs::path path = fs::path(dir) / "pool.json", tmp = path.string() + ".part";
    {
        std::ofstream f(tmp, std::ios::binary | std::ios::trunc);
        f << j.dump();
        if (!f.flush()) throw std::runtime_error(tmp.string() + ": cannot be written (disk full?)");
    }
    fs::rename(tmp, path);
}

bool LatentPool::load(const std::string& dir) {
    const fs::path jsonPath = fs::path(dir) / "pool.json", dataPath = fs::path(dir) / "pool.safetensors";
    if (!fs::exists(jsonPath) || !fs::exists(dataPath)) return false;
    std::ifstream in(jsonPath, std::ios::binary);
    std::stringstream text;
    text << in.rdbuf();
    const auto j = nlohmann::json::parse(text.str(), nullptr, false);
    // A pool encoded by other VAEs (or of another length) is no use to this run.
    if (j.is_discarded() || j.value("seconds", 0.0) != seconds_ || j.value("autoencoders", nlohmann::json()) != autoencoderConfig(cfg_))
        return false;
    const SafetensorsFile file(dataPath.string());
    auto get = [&](const std::string& name) {
        const TensorView& v = file.at(name);
        auto t = torch::empty(v.shape, torch::kFloat16);
        std::memcpy(t.data_ptr(), v.data, v.bytes);
        return t.to(torch::kFloat32);
    };
    items_.clear();
    const auto& captions = j.at("captions");
    for (size_t i = 0; i < captions.size() && i < capacity_; ++i) {
        const std::string p = std::to_string(i) + ".";
        PoolItem it;
        it.video = get(p + "video");
        it.audio = get(p + "audio");
        it.still = get(p + "still");
        it.objectRef = get(p + "object_ref");
        if (file.tensors().count(p + "voice_ref")) it.voiceRef = get(p + "voice_ref");
        it.caption = captions[i][0].get<std::string>();
        it.captionNoColour = captions[i][1].get<std::string>();
        it.captionNoColourShape = captions[i][2].get<std::string>();
        items_.push_back(std::move(it));
    }
    added_ = j.at("added").get<uint64_t>();
    return true;
}

} // namespace tandem::model
