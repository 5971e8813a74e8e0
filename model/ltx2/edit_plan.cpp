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

struct Geometry {
    int width, height, rate;
    double fps;
    int64_t samplesFor(int64_t frames) const { return std::llround(static_cast<double>(frames) / fps * rate); }
    size_t pixels() const { return static_cast<size_t>(width) * height; }
};

void allocate(LtxEditPlan& p, const Geometry& g, int64_t frames) {
    p.frames = frames;
    p.samples = g.samplesFor(frames);
    p.sample_rate = g.rate;
    p.placedRgb.assign(static_cast<size_t>(frames) * g.pixels() * 3, 0);
    p.keepPixel.assign(static_cast<size_t>(frames) * g.pixels(), 0);
    p.placedAudio.assign(static_cast<size_t>(p.samples), 0.f);
    p.keepSample.assign(static_cast<size_t>(p.samples), 0);
}

// The source's frames and samples copied to output frame `at`, marked kept where asked.
void place(LtxEditPlan& p, const Geometry& g, const Shot& s, int64_t at, bool keepVideo, bool keepAudio) {
    if (hasVideo(s)) {
        const int64_t n = std::min<int64_t>(s.frames, p.frames - at);
        std::memcpy(p.placedRgb.data() + at * g.pixels() * 3, s.rgb.data(), static_cast<size_t>(n) * g.pixels() * 3);
        if (keepVideo) std::fill_n(p.keepPixel.begin() + at * g.pixels(), static_cast<size_t>(n) * g.pixels(), 1);
    }
    if (hasAudio(s)) {
        const int64_t first = g.samplesFor(at);
        const int64_t n = std::min<int64_t>(static_cast<int64_t>(s.audio.size()), p.samples - first);
        std::copy_n(s.audio.begin(), n, p.placedAudio.begin() + first);
        if (keepAudio) std::fill_n(p.keepSample.begin() + first, n, 1);
    }
}

void checkSource(const ShotRequest& r, const Geometry& g, bool needVideo, bool needAudio) {
    const Shot& s = r.source;
    if (needVideo) {
        if (!hasVideo(s)) refuse(r, "needs a source picture");
        if (s.width != g.width || s.height != g.height || std::abs(s.fps - g.fps) > 1e-6)
            refuse(r, "the source is " + std::to_string(s.width) + "×" + std::to_string(s.height) + " at " +
                          std::to_string(s.fps) + " fps; the engine delivers " + std::to_string(g.width) + "×" +
                          std::to_string(g.height) + " at " + std::to_string(g.fps) + " fps");
        if (s.rgb.size() != static_cast<size_t>(s.frames) * g.pixels() * 3)
            refuse(r, "the source's pixels do not match its size");
    }
    if (needAudio) {
        if (!hasAudio(s)) refuse(r, "needs a source sound");
        if (s.sample_rate != g.rate)
            refuse(r, "the source sound is at " + std::to_string(s.sample_rate) + " Hz; the model's is " +
                          std::to_string(g.rate) + " Hz");
    }
}

// 1 for each latent cell of the network's pictures that covers a pixel not kept. Past the output the
// network's frames repeat the last one (networkPictures), and so does what is kept of it.
torch::Tensor videoGenerateMask(const LtxEditPlan& p, const Geometry& g, int64_t frames, VaeScale scale) {
    auto generate = torch::ones({frames, g.height, g.width});
    const int64_t n = std::clamp<int64_t>(p.frames - p.networkFirstFrame, 0, frames);
    auto keep = torch::from_blob(const_cast<uint8_t*>(p.keepPixel.data()) + p.networkFirstFrame * g.pixels(),
                                 {n, g.height, g.width}, torch::kUInt8);
    generate.narrow(0, 0, n).copy_(1 - keep.to(torch::kFloat32));
    if (n > 0 && n < frames) generate.narrow(0, n, frames - n).copy_(generate.narrow(0, n - 1, 1).expand({frames - n, g.height, g.width}));
    // The first latent frame covers frame 0 alone: repeat it so every latent frame pools `time` frames.
    auto padded = torch::cat({generate.narrow(0, 0, 1).expand({scale.time - 1, g.height, g.width}), generate});
    namespace F = torch::nn::functional;
    return F::max_pool3d(padded.unsqueeze(0).unsqueeze(0), F::MaxPool3dFuncOptions({scale.time, scale.space, scale.space}))[0][0];
}

// 1 for each audio latent whose span holds a sample not kept. Past the output the sound is silence, kept
// if the output's last sample is.
torch::Tensor audioGenerateMask(const LtxEditPlan& p, const Geometry& g, int64_t latents) {
    auto spans = audioPositions(1, latents)[0][0]; // [L, 2] seconds
    auto generate = torch::zeros({latents});
    const bool tailKept = !p.keepSample.empty() && p.keepSample.back() != 0;
    for (int64_t i = 0; i < latents; ++i) {
        const int64_t first = p.networkFirstSample + std::llround(spans[i][0].item<double>() * g.rate);
        const int64_t end = p.networkFirstSample + std::llround(spans[i][1].item<double>() * g.rate);
        bool made = end > p.samples && !tailKept;
        for (int64_t s = std::max<int64_t>(first, 0); !made && s < std::min(end, p.samples); ++s)
            made = p.keepSample[static_cast<size_t>(s)] == 0;
        generate[i] = made ? 1.0 : 0.0;
    }
    return generate;
}

