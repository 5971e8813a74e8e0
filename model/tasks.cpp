#include "model/tasks.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <stdexcept>

namespace tandem::model {

namespace {

namespace F = torch::nn::functional;

[[noreturn]] void refuse(const ShotRequest& r, const std::string& why) {
    throw std::invalid_argument(std::string(taskName(r.task)) + ": " + why);
}

bool hasVideo(const Shot& s) { return s.frames > 0 && !s.rgb.empty(); }
bool hasAudio(const Shot& s) { return !s.audio.empty(); }

void checkGeometry(const ShotRequest& r, const ModelConfig& cfg, bool needVideo, bool needAudio) {
    const Shot& s = r.source;
    if (needVideo) {
        if (!hasVideo(s)) refuse(r, "needs a source video");
        if (s.width != cfg.video.width || s.height != cfg.video.height)
            refuse(r, "source is " + std::to_string(s.width) + "x" + std::to_string(s.height) + " but the model works at " +
                          std::to_string(cfg.video.width) + "x" + std::to_string(cfg.video.height));
        if (std::abs(s.fps - cfg.video.fps) > 1e-6) refuse(r, "source frame rate differs from the model's");
        if (s.rgb.size() != size_t(s.frames) * s.width * s.height * 3) refuse(r, "source pixels do not match its size");
    }
    if (needAudio) {
        if (!hasAudio(s)) refuse(r, "needs source audio");
        if (s.sample_rate != cfg.audio.sample_rate) refuse(r, "source sample rate differs from the model's");
    }
}

// Latent masks over the window from the keep masks: a cell is generated if any pixel/sample in it is.
void masksFromKeep(TaskPlan& p, const ModelConfig& cfg) {
    const int H = cfg.video.height, W = cfg.video.width, tc = cfg.video.temporal_compression,
              sc = cfg.video.spatial_compression, hop = cfg.audio.hop;
    const int64_t frameOffset = p.windowFirstFrame * H * W;
    auto keep = torch::from_blob(p.keepPixel.data() + frameOffset, {1, 1, p.T * tc, H, W}, torch::kUInt8);
    p.videoMask = F::max_pool3d(1 - keep.to(torch::kFloat32), F::MaxPool3dFuncOptions({tc, sc, sc}));
    auto gen = torch::ones({1, 1, p.L * hop});
    const int64_t n = std::min<int64_t>(p.L * hop, p.samples - p.windowFirstSample);
    auto keepS = torch::from_blob(p.keepSample.data() + p.windowFirstSample, {1, 1, n}, torch::kUInt8);
    gen.narrow(2, 0, n).copy_(1 - keepS.to(torch::kFloat32));
    p.audioMask = F::max_pool1d(gen, F::MaxPool1dFuncOptions(hop));
    p.encodeVideo = (p.videoMask < 1).any().item<bool>();
    p.encodeAudio = (p.audioMask < 1).any().item<bool>();
}

void windowOverWholeOutput(TaskPlan& p, const ModelConfig& cfg) {
    const TimeBase tb = cfg.timeBase();
    p.T = p.frames / cfg.video.temporal_compression;
    p.L = tb.audioLatentStepsForSamples(p.samples);
}

int64_t sourceFrames(const ShotRequest& r, const ModelConfig& cfg) {
    const int tc = cfg.video.temporal_compression;
    if (r.source.frames % tc != 0)
        refuse(r, "source has " + std::to_string(r.source.frames) + " frames; the model needs a multiple of " + std::to_string(tc));
    return r.source.frames;
}

void requireAudioLength(const ShotRequest& r, const ModelConfig& cfg, int64_t frames) {
    const int64_t want = cfg.timeBase().samplesForFrames(frames);
    if (int64_t(r.source.audio.size()) != want)
        refuse(r, "source audio has " + std::to_string(r.source.audio.size()) + " samples; its " + std::to_string(frames) +
                      " frames need " + std::to_string(want));
}

} // namespace

void PlacedMedia::allocate(const ModelConfig& cfg, int64_t outputFrames) {
    frames = outputFrames;
    samples = cfg.timeBase().samplesForFrames(outputFrames);
    width = cfg.video.width;
    height = cfg.video.height;
    const size_t px = size_t(frames) * framePixels();
    placedRgb.assign(px * 3, 0);
    keepPixel.assign(px, 0);
    placedAudio.assign(size_t(samples), 0.f);
    keepSample.assign(size_t(samples), 0);
}

void PlacedMedia::place(const ModelConfig& cfg, const Shot& s, int64_t atFrame, bool keepVideo, bool keepAudio) {
    if (hasVideo(s)) {
        const int64_t n = std::min<int64_t>(s.frames, frames - atFrame);
        std::memcpy(placedRgb.data() + atFrame * framePixels() * 3, s.rgb.data(), size_t(n) * framePixels() * 3);
        if (keepVideo) std::fill_n(keepPixel.begin() + atFrame * framePixels(), size_t(n) * framePixels(), 1);
    }
    if (hasAudio(s)) {
        const int64_t at = cfg.timeBase().samplesForFrames(atFrame);
        const int64_t n = std::min<int64_t>(int64_t(s.audio.size()), samples - at);
        std::copy_n(s.audio.begin(), n, placedAudio.begin() + at);
        if (keepAudio) std::fill_n(keepSample.begin() + at, n, 1);
    }
}

void PlacedMedia::unkeepPainted(const ShotRequest& r) {
    const size_t px = framePixels();
    if (r.paint_mask.size() != size_t(frames) * px)
        refuse(r, "the paint mask must cover every frame (" + std::to_string(frames) + " × " + std::to_string(width) + "×" +
                      std::to_string(height) + " values)");
    const int64_t last = r.mask_last_frame < 0 ? frames - 1 : std::min(r.mask_last_frame, frames - 1);
    if (r.mask_first_frame < 0 || r.mask_first_frame > last) refuse(r, "the mask's frame range is empty");
    size_t painted = 0;
    for (int64_t f = r.mask_first_frame; f <= last; ++f)
        for (size_t i = 0; i < px; ++i)
            if (r.paint_mask[f * px + i]) {
                keepPixel[f * px + i] = 0;
                ++painted;
            }
    if (painted == 0) refuse(r, "the mask paints nothing in the frame range");
}

void PlacedMedia::unkeepWindow(const ShotRequest& r, const ModelConfig& cfg) {
    const TimeBase tb = cfg.timeBase();
    const double length = tb.secondsForFrames(frames);
    if (!(r.window_start >= 0 && r.window_end > r.window_start && r.window_start < length))
        refuse(r, "the window must satisfy 0 ≤ start < end and start < the shot's length");
    const size_t px = framePixels();
    if (r.regenerate_video) {
        const int64_t f0 = tb.frameForSeconds(r.window_start), f1 = std::min(frames, tb.frameForSeconds(r.window_end));
        std::fill(keepPixel.begin() + f0 * px, keepPixel.begin() + f1 * px, 0);
    }
    if (r.regenerate_audio) {
        const int64_t s0 = tb.sampleForSeconds(r.window_start), s1 = std::min(samples, tb.sampleForSeconds(r.window_end));
        std::fill(keepSample.begin() + s0, keepSample.begin() + s1, 0);
    }
}

void PlacedMedia::overlayMade(const uint8_t* rgb, int64_t firstFrame, int64_t madeFrames, const float* audio,
                              int64_t firstSample, int64_t madeSamples) {
    const size_t firstPixel = size_t(firstFrame) * framePixels();
    const size_t pixels = size_t(std::clamp<int64_t>(std::min(madeFrames, frames - firstFrame), 0, frames)) * framePixels();
    for (size_t i = 0; i < pixels; ++i)
        if (!keepPixel[firstPixel + i]) std::memcpy(&placedRgb[(firstPixel + i) * 3], rgb + i * 3, 3);
    const int64_t n = std::clamp<int64_t>(std::min(madeSamples, samples - firstSample), 0, samples);
    for (int64_t i = 0; i < n; ++i)
        if (!keepSample[size_t(firstSample + i)]) placedAudio[size_t(firstSample + i)] = audio[i];
}

TaskPlan planTask(const ShotRequest& r, const ModelConfig& cfg) {
    const TimeBase tb = cfg.timeBase();
    const int H = cfg.video.height, W = cfg.video.width;
    TaskPlan p;
    switch (r.task) {
    case Task::Generate: {
        p.allocate(cfg, tb.framesForVideoLatentSteps(tb.videoLatentStepsForSeconds(r.seconds)));
        break;
    }
    case Task::Image: {
        if (!hasVideo(r.source)) refuse(r, "needs a first frame");
        checkGeometry(r, cfg, true, false);
        p.allocate(cfg, tb.framesForVideoLatentSteps(tb.videoLatentStepsForSeconds(r.seconds)));
        // The still image fills the first latent step's frames so it encodes as a still; only frame 0 is kept.
        const size_t frameBytes = size_t(W) * H * 3;
        for (int f = 0; f < cfg.video.temporal_compression; ++f)
            std::memcpy(p.placedRgb.data() + f * frameBytes, r.source.rgb.data(), frameBytes);
        std::fill_n(p.keepPixel.begin(), size_t(W) * H, 1);
        break;
    }
    case Task::Inpaint: {
        checkGeometry(r, cfg, true, !r.regenerate_audio);
        const int64_t frames = sourceFrames(r, cfg);
        if (!r.regenerate_audio) requireAudioLength(r, cfg, frames);
        p.allocate(cfg, frames);
        p.place(cfg, r.source, 0, true, !r.regenerate_audio);
        p.unkeepPainted(r);
        break;
    }
    case Task::Retake: {
        if (!r.regenerate_video && !r.regenerate_audio) refuse(r, "nothing to retake: choose video, audio or both");
        checkGeometry(r, cfg, true, true);
        const int64_t frames = sourceFrames(r, cfg);
        requireAudioLength(r, cfg, frames);
        p.allocate(cfg, frames);
        p.place(cfg, r.source, 0, true, true);
        p.unkeepWindow(r, cfg);
        break;
    }
    case Task::Extend: {
        checkGeometry(r, cfg, true, false);
        const int64_t srcFrames = sourceFrames(r, cfg);
        if (hasAudio(r.source)) requireAudioLength(r, cfg, srcFrames);
        const int tc = cfg.video.temporal_compression;
        const int64_t newSteps = tb.videoLatentStepsForSeconds(r.seconds);
        const int64_t ctxSteps = std::clamp<int64_t>(tb.videoLatentStepsForSeconds(r.context_seconds), 1, srcFrames / tc);
        p.allocate(cfg, srcFrames + newSteps * tc);
        const int64_t srcAt = r.backward ? newSteps * tc : 0;
        p.place(cfg, r.source, srcAt, true, true);
        // The window: the new steps and the context steps of the source next to them.
        p.windowFirstFrame = r.backward ? 0 : (srcFrames - ctxSteps * tc);
        p.windowFirstSample = tb.samplesForFrames(p.windowFirstFrame);
        p.T = newSteps + ctxSteps;
        const int64_t windowSamples = tb.samplesForFrames(p.T * tc);
        p.L = tb.audioLatentStepsForSamples(windowSamples);
        masksFromKeep(p, cfg);
        // Continue from the source's own latents where it carries them (no decode → encode drift).
        const Shot& s = r.source;
        if (!s.video_latent.empty()) {
            if (s.video_latent.shape.size() != 4 || s.video_latent.shape[1] != srcFrames / tc)
                refuse(r, "the source's latents do not match its frames");
            auto src = torch::from_blob(const_cast<float*>(s.video_latent.data.data()), s.video_latent.shape, torch::kFloat32)
                           .unsqueeze(0);
            p.knownVideo = torch::zeros({1, cfg.video.latent_channels, p.T, cfg.latentHeight(), cfg.latentWidth()});
            if (r.backward) p.knownVideo.narrow(2, newSteps, ctxSteps).copy_(src.narrow(2, 0, ctxSteps));
            else p.knownVideo.narrow(2, 0, ctxSteps).copy_(src.narrow(2, src.size(2) - ctxSteps, ctxSteps));
            p.encodeVideo = false;
        }
        return p;
    }
    case Task::Restyle: {
        if (!(r.strength > 0 && r.strength <= 1)) refuse(r, "strength must be in (0, 1]");
        checkGeometry(r, cfg, true, true);
        const int64_t frames = sourceFrames(r, cfg);
        requireAudioLength(r, cfg, frames);
        p.allocate(cfg, frames);
        p.place(cfg, r.source, 0, false, true);
        windowOverWholeOutput(p, cfg);
        masksFromKeep(p, cfg);
        p.encodeVideo = true; // the starting point, not a kept region
        p.startTime = r.strength;
        return p;
    }
    case Task::Foley: {
        checkGeometry(r, cfg, true, false);
        p.allocate(cfg, sourceFrames(r, cfg));
        p.place(cfg, r.source, 0, true, false);
        break;
    }
    case Task::Dub: {
        checkGeometry(r, cfg, false, true);
        // Enough whole latent steps to hold the entire voice line (never cut it short).
        const double seconds = double(r.source.audio.size()) / cfg.audio.sample_rate;
        const int64_t steps = std::max<int64_t>(1, int64_t(std::ceil(seconds * cfg.video.fps / cfg.video.temporal_compression - 1e-9)));
        if (steps * cfg.video.temporal_compression > int64_t(std::llround(60 * cfg.video.fps))) refuse(r, "the sound is longer than 60 s");
        const int64_t frames = tb.framesForVideoLatentSteps(steps);
        p.allocate(cfg, frames);
        Shot audioOnly;
        audioOnly.audio = r.source.audio;
        audioOnly.audio.resize(size_t(p.samples), 0.f); // the voice line, padded with silence to whole steps
        p.place(cfg, audioOnly, 0, false, true);
        // Padding added here is generated silence the user never gave: only the given samples are kept.
        std::fill(p.keepSample.begin() + std::min<int64_t>(p.samples, r.source.audio.size()), p.keepSample.end(), 0);
        break;
    }
    }
    windowOverWholeOutput(p, cfg);
    masksFromKeep(p, cfg);
    if (r.task == Task::Image) {
        p.videoMask.narrow(2, 0, 1).zero_(); // the first latent step is the given still
        p.encodeVideo = true;
    }
    return p;
}

} // namespace tandem::model
