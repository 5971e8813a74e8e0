#include "model/ltx2/edit_plan.h"

#include "model/ltx2/positions.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <stdexcept>

namespace tandem::model::ltx2 {

namespace {

[[noreturn]] void refuse(const ShotRequest& r, const std::string& why) {
    throw std::invalid_argument(std::string(taskName(r.task)) + " with LTX-2: " + why);
}

bool hasVideo(const Shot& s) { return s.frames > 0 && !s.rgb.empty(); }
bool hasAudio(const Shot& s) { return !s.audio.empty(); }

// The smallest 8k + 1 frame count (k ≥ 1) holding `frames`.
int64_t networkFrames(int64_t frames, int timeScale) {
    const int64_t steps = std::max<int64_t>(1, (frames - 1 + timeScale - 1) / timeScale);
    return steps * timeScale + 1;
}

// The engine's delivery as the geometry Tandem's task plans take: its size and frame rate, the vocoder's
// sample rate.
ModelConfig deliveryOf(const LtxShotRequest& base, const LtxModel& model) {
    ModelConfig c;
    c.video.width = base.width;
    c.video.height = base.height;
    c.video.fps = base.fps;
    c.audio.sample_rate = model.vocoder->config.output_rate;
    return c;
}

void checkSource(const ShotRequest& r, const ModelConfig& g, bool needVideo, bool needAudio) {
    const Shot& s = r.source;
    const auto& v = g.video;
    if (needVideo) {
        if (!hasVideo(s)) refuse(r, "needs a source picture");
        if (s.width != v.width || s.height != v.height || std::abs(s.fps - v.fps) > 1e-6)
            refuse(r, "the source is " + std::to_string(s.width) + "×" + std::to_string(s.height) + " at " +
                          std::to_string(s.fps) + " fps; the engine delivers " + std::to_string(v.width) + "×" +
                          std::to_string(v.height) + " at " + std::to_string(v.fps) + " fps");
        if (s.rgb.size() != static_cast<size_t>(s.frames) * v.width * v.height * 3)
            refuse(r, "the source's pixels do not match its size");
    }
    if (needAudio) {
        if (!hasAudio(s)) refuse(r, "needs a source sound");
        if (s.sample_rate != g.audio.sample_rate)
            refuse(r, "the source sound is at " + std::to_string(s.sample_rate) + " Hz; the model's is " +
                          std::to_string(g.audio.sample_rate) + " Hz");
    }
}

// 1 for each latent cell of the network's pictures that covers a pixel not kept. Past the output the
// network's frames repeat the last one (networkPictures), and so does what is kept of it.
torch::Tensor videoGenerateMask(const LtxEditPlan& p, int64_t frames, VaeScale scale) {
    const int64_t H = p.height, W = p.width;
    auto generate = torch::ones({frames, H, W});
    const int64_t n = std::clamp<int64_t>(p.frames - p.networkFirstFrame, 0, frames);
    auto keep = torch::from_blob(const_cast<uint8_t*>(p.keepPixel.data()) + p.networkFirstFrame * p.framePixels(),
                                 {n, H, W}, torch::kUInt8);
    generate.narrow(0, 0, n).copy_(1 - keep.to(torch::kFloat32));
    if (n > 0 && n < frames) generate.narrow(0, n, frames - n).copy_(generate.narrow(0, n - 1, 1).expand({frames - n, H, W}));
    // The first latent frame covers frame 0 alone: repeat it so every latent frame pools `time` frames.
    auto padded = torch::cat({generate.narrow(0, 0, 1).expand({scale.time - 1, H, W}), generate});
    namespace F = torch::nn::functional;
    return F::max_pool3d(padded.unsqueeze(0).unsqueeze(0), F::MaxPool3dFuncOptions({scale.time, scale.space, scale.space}))[0][0];
}

// 1 for each audio latent whose span holds a sample not kept. Past the output the sound is silence, kept
// if the output's last sample is.
torch::Tensor audioGenerateMask(const LtxEditPlan& p, int64_t latents) {
    const int rate = p.delivery.audio.sample_rate;
    auto spans = audioPositions(1, latents)[0][0]; // [L, 2] seconds
    auto generate = torch::zeros({latents});
    const bool tailKept = !p.keepSample.empty() && p.keepSample.back() != 0;
    for (int64_t i = 0; i < latents; ++i) {
        const int64_t first = p.networkFirstSample + std::llround(spans[i][0].item<double>() * rate);
        const int64_t end = p.networkFirstSample + std::llround(spans[i][1].item<double>() * rate);
        bool made = end > p.samples && !tailKept;
        for (int64_t s = std::max<int64_t>(first, 0); !made && s < std::min(end, p.samples); ++s)
            made = p.keepSample[static_cast<size_t>(s)] == 0;
        generate[i] = made ? 1.0 : 0.0;
    }
    return generate;
}

// The network's pictures [frames, H, W, 3] in [0, 1] from the placed output, the last frame repeated past it.
torch::Tensor networkPictures(const LtxEditPlan& p, int64_t frames) {
    const int64_t n = std::clamp<int64_t>(p.frames - p.networkFirstFrame, 1, frames);
    auto placed = torch::from_blob(const_cast<uint8_t*>(p.placedRgb.data()) + p.networkFirstFrame * p.framePixels() * 3,
                                   {n, p.height, p.width, 3}, torch::kUInt8)
                      .to(torch::kFloat32)
                      .div(255.0);
    if (n == frames) return placed;
    return torch::cat({placed, placed.narrow(0, n - 1, 1).expand({frames - n, p.height, p.width, 3})});
}

// The network's sound [1, samples] from the placed output, silence past it.
torch::Tensor networkSound(const LtxEditPlan& p, int64_t frames) {
    auto sound = torch::zeros({1, p.delivery.timeBase().samplesForFrames(frames)});
    const int64_t n = std::clamp<int64_t>(p.samples - p.networkFirstSample, 0, sound.size(1));
    std::copy_n(p.placedAudio.begin() + p.networkFirstSample, n, sound.data_ptr<float>());
    return sound;
}

} // namespace

LtxEditPlan planLtxEdit(const ShotRequest& r, const LtxModel& model, LtxShotRequest base) {
    const auto scale = model.videoScale();
    const int t = scale.time;
    if (!r.references.empty()) refuse(r, "references are not ported yet (upstream takes them only through LoRAs trained for it); remove them from the shot");
    LtxEditPlan p;
    p.delivery = deliveryOf(base, model);
    const ModelConfig& g = p.delivery;
    int64_t frames = 0;    // the network's
    int64_t keyframes = 0; // source frames given after the network's shot (extending before it)
    bool startFromSource = false;
    switch (r.task) {
    case Task::Generate:
    case Task::Image:
        frames = ltxFrameCount(model, r.seconds, g.video.fps, 1);
        p.allocate(g, frames);
        if (r.task == Task::Image) {
            checkSource(r, g, true, false);
            Shot first = r.source;
            first.frames = 1;
            first.rgb.resize(p.framePixels() * 3);
            first.audio.clear();
            p.place(g, first, 0, true, false);
        }
        break;
    case Task::Inpaint:
        checkSource(r, g, true, !r.regenerate_audio);
        p.allocate(g, r.source.frames);
        p.place(g, r.source, 0, true, !r.regenerate_audio);
        p.unkeepPainted(r);
        frames = networkFrames(r.source.frames, t);
        break;
    case Task::Retake:
        if (!r.regenerate_video && !r.regenerate_audio) refuse(r, "nothing to retake: choose video, sound or both");
        checkSource(r, g, true, true);
        p.allocate(g, r.source.frames);
        p.place(g, r.source, 0, true, true);
        p.unkeepWindow(r, g);
        frames = networkFrames(r.source.frames, t);
        break;
    case Task::Extend: {
        checkSource(r, g, true, hasAudio(r.source));
        const int64_t n = r.source.frames;
        if (n < t + 1) refuse(r, "the source needs at least " + std::to_string(t + 1) + " frames to continue from");
        // Context: whole latent steps of the source next to the new part, plus the causal first frame.
        const int64_t contextSteps =
            std::clamp<int64_t>(std::lround(r.context_seconds * g.video.fps / t), 1, (n - 1) / t);
        const int64_t newSteps = std::max<int64_t>(1, std::lround(r.seconds * g.video.fps / t));
        if (r.backward) {
            // The new frames make a shot of their own (8k + 1), guided by the source's first frames given as
            // keyframes just after it; the source's sound is kept, the new part's made.
            const int64_t added = newSteps * t + 1;
            p.allocate(g, added + n);
            p.place(g, r.source, added, true, true);
            frames = added;
            keyframes = contextSteps * t + 1;
        } else {
            // The source's last context frames start the network's shot (their latents kept), the new ones follow.
            p.allocate(g, n + newSteps * t);
            p.place(g, r.source, 0, true, true);
            p.networkFirstFrame = n - (contextSteps * t + 1);
            frames = (contextSteps + newSteps) * t + 1;
        }
        break;
    }
    case Task::Restyle:
        if (!(r.strength > 0 && r.strength <= 1)) refuse(r, "strength must be in (0, 1]");
        checkSource(r, g, true, true);
        p.allocate(g, r.source.frames);
        p.place(g, r.source, 0, false, true);
        startFromSource = true;
        base.noise_scale = r.strength;
        frames = networkFrames(r.source.frames, t);
        break;
    case Task::Foley:
        checkSource(r, g, true, false);
        p.allocate(g, r.source.frames);
        p.place(g, r.source, 0, true, false);
        frames = networkFrames(r.source.frames, t);
        break;
    case Task::Dub: {
        checkSource(r, g, false, true);
        // Enough frames for the whole voice line (never cut short); only the given samples are kept.
        const auto voiceFrames = static_cast<int64_t>(
            std::ceil(r.source.audio.size() * g.video.fps / g.audio.sample_rate - 1e-9));
        frames = networkFrames(std::max<int64_t>(voiceFrames, 1), t);
        p.allocate(g, frames);
        p.place(g, r.source, 0, false, true);
        break;
    }
    }
    p.networkFirstSample = g.timeBase().samplesForFrames(p.networkFirstFrame);

    LtxShotRequest& q = base;
    q.frames = static_cast<int>(frames);
    auto videoGenerate = videoGenerateMask(p, frames, scale);
    auto audioGenerate = audioGenerateMask(p, audioLatentFrames(q));
    if (keyframes > 0) {
        auto all = torch::from_blob(p.placedRgb.data(), {p.frames, p.height, p.width, 3}, torch::kUInt8);
        q.keyframes = all.narrow(0, frames, keyframes).to(torch::kFloat32).div(255.0);
        q.keyframes_index = static_cast<int>(frames);
    }
    if (r.task == Task::Image) {
        q.first_frame = networkPictures(p, 1)[0];
    } else if (startFromSource || (videoGenerate == 0).any().item<bool>()) {
        q.video_source = networkPictures(p, frames);
        q.video_frozen = (videoGenerate == 0).all().item<bool>();
        if (!q.video_frozen) q.video_generate = videoGenerate;
    }
    if ((audioGenerate == 0).any().item<bool>()) {
        if (!model.audioEncoder) refuse(r, "this checkpoint carries no audio encoder, so it cannot keep the sound");
        q.audio_source = networkSound(p, frames);
        q.audio_rate = g.audio.sample_rate;
        q.audio_frozen = (audioGenerate == 0).all().item<bool>();
        if (!q.audio_frozen) q.audio_generate = audioGenerate;
    }
    p.request = q;
    checkShotRequest(model, p.request);
    return p;
}

Shot finishLtxEdit(LtxEditPlan&& p, const LtxShot& made) {
    const Shot net = toShot(made);
    p.overlayMade(net.rgb.data(), p.networkFirstFrame, net.frames, net.audio.data(), p.networkFirstSample,
                  static_cast<int64_t>(net.audio.size()));
    Shot out;
    out.width = p.width;
    out.height = p.height;
    out.fps = p.delivery.video.fps;
    out.frames = p.frames;
    out.sample_rate = p.delivery.audio.sample_rate;
    out.rgb = std::move(p.placedRgb);
    out.audio = std::move(p.placedAudio);
    return out;
}

} // namespace tandem::model::ltx2
