#pragma once

#include "render/frame.h"

namespace tandem::render {

// Shrinks a frame to fit `maxWidth` × `maxHeight`, keeping its aspect ratio (area averaging, so fine detail
// does not alias). Used for timeline and bin thumbnails.
Frame makeThumbnail(const Frame& frame, int maxWidth, int maxHeight);

} // namespace tandem::render
