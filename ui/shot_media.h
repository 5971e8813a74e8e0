// Design note: media ↔ shots, for everything that hands media to the engine (tandem-cli, the editor's job
// queue). A source is any media file (or a lossless shot file) conformed to the model's geometry — size,
// frame rate, mono sound at its sample rate — optionally only a window of it (a clip's source range), cut to
// whole latent steps; a finished shot becomes a playable movie. Torch-free: shots are plain model/ values.
#pragma once

#include "model/config.h"
#include "model/engine.h"

#include <stdexcept>
#include <string>

namespace tandem::ui {

// The media cannot serve the task (no picture for a picture task, a shot file from another model).
struct ShotInputError : std::runtime_error {
    using std::runtime_error::runtime_error;
};

// A window of a file's time: [startSeconds, startSeconds + seconds); seconds <= 0 = to the end.
struct SourceWindow {
    double startSeconds = 0;
    double seconds = 0;
};

// The input shot of `task`: image → the first frame; dub → the sound only; the rest → whole latent steps of
// picture and sound. Throws ShotInputError or render::MediaError.
model::Shot loadSourceShot(const std::string& path, const model::ModelConfig& config, model::Task task,
                           SourceWindow window = {});
// A reference from the bins: whatever picture and sound the file has, conformed to the model.
model::Shot loadReferenceShot(const std::string& path, const model::ModelConfig& config);
// The shot as an H.264 + AAC movie (atomic). Throws render::MediaError.
void writeShotMovie(const model::Shot& shot, const std::string& path);

} // namespace tandem::ui
