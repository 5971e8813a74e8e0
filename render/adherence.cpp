#include "render/adherence.h"

#include "render/sync_metrics.h"

#include <opencv2/imgproc.hpp>

#include <cmath>

namespace tandem::render {

namespace {

const char* shapeWord(ShapeKind s) { return s == ShapeKind::Circle ? "circle" : s == ShapeKind::Square ? "square" : "triangle"; }
const char* motionWord(MotionKind m) { return m == MotionKind::Bounce ? "bounce" : m == MotionKind::Fall ? "fall" : "slide"; }

std::string classifyOutline(const cv::Mat& mask) {
    std::vector<std::vector<cv::Point>> contours;
    cv::findContours(mask.clone(), contours, cv::RETR_EXTERNAL, cv::CHAIN_APPROX_NONE);
    if (contours.empty()) return "nothing";
    const auto& c = *std::max_element(contours.begin(), contours.end(),
                                      [](const auto& a, const auto& b) { return cv::contourArea(a) < cv::contourArea(b); });
    const double area = cv::contourArea(c), perimeter = cv::arcLength(c, true);
    if (area < 8 || perimeter <= 0) return "nothing";
    std::vector<cv::Point> poly;
    cv::approxPolyDP(c, poly, 0.04 * perimeter, true);
    const double circularity = 4 * M_PI * area / (perimeter * perimeter);
    if (poly.size() == 3) return "triangle";
    if (poly.size() == 4 && circularity < 0.84) return "square";
    if (circularity > 0.75) return "circle";
    return poly.size() == 4 ? "square" : "blob";
}

} // namespace

Adherence checkObject(const uint8_t* frames, int64_t count, int width, int height, const ObjectDescription& o, int tolerance,
                      int minPixels) {
    Adherence r;
    const auto track = trackColour(frames, count, width, height, o.rgb, tolerance, minPixels);
    int64_t present = 0;
    for (const auto& p : track) present += p.has_value();
    r.colour = count > 0 && present >= int64_t(std::ceil(0.6 * double(count)));

    // Outline on the frame where the colour covers the most pixels (least occluded).
    const cv::Scalar lo(std::max(0, o.rgb[0] - tolerance), std::max(0, o.rgb[1] - tolerance), std::max(0, o.rgb[2] - tolerance));
    const cv::Scalar hi(std::min(255, o.rgb[0] + tolerance), std::min(255, o.rgb[1] + tolerance), std::min(255, o.rgb[2] + tolerance));
    cv::Mat best, mask;
    int bestCount = 0;
    for (int64_t f = 0; f < count; f += std::max<int64_t>(1, count / 16)) {
        const cv::Mat frame(height, width, CV_8UC3, const_cast<uint8_t*>(frames + size_t(f) * width * height * 3));
        cv::inRange(frame, lo, hi, mask);
        const int n = cv::countNonZero(mask);
        if (n > bestCount) bestCount = n, best = mask.clone();
    }
    r.seenShape = best.empty() ? "nothing" : classifyOutline(best);
    r.shape = r.seenShape == shapeWord(o.shape);

    // Motion from the track: landings (stops moving down), horizontal travel, vertical travel.
    int landings = 0;
    float minX = 1e9f, maxX = -1e9f, minY = 1e9f, maxY = -1e9f;
    for (size_t f = 0; f < track.size(); ++f) {
        if (!track[f]) continue;
        minX = std::min(minX, track[f]->first), maxX = std::max(maxX, track[f]->first);
        minY = std::min(minY, track[f]->second), maxY = std::max(maxY, track[f]->second);
    }
    for (int64_t f : motionImpactFrames(track)) // vertical events only: it was moving down into frame f
        if (f >= 1 && track[size_t(f)] && track[size_t(f) - 1] && track[size_t(f)]->second - track[size_t(f) - 1]->second > 1.5f) ++landings;
    const bool travelsAcross = maxX - minX > 0.2f * width && maxY - minY < 0.1f * height;
    if (travelsAcross) r.seenMotion = "slide";
    else if (landings >= 2) r.seenMotion = "bounce";
    else if (landings == 1 && maxY - minY > 0.2f * height) r.seenMotion = "fall";
    else r.seenMotion = "still";
    r.motion = r.seenMotion == motionWord(o.motion);
    return r;
}

} // namespace tandem::render
