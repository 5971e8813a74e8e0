// Design note: one way to write a picture — PNG through a temp file in the same folder and a rename, so a
// reader never sees half of it. Internal to render/ (it takes an OpenCV matrix).
#pragma once

#include <opencv2/core.hpp>

#include <string>

namespace tandem::render {

// `image` in OpenCV's BGR order. Throws std::runtime_error naming the path when it cannot be written.
void writePngAtomically(const cv::Mat& image, const std::string& pngPath);

} // namespace tandem::render