// The network's pictures [frames, H, W, 3] in [0, 1] from the placed output, the last frame repeated past it.
torch::Tensor networkPictures(const LtxEditPlan& p, const Geometry& g, int64_t frames) {
    const int64_t n = std::clamp<int64_t>(p.frames - p.networkFirstFrame, 1, frames);
    auto placed = torch::from_blob(const_cast<uint8_t*>(p.placedRgb.data()) + p.networkFirstFrame * g.pixels() * 3,
                                   {n, g.height, g.width, 3}, torch::kUInt8)
                      .to(torch::kFloat32)
                      .div(255.0);
    if (n == frames) return placed;
    return torch::cat({placed, placed.narrow(0, n - 1, 1).expand({frames - n, g.height, g.width, 3})});
}

// The network's sound [1, samples] from the placed output, silence past it.
torch::Tensor networkSound(const LtxEditPlan& p, const Geometry& g, int64_t frames) {
    auto sound = torch::zeros({1, g.samplesFor(frames)});
    const int64_t n = std::clamp<int64_t>(p.samples - p.networkFirstSample, 0, sound.size(1));
    std::copy_n(p.placedAudio.begin() + p.networkFirstSample, n, sound.data_ptr<float>());
    return sound;
}

} // namespace

LtxEditPlan planLtxEdit(const ShotRequest& r, const LtxModel& model, LtxShotRequest base) {
    const Geometry g{base.width, base.height, model.vocoder->config.output_rate, base.fps};
    const auto scale = model.videoScale();
    const int t = scale.time;
    if (!r.references.empty()) refuse(r, "references are not ported yet; remove them from the shot");
    LtxEditPlan p;
    int64_t frames = 0; // the network's
    bool startFromSource = false;
    switch (r.task) {
    case Task::Generate:
    case Task::Image:
        frames = ltxFrameCount(model, r.seconds, g.fps, 1);
        allocate(p, g, frames);
        if (r.task == Task::Image) {
            checkSource(r, g, true, false);
            Shot first = r.source;
            first.frames = 1;
            first.rgb.resize(g.pixels() * 3);
            first.audio.clear();
            place(p, g, first, 0, true, false);
        }
        break;
    case Task::Inpaint: {
        checkSource(r, g, true, !r.regenerate_audio);
        const int64_t n = r.source.frames;
        if (r.paint_mask.size() != static_cast<size_t>(n) * g.pixels())
            refuse(r, "the paint mask must cover every frame (" + std::to_string(n) + " × " + std::to_string(g.width) +
                          "×" + std::to_string(g.height) + " values)");
        allocate(p, g, n);
        place(p, g, r.source, 0, true, !r.regenerate_audio);
        const int64_t last = r.mask_last_frame < 0 ? n - 1 : std::min(r.mask_last_frame, n - 1);
        if (r.mask_first_frame < 0 || r.mask_first_frame > last) refuse(r, "the mask's frame range is empty");
        size_t painted = 0;
        for (size_t i = static_cast<size_t>(r.mask_first_frame) * g.pixels(); i < (last + 1) * g.pixels(); ++i)
            if (r.paint_mask[i]) {
                p.keepPixel[i] = 0;
                ++painted;
            }
        if (painted == 0) refuse(r, "the mask paints nothing in the frame range");
        frames = networkFrames(n, t);
        break;
    }
    case Task::Retake: {
        if (!r.regenerate_video && !r.regenerate_audio) refuse(r, "nothing to retake: choose video, sound or both");
        checkSource(r, g, true, true);
        const int64_t n = r.source.frames;
        const double length = n / g.fps;
        if (!(r.window_start >= 0 && r.window_end > r.window_start && r.window_start < length))
            refuse(r, "the window must satisfy 0 ≤ start < end and start < the shot's length");
        allocate(p, g, n);
        place(p, g, r.source, 0, true, true);
        if (r.regenerate_video) {
            const auto f0 = static_cast<int64_t>(std::llround(r.window_start * g.fps));
            const auto f1 = std::min<int64_t>(n, std::llround(r.window_end * g.fps));
            std::fill(p.keepPixel.begin() + f0 * g.pixels(), p.keepPixel.begin() + f1 * g.pixels(), 0);
        }
        if (r.regenerate_audio) {
            const auto s0 = std::min<int64_t>(p.samples, std::llround(r.window_start * g.rate));
            const auto s1 = std::min<int64_t>(p.samples, std::llround(r.window_end * g.rate));
            std::fill(p.keepSample.begin() + s0, p.keepSample.begin() + s1, 0);
        }
        frames = networkFrames(n, t);
        break;
    }
    case Task::Extend: {
        if (r.backward)
            refuse(r, "extending before a shot is not ported yet (upstream places later frames as keyframe "
                      "tokens); extend after it, or use the demo model");
        checkSource(r, g, true, hasAudio(r.source));
        const int64_t n = r.source.frames;
        if (n < t + 1) refuse(r, "the source needs at least " + std::to_string(t + 1) + " frames to continue from");
        // Context: whole latent steps of the source's end, plus the causal first frame; new: whole steps.
        const int64_t contextSteps =
            std::clamp<int64_t>(std::lround(r.context_seconds * g.fps / t), 1, (n - 1) / t);
        const int64_t newSteps = std::max<int64_t>(1, std::lround(r.seconds * g.fps / t));
        allocate(p, g, n + newSteps * t);
        place(p, g, r.source, 0, true, true);
        p.networkFirstFrame = n - (contextSteps * t + 1);
        frames = (contextSteps + newSteps) * t + 1;
        break;
    }
    case Task::Restyle: {
        if (!(r.strength > 0 && r.strength <= 1)) refuse(r, "strength must be in (0, 1]");
        checkSource(r, g, true, true);
        allocate(p, g, r.source.frames);
        place(p, g, r.source, 0, false, true);
        startFromSource = true;
        base.noise_scale = r.strength;
        frames = networkFrames(r.source.frames, t);
        break;
    }
    case Task::Foley: {
        checkSource(r, g, true, false);
        allocate(p, g, r.source.frames);
        place(p, g, r.source, 0, true, false);
        frames = networkFrames(r.source.frames, t);
        break;
    }
    case Task::Dub: {
        checkSource(r, g, false, true);
        // Enough frames for the whole voice line (never cut short); only the given samples are kept.
        const auto voiceFrames = static_cast<int64_t>(std::ceil(r.source.audio.size() * g.fps / g.rate - 1e-9));
        frames = networkFrames(std::max<int64_t>(voiceFrames, 1), t);
        allocate(p, g, frames);
        Shot voice;
        voice.audio = r.source.audio;
        voice.sample_rate = g.rate;
        place(p, g, voice, 0, false, true);
        break;
    }
    }
    p.networkFirstSample = g.samplesFor(p.networkFirstFrame);

    LtxShotRequest& q = base;
    q.frames = static_cast<int>(frames);
    auto videoGenerate = videoGenerateMask(p, g, frames, scale);
    auto audioGenerate = audioGenerateMask(p, g, audioLatentFrames(q));
    if (r.task == Task::Image) {
        q.first_frame = networkPictures(p, g, 1)[0];
    } else if (startFromSource || (videoGenerate == 0).any().item<bool>()) {
        q.video_source = networkPictures(p, g, frames);
        q.video_frozen = (videoGenerate == 0).all().item<bool>();
        if (!q.video_frozen) q.video_generate = videoGenerate;
    }
    if ((audioGenerate == 0).any().item<bool>()) {
        if (!model.audioEncoder) refuse(r, "this checkpoint carries no audio encoder, so it cannot keep the sound");
        q.audio_source = networkSound(p, g, frames);
        q.audio_rate = g.rate;
        q.audio_frozen = (audioGenerate == 0).all().item<bool>();
        if (!q.audio_frozen) q.audio_generate = audioGenerate;
    }
    p.request = q;
    checkShotRequest(model, p.request);
    return p;
}

