// Design note: a shot at a glance — a contact sheet of frames in a row (every `step`-th frame, enlarged
// without smoothing so the model's own pixels show), its waveform under them on the same time axis, and a
// title line (the prompt) above. Used to show what a prompt produced (README pictures, `tandem-cli
// generate --sheet`, the evaluation's --sheets). Written atomically as PNG with OpenCV.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace tandem::render {

struct ContactSheet {
    std::string title;            // drawn above the frames (e.g. the prompt)
    int width = 0, height = 0;    // of a frame
    double fps = 0;
    int64_t frames = 0;
    const uint8_t* rgb = nullptr; // frames × height × width × 3
    int sampleRate = 0;
    std::vector<float> audio;     // mono; may be empty
    int columns = 8;              // frames shown, evenly spaced over the shot
    int scale = 1;                // each frame enlarged by this factor (nearest neighbour)
};

// Throws std::runtime_error when the file cannot be written or the sheet has no frames.
void writeContactSheet(const ContactSheet& sheet, const std::string& pngPath);

} // namespace tandem::render
