// Design note: a numbered run of still images (an OpenTimelineIO ImageSequenceReference, a VFX shot's
// frames) made into one movie, so the rest of Tandem sees it as any other media file. Frames are read
// with OpenCV (PNG, JPEG, TIFF, …), each must have the first one's size, and the movie is H.264 at high
// quality through MovieWriter (written under a temporary name, renamed when complete).
#pragma once

#include <string>
#include <vector>

namespace tandem::render {

// Throws MediaError naming the first frame that cannot be read or does not match.
void writeImageSequenceMovie(const std::vector<std::string>& frames, double fps, const std::string& moviePath);

} // namespace tandem::render
