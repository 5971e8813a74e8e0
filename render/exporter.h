// Design note: a sequence into a file. The compositor draws every frame and the mixer the whole sound; both
// go to MovieWriter (H.264 + AAC MP4, written under a temporary name and renamed only when complete). Sound
// is written a second at a time between the frames it belongs to, so the file interleaves well; the caller
// says which sample each frame starts on (the project's TimeMap), so picture and sound meet at the same
// sample at every cut. A progress callback may cancel; then nothing appears at the destination.
#pragma once

#include "render/compositor.h"
#include "render/mixer.h"

#include <functional>
#include <stdexcept>
#include <string>
#include <vector>

namespace tandem::render {

struct ExportJob {
    int width = 1920, height = 1080;
    double fps = 32;
    int64_t frames = 0;
    std::vector<CompositeTrack> video; // bottom layer first
    std::vector<MixTrack> audio;       // empty = a silent film: no audio stream
    std::function<int64_t(int64_t frame)> firstSampleOfFrame; // at kMixRate
    int crf = 18;
    std::string x264Preset = "medium";
};

struct ExportCancelled : std::runtime_error {
    ExportCancelled() : std::runtime_error("export cancelled") {}
};

// `progress(framesDone, frames)` after each frame; returning false cancels (throws ExportCancelled).
// Throws MediaError when the file cannot be written.
void exportMovie(const std::string& path, const ExportJob& job,
                 const std::function<bool(int64_t done, int64_t total)>& progress = {});

} // namespace tandem::render
