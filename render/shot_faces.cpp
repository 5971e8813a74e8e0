#include "render/shot_faces.h"

#include "render/sync_metrics.h"

#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <cmath>

namespace tandem::render {

namespace {

// The cascades look at frames this tall at most: a face worth measuring (a sixth of the height) is 40 rows.
constexpr int kDetectHeight = 240;
// The smallest face looked for, in detection pixels.
constexpr int kMinFacePixels = 24;
// The cascades' search: scale step and how many neighbouring hits make a face (fewer: more false faces).
constexpr double kScaleStep = 1.1;
constexpr int kMinNeighbours = 4;
// Boxes between detections: Gaussian weights over the detections, this many looks wide.
constexpr double kBoxSmoothingLooks = 2.0;
// Two boxes overlapping more than this (intersection over union) are the same face.
constexpr double kSameFaceOverlap = 0.25;
// A face not found on this many looks in a row has left (turned away, walked out, covered).
constexpr int kLooksBeforeLost = 3;
// Mouth crops are compared at this size: enough for lips, small enough to be cheap and to ignore grain.
const cv::Size kMouthCrop(32, 16);
// A pixel belongs to the open mouth when it is this much darker than the mouth region's median.
constexpr double kDarkRatio = 0.6;

double overlap(const cv::Rect& a, const cv::Rect& b) {
    const double inter = (a & b).area();
    return inter / double(a.area() + b.area() - inter);
}

// The mouth: the lower part of the face box, across its middle.
cv::Rect mouthRegion(const cv::Rect& face, const cv::Size& frame) {
    const cv::Rect r(face.x + face.width / 5, face.y + face.height * 60 / 100, face.width * 3 / 5,
                     face.height * 40 / 100);
    return r & cv::Rect(0, 0, frame.width, frame.height);
}

cv::Mat mouthCrop(const cv::Mat& grey, const cv::Rect& mouth) {
    cv::Mat crop;
    cv::resize(grey(mouth), crop, kMouthCrop, 0, 0, cv::INTER_AREA);
    return crop;
}

float openness(const cv::Mat& grey, const cv::Rect& mouth) {
    cv::Mat region = grey(mouth).clone();
    std::vector<uint8_t> values(region.begin<uint8_t>(), region.end<uint8_t>());
    std::nth_element(values.begin(), values.begin() + long(values.size() / 2), values.end());
    const double threshold = values[values.size() / 2] * kDarkRatio;
    return float(cv::countNonZero(region < threshold)) / float(mouth.area());
}

// The demo world's faces: the largest blob of their skin colour, if big enough to have a mouth to read.
std::optional<cv::Rect> drawnFace(const cv::Mat& rgb) {
    cv::Mat mask;
    const int t = 40;
    cv::inRange(rgb, cv::Scalar(kSkinRgb[0] - t, kSkinRgb[1] - t, kSkinRgb[2] - t),
                cv::Scalar(std::min(255, kSkinRgb[0] + t), std::min(255, kSkinRgb[1] + t),
                           std::min(255, kSkinRgb[2] + t)),
                mask);
    std::vector<std::vector<cv::Point>> contours;
    cv::findContours(mask, contours, cv::RETR_EXTERNAL, cv::CHAIN_APPROX_SIMPLE);
    if (contours.empty()) return std::nullopt;
    const auto biggest = std::max_element(contours.begin(), contours.end(), [](const auto& a, const auto& b) {
        return cv::contourArea(a) < cv::contourArea(b);
    });
    const cv::Rect box = cv::boundingRect(*biggest);
    if (box.height < std::max(12, rgb.rows / 12)) return std::nullopt;
    return box;
}

} // namespace

ShotFaces::ShotFaces(double fps)
    : maxShotFrames_(std::max<int64_t>(kMinShotFrames, int64_t(kMaxShotSeconds * fps))) {
    frontal_.load(std::string(TANDEM_HAAR_DIR) + "/haarcascade_frontalface_default.xml");
    profile_.load(std::string(TANDEM_HAAR_DIR) + "/haarcascade_profileface.xml");
}

bool ShotFaces::isCut(const cv::Mat& rgb) {
    cv::Mat hsv, hist;
    cv::cvtColor(rgb, hsv, cv::COLOR_RGB2HSV);
    const int channels[] = {0, 1}, bins[] = {32, 32};
    const float hue[] = {0, 180}, saturation[] = {0, 256};
    const float* ranges[] = {hue, saturation};
    cv::calcHist(&hsv, 1, channels, cv::Mat(), hist, 2, bins, ranges);
    cv::normalize(hist, hist, 1, 0, cv::NORM_L1);
    const bool cut = !previousHist_.empty() &&
                     cv::compareHist(previousHist_, hist, cv::HISTCMP_BHATTACHARYYA) > kCutDistance;
    previousHist_ = hist;
    return cut;
}

void ShotFaces::add(const cv::Mat& grey, const cv::Mat& rgb) {
    ++frame_;
    const int64_t length = frame_ - shotStart_;
    if ((isCut(rgb) && length >= kMinShotFrames) || length >= maxShotFrames_) {
        closeShot();
        shotStart_ = frame_;
    }
    grey_.push_back(grey.clone());
    if ((frame_ - shotStart_) % kDetectEveryFrames == 0) colour_.emplace_back(frame_, rgb.clone());
}

std::vector<std::pair<cv::Rect, bool>> ShotFaces::detect(const cv::Mat& grey, const cv::Mat& rgb) const {
    const double scale = std::min(1.0, double(kDetectHeight) / grey.rows);
    cv::Mat small;
    if (scale < 1)
        cv::resize(grey, small, cv::Size(), scale, scale, cv::INTER_AREA);
    else
        small = grey.clone();
    cv::equalizeHist(small, small); // film lighting: faces in shadow still show the cascade's contrasts
    std::vector<std::pair<cv::Rect, bool>> found;
    const cv::Size minSize(kMinFacePixels, kMinFacePixels);
    std::vector<cv::Rect> boxes;
    // const_cast: detectMultiScale is not const, but leaves the cascade as it was.
    auto& frontal = const_cast<cv::CascadeClassifier&>(frontal_);
    auto& profile = const_cast<cv::CascadeClassifier&>(profile_);
    frontal.detectMultiScale(small, boxes, kScaleStep, kMinNeighbours, 0, minSize);
    for (const auto& b : boxes)
        found.emplace_back(b, false);
    if (!profile.empty()) {
        profile.detectMultiScale(small, boxes, kScaleStep, kMinNeighbours, 0, minSize);
        for (const auto& b : boxes)
            found.emplace_back(b, true);
        cv::Mat mirrored;
        cv::flip(small, mirrored, 1);
        profile.detectMultiScale(mirrored, boxes, kScaleStep, kMinNeighbours, 0, minSize);
        for (const auto& b : boxes)
            found.emplace_back(cv::Rect(small.cols - b.x - b.width, b.y, b.width, b.height), true);
    }
    for (auto& f : found) {
        const cv::Rect& b = f.first;
        f.first = cv::Rect(int(b.x / scale), int(b.y / scale), int(b.width / scale), int(b.height / scale));
    }
    if (found.empty())
        if (auto drawn = drawnFace(rgb)) found.emplace_back(*drawn, false);
    // One box per face: the largest of those that overlap (frontal and profile often both fire).
    std::sort(found.begin(), found.end(),
              [](const auto& a, const auto& b) { return a.first.area() > b.first.area(); });
    std::vector<std::pair<cv::Rect, bool>> kept;
    for (const auto& f : found) {
        const bool duplicate = std::any_of(kept.begin(), kept.end(), [&](const auto& k) {
            return overlap(f.first, k.first) > kSameFaceOverlap ||
                   k.first.contains((f.first.tl() + f.first.br()) / 2);
        });
        if (!duplicate) kept.push_back(f);
    }
    return kept;
}

std::vector<std::vector<ShotFaces::Detection>> ShotFaces::trackFaces() {
    std::vector<std::vector<Detection>> tracks;
    for (const auto& [frame, rgb] : colour_) {
        const cv::Mat& grey = grey_[size_t(frame - shotStart_)];
        std::vector<bool> taken(tracks.size(), false);
        for (const auto& [box, profile] : detect(grey, rgb)) {
            int best = -1;
            double bestOverlap = kSameFaceOverlap;
            for (size_t i = 0; i < tracks.size(); ++i) {
                const Detection& last = tracks[i].back();
                // A face missing for several looks has left; one found there later is a new track.
                if (taken[i] || frame - last.frame > kLooksBeforeLost * kDetectEveryFrames) continue;
                const double o = overlap(box, last.box);
                if (o > bestOverlap) best = int(i), bestOverlap = o;
            }
            if (best < 0) {
                tracks.emplace_back();
                taken.push_back(false);
                best = int(tracks.size()) - 1;
            }
            taken[size_t(best)] = true;
            tracks[size_t(best)].push_back({frame, box, profile});
        }
    }
    return tracks;
}

FaceTrack ShotFaces::measureFace(const std::vector<Detection>& detections) const {
    FaceTrack t;
    const int64_t shotEnd = shotStart_ + int64_t(grey_.size());
    // The face is taken to be there from half a look before its first detection to half a look after its
    // last.
    t.first = std::max(shotStart_, detections.front().frame - kDetectEveryFrames / 2);
    const int64_t end = std::min(shotEnd, detections.back().frame + kDetectEveryFrames / 2 + 1);
    t.detections = int(detections.size());
    t.profile = 2 * std::count_if(detections.begin(), detections.end(),
                                  [](const Detection& d) { return d.profile; }) >
                long(detections.size());
    const cv::Size size = grey_.front().size();
    std::vector<cv::Rect> mouths;
    for (int64_t f = t.first; f < end; ++f) {
        // The detections' boxes averaged with Gaussian weights by their distance in time (σ ≈ 1.4 looks).
        double x = 0, y = 0, w = 0, h = 0, sum = 0;
        for (const Detection& d : detections) {
            const double z = double(d.frame - f) / (kBoxSmoothingLooks * kDetectEveryFrames);
            const double weight = std::exp(-z * z);
            x += weight * d.box.x, y += weight * d.box.y, w += weight * d.box.width,
                h += weight * d.box.height, sum += weight;
        }
        const cv::Rect face(int(x / sum), int(y / sum), int(w / sum), int(h / sum));
        mouths.push_back(mouthRegion(face, size));
    }
    const auto n = size_t(end - t.first);
    t.motion.assign(n, 0.f);
    t.openness.assign(n, 0.f);
    t.mouths.assign(n, {});
    for (size_t i = 0; i < n; ++i) {
        const cv::Rect& m = mouths[i];
        if (m.width < 4 || m.height < 4) continue;
        const int64_t f = t.first + int64_t(i);
        const cv::Mat& grey = grey_[size_t(f - shotStart_)];
        t.openness[i] = openness(grey, m);
        t.mouths[i] = {m.x, m.y, m.width, m.height};
        if (f - 1 >= shotStart_ && f + 1 < shotEnd) {
            const cv::Mat before = mouthCrop(grey_[size_t(f - 1 - shotStart_)], m), now = mouthCrop(grey, m),
                          after = mouthCrop(grey_[size_t(f + 1 - shotStart_)], m);
            t.motion[i] = float((cv::norm(now, before, cv::NORM_L1) + cv::norm(after, now, cv::NORM_L1)) /
                                (2.0 * kMouthCrop.area()));
        }
    }
    return t;
}

void ShotFaces::closeShot() {
    if (grey_.empty()) return;
    Shot shot;
    shot.start = shotStart_;
    shot.end = shotStart_ + int64_t(grey_.size());
    for (const auto& detections : trackFaces()) {
        // One find in a shot long enough for several is a false one (a pattern in the wallpaper).
        if (detections.size() < 2 && shot.end - shot.start >= 2 * kDetectEveryFrames) continue;
        shot.faces.push_back(measureFace(detections));
    }
    shots_.push_back(std::move(shot));
    grey_.clear();
    colour_.clear();
}

std::vector<Shot> ShotFaces::finish() {
    closeShot();
    return std::move(shots_);
}

} // namespace tandem::render
