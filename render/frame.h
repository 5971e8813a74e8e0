#pragma once

#include <cstdint>
#include <vector>

namespace tandem::render {

// One decoded picture: packed RGB, 8 bits per channel, rows without padding.
struct Frame {
    int width = 0;
    int height = 0;
    int64_t index = -1; // frame number in its media, from 0
    std::vector<uint8_t> rgb;
};

} // namespace tandem::render
