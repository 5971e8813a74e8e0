#include "render/thumbnail.h"

#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <cmath>

namespace tandem::render {

Frame makeThumbnail(const Frame& frame, int maxWidth, int maxHeight) {
    if (frame.width <= 0 || frame.height <= 0 || maxWidth <= 0 || maxHeight <= 0) return {};
    const double scale = std::min({1.0, double(maxWidth) / frame.width, double(maxHeight) / frame.height});
    Frame out;
    out.index = frame.index;
    out.width = std::max(1, static_cast<int>(std::lround(frame.width * scale)));
    out.height = std::max(1, static_cast<int>(std::lround(frame.height * scale)));
    out.rgb.resize(static_cast<size_t>(out.width) * out.height * 3);
    const cv::Mat src(frame.height, frame.width, CV_8UC3, const_cast<uint8_t*>(frame.rgb.data()));
    cv::Mat dst(out.height, out.width, CV_8UC3, out.rgb.data());
    cv::resize(src, dst, dst.size(), 0, 0, cv::INTER_AREA);
    return out;
}

} // namespace tandem::render
