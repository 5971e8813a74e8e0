// Design note: the colour masks the evaluation's checkers share (inside render/ only; OpenCV types).
// A mask is the pixels within a tolerance of a colour, opened with a 3×3 square so that thin strokes of a
// similar colour — rain streaks over a white object, grass blades beside a green one — are not counted as
// part of an object, then closed so that a streak drawn across an object does not cut it in two.
#pragma once

#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <cstdint>

namespace tandem::render {

inline cv::Mat frameMat(const uint8_t* frames, int64_t index, int width, int height) {
    return cv::Mat(height, width, CV_8UC3, const_cast<uint8_t*>(frames + size_t(index) * width * height * 3));
}

inline cv::Mat rawColourMask(const cv::Mat& frame, const uint8_t rgb[3], int tolerance) {
    const cv::Scalar lo(std::max(0, rgb[0] - tolerance), std::max(0, rgb[1] - tolerance), std::max(0, rgb[2] - tolerance));
    const cv::Scalar hi(std::min(255, rgb[0] + tolerance), std::min(255, rgb[1] + tolerance), std::min(255, rgb[2] + tolerance));
    cv::Mat mask;
    cv::inRange(frame, lo, hi, mask);
    return mask;
}

inline cv::Mat objectColourMask(const cv::Mat& frame, const uint8_t rgb[3], int tolerance) {
    static const cv::Mat kernel = cv::getStructuringElement(cv::MORPH_RECT, {3, 3});
    cv::Mat mask = rawColourMask(frame, rgb, tolerance);
    cv::morphologyEx(mask, mask, cv::MORPH_OPEN, kernel);
    cv::morphologyEx(mask, mask, cv::MORPH_CLOSE, kernel);
    return mask;
}

} // namespace tandem::render
