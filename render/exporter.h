// Design note: a sequence into a file. The compositor draws every frame and the mixer the whole sound; both
// go to MovieWriter (H.264 + AAC MP4 or ProRes 422 HQ + PCM MOV, written under a temporary name and renamed
// only when complete). Sound is written a second at a time between the frames it belongs to, so the file
// interleaves well; the caller says which sample each frame starts on (the project's TimeMap), so picture
// and sound meet at the same sample at every cut. With a loudness target the mix is measured first (EBU
// R128, a pass of mixing only — cheap next to encoding) and written with one gain (render/loudness.h).
// Stems: each audio track mixed alone (its own gain, pan, fades) into a 24-bit WAV of the same length. A
// progress callback may cancel; then nothing appears at the destination.
#pragma once

#include "render/compositor.h"
#include "render/loudness.h"
#include "render/mixer.h"

#include <functional>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace tandem::render {

struct ExportJob {
    int width = 1920, height = 1080;
    double fps = 32;
    int64_t firstFrame = 0; // a range of the sequence: frames [firstFrame, firstFrame + frames)
    int64_t frames = 0;
    std::vector<CompositeTrack> video; // bottom layer first
    std::vector<MixTrack> audio;       // empty = a silent film: no audio stream
    std::function<int64_t(int64_t frame)> firstSampleOfFrame; // at kMixRate
    int crf = 18;
    std::string x264Preset = "medium";
    std::string container = "mp4";       // mp4 | mov (ProRes 422 HQ)
    std::string h264Encoder = "libx264"; // libx264 | h264_nvenc | auto
    std::optional<double> loudnessTarget; // LUFS, e.g. −14; none = the mix as it is
};

struct ExportReport {
    std::string videoEncoder;
    std::optional<Loudness> measured; // before normalisation
    double gainDb = 0;                // applied to the whole mix
    bool peakLimited = false;         // the true-peak ceiling held the gain under the target
};

struct ExportCancelled : std::runtime_error {
    ExportCancelled() : std::runtime_error("export cancelled") {}
};

// `progress(framesDone, frames)` after each frame; returning false cancels (throws ExportCancelled).
// Throws MediaError when the file cannot be written.
ExportReport exportMovie(const std::string& path, const ExportJob& job,
                         const std::function<bool(int64_t done, int64_t total)>& progress = {});

// One WAV per audio track into `folder` (created if needed), named after the track ("A1.wav" …); muted
// tracks are left out. Returns the files written. Throws MediaError (what was written so far stays).
// `gainDb` is the mix's normalisation gain, so the stems still sum to the exported mix.
std::vector<std::string> exportStems(const std::string& folder, const ExportJob& job, double gainDb = 0);

// The integrated loudness and true peak of the job's whole mix.
Loudness measureMix(const ExportJob& job);

} // namespace tandem::render
