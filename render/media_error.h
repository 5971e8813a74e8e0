#pragma once

#include <stdexcept>
#include <string>

namespace tandem::render {

// Any media that cannot be read or written. The message names the file and says why, in words a user can
// act on ("not a media file", "no video or audio stream", "disk full").
struct MediaError : std::runtime_error {
    using std::runtime_error::runtime_error;
};

// Turns an FFmpeg error code into text.
std::string ffmpegErrorText(int code);

} // namespace tandem::render
