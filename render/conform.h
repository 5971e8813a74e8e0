// Design note: brings any media to a model's geometry — frame size (scaled to cover, then centre-cropped, so
// the picture fills the frame without distortion), frame rate (each output frame shows the source frame on
// screen at that instant) and mono audio at the model's sample rate. The engine then never sees a size or
// rate it was not trained on. Stills (PNG, JPEG) come back as a single frame.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace tandem::render {

struct ConformSpec {
    int width = 0, height = 0;
    double fps = 0;
    int sample_rate = 0;
    double max_seconds = 60;
};

struct ConformedMedia {
    int width = 0, height = 0;
    double fps = 0;
    int64_t frames = 0;
    std::vector<uint8_t> rgb; // frames × height × width × 3
    int sample_rate = 0;
    std::vector<float> audio; // mono; empty when the media has no sound
    bool hasVideo() const { return frames > 0; }
};

// Throws MediaError when the file cannot be read or is longer than max_seconds.
ConformedMedia conformMedia(const std::string& path, const ConformSpec& spec);

// Scales packed RGB to cover `width` × `height` and crops the centre (area averaging when shrinking).
std::vector<uint8_t> coverAndCrop(const uint8_t* rgb, int srcWidth, int srcHeight, int width, int height);

} // namespace tandem::render
