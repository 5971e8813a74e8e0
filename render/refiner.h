// Design note: brings a model's output — small pictures at a low frame rate, e.g. 256×160 at 8 or 16 fps — to
// a deliverable size and rate, so it can sit in a 1080p sequence. New frames between two source frames are
// made by optical-flow interpolation (OpenCV's DIS flow both ways, each frame warped to the in-between
// instant, blended), falling back to a plain cross-fade wherever the flow cannot be trusted. Pictures are
// then fitted inside the output size with their aspect kept (black bars), enlarged with bicubic filtering and
// a mild unsharp mask. The sound is copied through. The work is done at the source size, where it is cheap;
// only the finished frame is enlarged.
#pragma once

#include "render/frame.h"

#include <cstdint>
#include <functional>
#include <memory>
#include <stdexcept>
#include <string>

namespace tandem::render {

// The pictures between two frames of the same size, at times 0 < t < 1 (a at 0, b at 1). The optical flow is
// computed once, on construction, so each in-between picture of a pair costs only the warps and the blend.
class FrameInterpolator {
public:
    FrameInterpolator(const Frame& a, const Frame& b); // throws std::invalid_argument when the sizes differ
    ~FrameInterpolator();
    FrameInterpolator(FrameInterpolator&&) noexcept;
    FrameInterpolator& operator=(FrameInterpolator&&) noexcept;

    Frame at(double t) const; // t is clamped to [0, 1]; 0 and 1 give a and b exactly

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

// One picture at time t between a and b (a shorthand for FrameInterpolator(a, b).at(t); no flow is computed
// for t = 0 or 1).
Frame interpolateFrame(const Frame& a, const Frame& b, double t);

// Where an output frame of a rate conversion comes from: `t` of the way from source `frame` to the next.
struct SourcePosition {
    int64_t frame = 0;
    double t = 0; // 0 ≤ t < 1; exactly 0 when the output instant is a source frame's
};

// Output frame k shows the instant k / targetFps, which is source position k · sourceFps / targetFps.
class FrameRateConverter {
public:
    FrameRateConverter(double sourceFps, double targetFps); // throws std::invalid_argument unless both > 0

    SourcePosition at(int64_t outputFrame) const;
    // Output frames of the same duration: round(sourceFrames · targetFps / sourceFps).
    int64_t outputFrames(int64_t sourceFrames) const;

private:
    double ratio_; // source frames per output frame
};

// `in` fitted inside width × height with its aspect kept, centred on black (letterbox or pillarbox).
// Enlarging is bicubic, sharpened a little from 1.5× up; shrinking averages areas.
Frame upscale(const Frame& in, int width, int height);

// A 0 keeps the source's rate or size; with only one side given, the other follows with the aspect kept.
struct RefineSettings {
    double fps = 0;
    int width = 0, height = 0;
};

struct RefineCancelled : std::runtime_error {
    RefineCancelled() : std::runtime_error("refine cancelled") {}
};

// Writes `in` converted to `settings` as an H.264 + AAC MP4 at `out`, of the same duration, with the input's
// sound (if any) as 48 kHz stereo. `progress(framesDone, frames)` after each frame (`frames` is an estimate
// from the container); returning false cancels (throws RefineCancelled) and leaves nothing at `out`. Throws
// MediaError when the input cannot be read or the output written.
void refineMovie(const std::string& in, const std::string& out, const RefineSettings& settings,
                 const std::function<bool(int64_t done, int64_t total)>& progress = {});

} // namespace tandem::render
