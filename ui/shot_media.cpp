#include "ui/shot_media.h"

#include "model/shot_file.h"
#include "render/conform.h"
#include "render/movie_writer.h"

#include <algorithm>
#include <cmath>

namespace tandem::ui {

namespace {

// Long enough for any clip a creator edits with the engine; conforming reads the file once.
constexpr double kMaxSourceSeconds = 600;

model::Shot fromConformed(render::ConformedMedia&& m) {
    model::Shot s;
    s.width = m.width;
    s.height = m.height;
    s.fps = m.fps;
    s.frames = m.frames;
    s.rgb = std::move(m.rgb);
    s.sample_rate = m.sample_rate;
    s.audio = std::move(m.audio);
    return s;
}

// Keeps [start, start + seconds) of a conformed shot's frames and samples.
void cutWindow(model::Shot& s, SourceWindow w) {
    if (w.startSeconds <= 0 && w.seconds <= 0) return;
    const size_t frameBytes = size_t(s.width) * s.height * 3;
    if (s.frames > 0) {
        const int64_t first = std::clamp<int64_t>(std::llround(w.startSeconds * s.fps), 0, s.frames - 1);
        const int64_t count = w.seconds > 0 ? std::max<int64_t>(1, std::llround(w.seconds * s.fps)) : s.frames - first;
        const int64_t last = std::min(s.frames, first + count);
        s.rgb = std::vector<uint8_t>(s.rgb.begin() + first * frameBytes, s.rgb.begin() + last * frameBytes);
        s.frames = last - first;
    }
    if (!s.audio.empty() && s.sample_rate > 0) {
        const size_t first = std::min(s.audio.size(), size_t(std::llround(w.startSeconds * s.sample_rate)));
        const size_t count = w.seconds > 0 ? size_t(std::llround(w.seconds * s.sample_rate)) : s.audio.size() - first;
        s.audio = std::vector<float>(s.audio.begin() + long(first), s.audio.begin() + long(std::min(s.audio.size(), first + count)));
    }
}

// Whole latent steps: drop the last few frames if needed (a shot shorter than one step repeats its last frame),
// and sound for exactly those frames (silence where the media has none).
void toWholeSteps(model::Shot& s, const model::ModelConfig& config) {
    const int tc = config.video.temporal_compression;
    const int64_t frames = std::max<int64_t>(tc, s.frames / tc * tc);
    const size_t frameBytes = size_t(s.width) * s.height * 3;
    s.rgb.resize(size_t(frames) * frameBytes);
    for (int64_t f = s.frames; f < frames; ++f)
        std::copy_n(s.rgb.begin() + (s.frames - 1) * long(frameBytes), frameBytes, s.rgb.begin() + f * long(frameBytes));
    s.frames = frames;
    s.audio.resize(size_t(config.timeBase().samplesForFrames(frames)), 0.f);
}

} // namespace

model::Shot loadSourceShot(const std::string& path, const model::ModelConfig& config, model::Task task,
                           SourceWindow window) {
    model::Shot s;
    if (model::looksLikeShotFile(path)) {
        s = model::readShotFile(path);
        if (s.frames > 0 && (s.width != config.video.width || s.height != config.video.height ||
                             std::abs(s.fps - config.video.fps) > 1e-6))
            throw ShotInputError(path + " was made at " + std::to_string(s.width) + "x" + std::to_string(s.height) +
                                 " by another model; give the movie instead to conform it");
        if (window.startSeconds <= 0 && window.seconds <= 0) return s; // lossless, as the engine wrote it
    } else {
        const render::ConformSpec spec{config.video.width, config.video.height, config.video.fps, config.audio.sample_rate,
                                       kMaxSourceSeconds};
        s = fromConformed(render::conformMedia(path, spec));
    }
    cutWindow(s, window);
    if (task == model::Task::Image) {
        if (s.frames <= 0) throw ShotInputError(path + " has no picture");
        s.frames = 1;
        s.rgb.resize(size_t(s.width) * s.height * 3);
        s.audio.clear();
        return s;
    }
    if (task == model::Task::Dub) {
        if (s.audio.empty()) throw ShotInputError(path + " has no sound to dub");
        s.frames = 0;
        s.rgb.clear();
        return s;
    }
    if (s.frames <= 0) throw ShotInputError(path + " has no picture");
    toWholeSteps(s, config);
    return s;
}

model::Shot loadReferenceShot(const std::string& path, const model::ModelConfig& config) {
    if (model::looksLikeShotFile(path)) return model::readShotFile(path);
    const render::ConformSpec spec{config.video.width, config.video.height, config.video.fps, config.audio.sample_rate, 60};
    return fromConformed(render::conformMedia(path, spec));
}

void writeShotMovie(const model::Shot& shot, const std::string& path) {
    render::MovieSettings ms;
    ms.width = shot.width;
    ms.height = shot.height;
    ms.fps = shot.fps;
    ms.input_sample_rate = shot.audio.empty() ? 0 : shot.sample_rate;
    ms.channels = 1;
    render::MovieWriter writer(path, ms);
    const size_t frameBytes = size_t(shot.width) * shot.height * 3;
    for (int64_t f = 0; f < shot.frames; ++f) writer.addFrame(shot.rgb.data() + f * long(frameBytes));
    if (!shot.audio.empty()) writer.addAudio(shot.audio.data(), int64_t(shot.audio.size()));
    writer.finish();
}

} // namespace tandem::ui