Shot finishLtxEdit(const LtxEditPlan& p, const LtxShot& made) {
    const Shot net = toShot(made);
    Shot out;
    out.width = net.width;
    out.height = net.height;
    out.fps = net.fps;
    out.frames = p.frames;
    out.sample_rate = p.sample_rate;
    const size_t frameBytes = static_cast<size_t>(net.width) * net.height * 3;
    out.rgb = p.placedRgb;
    const int64_t frames = std::min<int64_t>(net.frames, p.frames - p.networkFirstFrame);
    std::memcpy(out.rgb.data() + p.networkFirstFrame * frameBytes, net.rgb.data(), static_cast<size_t>(frames) * frameBytes);
    out.audio = p.placedAudio;
    const int64_t samples = std::min<int64_t>(static_cast<int64_t>(net.audio.size()), p.samples - p.networkFirstSample);
    std::copy_n(net.audio.begin(), samples, out.audio.begin() + p.networkFirstSample);
    // What the user kept comes back bit for bit.
    for (size_t i = 0; i < p.keepPixel.size(); ++i)
        if (p.keepPixel[i]) std::memcpy(out.rgb.data() + i * 3, p.placedRgb.data() + i * 3, 3);
    for (size_t i = 0; i < p.keepSample.size(); ++i)
        if (p.keepSample[i]) out.audio[i] = p.placedAudio[i];
    return out;
}

} // namespace tandem::model::ltx2
