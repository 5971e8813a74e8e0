#include "render/adherence.h"

#include "render/colour_mask.h"
#include "render/sync_metrics.h"

#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <cmath>
#include <map>

namespace tandem::render {

namespace {

const char* shapeWord(ShapeKind s) { return s == ShapeKind::Circle ? "circle" : s == ShapeKind::Square ? "square" : "triangle"; }
const char* motionWord(MotionKind m) { return m == MotionKind::Bounce ? "bounce" : m == MotionKind::Fall ? "fall" : "slide"; }

// The outline of the largest blob by how much of its bounding box it fills: a square all of it, a circle
// π/4 of it, a triangle half — measured on the world's small shapes after the mask's opening (which blunts
// a triangle's apex): square 0.97–1.0, circle 0.78–0.80, triangle 0.63–0.67. The thresholds sit between.
constexpr double kSquareFill = 0.89, kTriangleFill = 0.72;
constexpr int kMinBlobPixels = 12;

struct Blob {
    int area = 0;
    int secondArea = 0; // the next largest blob of the colour: a copy when it is large too
    double fill = 0;
    bool touchesEdge = false;
};

// The largest blob of `mask`; `touches` is set when it comes within two pixels of `near`.
Blob largestBlob(const cv::Mat& mask, const cv::Mat& near, bool& touches) {
    cv::Mat labels, stats, centroids;
    const int n = cv::connectedComponentsWithStats(mask, labels, stats, centroids, 8);
    Blob best;
    int label = 0;
    for (int i = 1; i < n; ++i) {
        const int area = stats.at<int>(i, cv::CC_STAT_AREA);
        if (area <= best.area) {
            best.secondArea = std::max(best.secondArea, area);
            continue;
        }
        best.secondArea = best.area;
        const int x = stats.at<int>(i, cv::CC_STAT_LEFT), y = stats.at<int>(i, cv::CC_STAT_TOP);
        const int w = stats.at<int>(i, cv::CC_STAT_WIDTH), h = stats.at<int>(i, cv::CC_STAT_HEIGHT);
        best.area = area;
        best.fill = double(area) / double(w * h);
        best.touchesEdge = x == 0 || y == 0 || x + w == mask.cols || y + h == mask.rows;
        label = i;
    }
    touches = false;
    if (label > 0 && !near.empty()) {
        static const cv::Mat kernel = cv::getStructuringElement(cv::MORPH_RECT, {5, 5});
        cv::Mat blob = labels == label, grown;
        cv::dilate(blob, grown, kernel);
        touches = cv::countNonZero(grown & near) > 0;
    }
    return best;
}

const char* outlineOf(const Blob& b) {
    if (b.area < kMinBlobPixels) return "nothing";
    return b.fill >= kSquareFill ? "square" : b.fill >= kTriangleFill ? "circle" : "triangle";
}

// Occlusion (by another object, the face) and the frame's edges cut outlines: only frames where the blob is
// whole — at least kWholeFraction of the largest area seen, off the edges — vote.
constexpr double kWholeFraction = 0.85;

// Also gives `copyFrames`: of the frames the colour shows on, the share where a second blob is sizeable
// (kCopyArea of the largest, and kMinBlobPixels).
std::string classifyShape(const uint8_t* frames, int64_t count, int width, int height, const uint8_t rgb[3],
                          const std::vector<std::array<uint8_t, 3>>& others, int tolerance, double& copyFrames) {
    std::vector<Blob> blobs;
    std::vector<bool> touching;
    int largest = 0;
    for (int64_t f = 0; f < count; ++f) {
        const cv::Mat frame = frameMat(frames, f, width, height);
        cv::Mat near = rawColourMask(frame, kSkinRgb, tolerance);
        for (const auto& o : others) near |= objectColourMask(frame, o.data(), tolerance);
        bool touches = false;
        blobs.push_back(largestBlob(objectColourMask(frame, rgb, tolerance), near, touches));
        touching.push_back(touches);
        if (!blobs.back().touchesEdge && !touches) largest = std::max(largest, blobs.back().area);
    }
    int seen = 0, withCopy = 0;
    for (const Blob& b : blobs) {
        if (b.area < kMinBlobPixels) continue;
        ++seen;
        withCopy += b.secondArea >= kMinBlobPixels && b.secondArea >= kCopyArea * b.area;
    }
    copyFrames = seen ? double(withCopy) / seen : 0;
    std::map<std::string, int> votes;
    for (size_t f = 0; f < blobs.size(); ++f) {
        const Blob& b = blobs[f];
        if (!b.touchesEdge && !touching[f] && b.area >= kMinBlobPixels && b.area >= kWholeFraction * largest) ++votes[outlineOf(b)];
    }
    if (votes.empty()) return std::count(touching.begin(), touching.end(), true) > 0 ? "hidden" : "nothing";
    return std::max_element(votes.begin(), votes.end(), [](const auto& a, const auto& b) { return a.second < b.second; })->first;
}

// The track over the whole clip: a slide keeps its height and travels across; a fall comes down and stays;
// a bounce comes down and rises again. Fractions are of the frame's size.
constexpr double kSlideMaxRise = 0.08, kSlideMinTravel = 0.15; // of height, of width
constexpr double kMinDescent = 0.15, kBounceMinRise = 0.08;     // of height

std::string classifyMotion(const std::vector<std::optional<std::pair<float, float>>>& track, int width, int height) {
    float minX = 1e9f, maxX = -1e9f, minY = 1e9f, maxY = -1e9f, lowest = -1e9f;
    double rise = 0; // largest climb after a lower point: y grows downwards
    for (const auto& p : track) {
        if (!p) continue;
        minX = std::min(minX, p->first), maxX = std::max(maxX, p->first);
        minY = std::min(minY, p->second), maxY = std::max(maxY, p->second);
        lowest = std::max(lowest, p->second);
        rise = std::max(rise, double(lowest - p->second));
    }
    if (maxX < minX) return "nothing";
    if (maxY - minY < kSlideMaxRise * height && maxX - minX > kSlideMinTravel * width) return "slide";
    if (maxY - minY < kMinDescent * height) return "still";
    return rise >= kBounceMinRise * height ? "bounce" : "fall";
}

} // namespace

Adherence checkObject(const uint8_t* frames, int64_t count, int width, int height, const ObjectDescription& o,
                      const std::vector<std::array<uint8_t, 3>>& others, int tolerance, int minPixels) {
    Adherence r;
    const auto track = trackColour(frames, count, width, height, o.rgb, tolerance, minPixels);
    int64_t present = 0;
    for (const auto& p : track) present += p.has_value();
    r.colour = count > 0 && present >= int64_t(std::ceil(kColourFrames * double(count)));
    r.colourFrames = count > 0 ? double(present) / double(count) : 0;
    r.seenShape = classifyShape(frames, count, width, height, o.rgb, others, tolerance, r.copyFrames);
    r.hidden = r.seenShape == "hidden";
    r.shape = r.seenShape == shapeWord(o.shape);
    r.copies = r.copyFrames >= kCopyFrames;
    r.seenMotion = classifyMotion(track, width, height);
    r.motion = r.seenMotion == motionWord(o.motion);
    return r;
}

namespace {

int medianOf(std::vector<int> v) {
    if (v.empty()) return 0;
    std::nth_element(v.begin(), v.begin() + long(v.size() / 2), v.end());
    return v[v.size() / 2];
}

// Thin grey streaks: grey, bright, and brighter by kStreakContrast than the pixels two to the left and right.
int rainPixels(const cv::Mat& frame, int wallRows) {
    constexpr int kStreakContrast = 40, kMinBrightness = 150, kMaxGreySpread = 40;
    int n = 0;
    for (int y = 0; y < wallRows; ++y) {
        const auto* row = frame.ptr<cv::Vec3b>(y);
        for (int x = 2; x + 2 < frame.cols; ++x) {
            const cv::Vec3b p = row[x];
            const int lo = std::min({p[0], p[1], p[2]}), hi = std::max({p[0], p[1], p[2]});
            if (lo < kMinBrightness || hi - lo > kMaxGreySpread) continue;
            const auto luma = [](const cv::Vec3b& q) { return (int(q[0]) + q[1] + q[2]) / 3; };
            if (luma(p) - luma(row[x - 2]) >= kStreakContrast && luma(p) - luma(row[x + 2]) >= kStreakContrast) ++n;
        }
    }
    return n;
}

// Thin blades of grass-green just above the floor: the grass colour's pixels that a 3×3 opening removes.
int windPixels(const cv::Mat& frame) {
    constexpr int kGrassTolerance = 28; // tighter than objects': a green object is not grass
    static const cv::Mat kernel = cv::getStructuringElement(cv::MORPH_RECT, {3, 3});
    const cv::Rect band(0, int(0.68 * frame.rows), frame.cols, int(0.2 * frame.rows));
    cv::Mat mask = rawColourMask(frame(band), kGrassRgb, kGrassTolerance), opened;
    cv::morphologyEx(mask, opened, cv::MORPH_OPEN, kernel);
    return cv::countNonZero(mask - opened);
}

} // namespace

SceneSeen seeScene(const uint8_t* frames, int64_t count, int width, int height) {
    SceneSeen s;
    if (count <= 0) return s;
    const int wallRows = int(0.8 * height);
    std::vector<int> rain, wind, face, channel[3];
    for (int64_t f = 0; f < count; ++f) {
        const cv::Mat frame = frameMat(frames, f, width, height);
        rain.push_back(rainPixels(frame, wallRows));
        wind.push_back(windPixels(frame));
        face.push_back(cv::countNonZero(rawColourMask(frame, kSkinRgb, 40)));
        if (f % 4) continue;
        for (int c = 0; c < 3; ++c) {
            std::vector<int> v;
            for (int y = 0; y < wallRows; ++y)
                for (int x = 0; x < width; ++x) v.push_back(frame.at<cv::Vec3b>(y, x)[c]);
            channel[c].push_back(medianOf(std::move(v)));
        }
    }
    for (int c = 0; c < 3; ++c) s.backdrop[size_t(c)] = uint8_t(medianOf(channel[c]));
    const double pixels = double(width) * height;
    s.rainPixels = medianOf(rain), s.windPixels = medianOf(wind), s.facePixels = medianOf(face);
    s.rain = s.rainPixels >= kRainPixelFraction * pixels;
    s.wind = s.windPixels >= kWindPixelFraction * pixels;
    s.face = s.facePixels >= kFacePixelFraction * pixels;
    return s;
}

int nearestHue(const std::array<uint8_t, 3>& rgb, const std::vector<std::array<uint8_t, 3>>& colours) {
    const double norm = std::sqrt(double(rgb[0]) * rgb[0] + double(rgb[1]) * rgb[1] + double(rgb[2]) * rgb[2]);
    if (norm < 1) return -1;
    int best = -1;
    double bestCos = -2;
    for (size_t i = 0; i < colours.size(); ++i) {
        const auto& c = colours[i];
        const double n = std::sqrt(double(c[0]) * c[0] + double(c[1]) * c[1] + double(c[2]) * c[2]);
        const double cosine = (double(rgb[0]) * c[0] + double(rgb[1]) * c[1] + double(rgb[2]) * c[2]) / (norm * std::max(1.0, n));
        if (cosine > bestCos) bestCos = cosine, best = int(i);
    }
    return best;
}

} // namespace tandem::render
