#include "render/shot_faces.h"

#include "render/sync_metrics.h"

#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <cmath>

namespace tandem::render {

namespace {

// The cascades look at frames this tall at most: a face worth measuring (a sixth of the height) is 40 rows.
constexpr int kDetectHeight = 200;
// The smallest face looked for, in detection pixels.
constexpr int kMinFacePixels = 24;
// The whole frame is searched every this many looks; in between only around the faces being followed.
constexpr int kWholeFrameEveryLooks = 8;
// After this many empty whole-frame searches in a shot without faces, only one look in kBackoffLooks
// searches.
constexpr int kMissesBeforeBackoff = 4, kBackoffLooks = 4;
// Cut detection compares colour histograms of frames scaled to this size.
const cv::Size kHistogramPicture(160, 90);
// Near a followed face, faces from its size divided by this to its size times this are looked for.
constexpr double kNearSizeRange = 1.4;
// The cascades' search: scale step and how many neighbouring hits make a face (fewer: more false faces).
constexpr double kScaleStep = 1.15;
constexpr int kMinNeighbours = 4;
// Boxes between detections: Gaussian weights over the detections, this many looks wide.
constexpr double kBoxSmoothingLooks = 2.0;
// Two boxes overlapping more than this (intersection over union) are the same face.
constexpr double kSameFaceOverlap = 0.25;
// A face not found on this many looks in a row has left (turned away, walked out, covered).
constexpr int kLooksBeforeLost = 3;
// Mouth crops are compared at this size: enough for lips, small enough to be cheap and to ignore grain.
const cv::Size kMouthCrop(32, 16);

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
    // The histogram of a fixed small picture: as steady for a 160×120 webcam as for 1080p, and cheap.
    cv::Mat tiny, hsv, hist;
    cv::resize(rgb, tiny, kHistogramPicture, 0, 0, cv::INTER_AREA);
    cv::cvtColor(tiny, hsv, cv::COLOR_RGB2HSV);
    const int channels[] = {0, 1}, bins[] = {16, 16};
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
    // Faces are looked for as the frames arrive: the cascades run while the decoder fills the queue.
    if ((frame_ - shotStart_) % kDetectEveryFrames == 0) look(grey, rgb);
}

std::vector<cv::Rect> ShotFaces::cascade(const cv::Mat& picture, const cv::Rect& area, Finder finder,
                                         int faceSize) const {
    const cv::Mat part = picture(area);
    // Near a known face only faces of about its size are looked for: a few scales, a fraction of the work.
    const bool whole = faceSize <= 0;
    const int smallest = whole ? kMinFacePixels : std::max(kMinFacePixels, int(faceSize / kNearSizeRange));
    const int largest = whole ? 0 : std::min({int(faceSize * kNearSizeRange), area.width, area.height});
    const cv::Size minSize(smallest, smallest), maxSize(largest, largest);
    // const_cast: detectMultiScale is not const, but leaves the cascade as it was.
    auto& classifier = const_cast<cv::CascadeClassifier&>(finder == Finder::Profile ? profile_ : frontal_);
    std::vector<cv::Rect> boxes, mirroredBoxes;
    if (classifier.empty()) return boxes;
    classifier.detectMultiScale(part, boxes, kScaleStep, kMinNeighbours, 0, minSize, maxSize);
    if (finder ==
        Finder::Profile) { // the cascade knows faces turned one way: the mirror image finds the other
        cv::Mat mirrored;
        cv::flip(part, mirrored, 1);
        classifier.detectMultiScale(mirrored, mirroredBoxes, kScaleStep, kMinNeighbours, 0, minSize, maxSize);
        for (const cv::Rect& b : mirroredBoxes)
            boxes.emplace_back(part.cols - b.x - b.width, b.y, b.width, b.height);
    }
    for (cv::Rect& b : boxes)
        b += area.tl();
    return boxes;
}

std::vector<ShotFaces::Detection> ShotFaces::detect(const cv::Mat& grey, const cv::Mat& rgb,
                                                    const std::vector<Detection>& near, bool whole) const {
    const double scale = std::min(1.0, double(kDetectHeight) / grey.rows);
    cv::Mat small;
    if (scale < 1)
        cv::resize(grey, small, cv::Size(), scale, scale, cv::INTER_AREA);
    else
        small = grey.clone();
    cv::equalizeHist(small, small); // film lighting: faces in shadow still show the cascade's contrasts
    const cv::Rect frame(0, 0, small.cols, small.rows);
    std::vector<Detection> found;
    auto add = [&](const std::vector<cv::Rect>& boxes, Finder finder) {
        for (const cv::Rect& b : boxes)
            found.push_back(
                {0, cv::Rect(int(b.x / scale), int(b.y / scale), int(b.width / scale), int(b.height / scale)),
                 finder});
    };
    if (whole) {
        add(cascade(small, frame, Finder::Frontal, 0), Finder::Frontal);
        add(cascade(small, frame, Finder::Profile, 0), Finder::Profile);
    } else {
        // Around each face followed (twice its size), with the cascade that found it last; the other one
        // when that misses (the head turned).
        for (const Detection& f : near) {
            if (f.finder == Finder::Drawn) continue;
            const cv::Rect s(int(f.box.x * scale), int(f.box.y * scale), int(f.box.width * scale),
                             int(f.box.height * scale));
            const cv::Rect area =
                cv::Rect(s.x - s.width / 2, s.y - s.height / 2, s.width * 2, s.height * 2) & frame;
            if (area.width < kMinFacePixels || area.height < kMinFacePixels) continue;
            const Finder other = f.finder == Finder::Frontal ? Finder::Profile : Finder::Frontal;
            std::vector<cv::Rect> boxes = cascade(small, area, f.finder, s.height);
            if (!boxes.empty())
                add(boxes, f.finder);
            else
                add(cascade(small, area, other, s.height), other);
        }
    }
    // Drawn faces (the demo world's) the cascades do not fire on: by their skin colour, which is cheap.
    const bool followingDrawn =
        std::any_of(near.begin(), near.end(), [](const Detection& d) { return d.finder == Finder::Drawn; });
    if ((found.empty() && whole) || followingDrawn)
        if (auto drawn = drawnFace(rgb)) found.push_back({0, *drawn, Finder::Drawn});
    // One box per face: the largest of those that overlap (frontal and profile often both fire).
    std::sort(found.begin(), found.end(),
              [](const Detection& a, const Detection& b) { return a.box.area() > b.box.area(); });
    std::vector<Detection> kept;
    for (const Detection& f : found) {
        const bool duplicate = std::any_of(kept.begin(), kept.end(), [&](const Detection& k) {
            return overlap(f.box, k.box) > kSameFaceOverlap || k.box.contains((f.box.tl() + f.box.br()) / 2);
        });
        if (!duplicate) kept.push_back(f);
    }
    return kept;
}

void ShotFaces::look(const cv::Mat& grey, const cv::Mat& rgb) {
    // The faces being followed: seen within the last few looks.
    std::vector<Detection> near;
    for (const auto& t : tracks_)
        if (frame_ - t.back().frame <= kLooksBeforeLost * kDetectEveryFrames) near.push_back(t.back());
    // The whole frame every few looks (a face that walks in, or turns to the camera, is found within half a
    // second); in between only around the faces followed. In a shot with no face yet, after a few empty
    // searches one look in kBackoffLooks, so faceless footage does not pay for searches all along.
    bool whole = looks_++ % kWholeFrameEveryLooks == 0;
    if (near.empty()) {
        whole = misses_ < kMissesBeforeBackoff || misses_ % kBackoffLooks == 0;
        if (!whole) {
            ++misses_;
            return;
        }
    }
    const std::vector<Detection> found = detect(grey, rgb, near, whole);
    if (near.empty()) misses_ = found.empty() ? misses_ + 1 : 0;
    std::vector<bool> taken(tracks_.size(), false);
    for (Detection d : found) {
        d.frame = frame_;
        int best = -1;
        double bestOverlap = kSameFaceOverlap;
        for (size_t i = 0; i < tracks_.size(); ++i) {
            const Detection& last = tracks_[i].back();
            // A face missing for several looks has left; one found there later is a new track.
            if (taken[i] || frame_ - last.frame > kLooksBeforeLost * kDetectEveryFrames) continue;
            const double o = overlap(d.box, last.box);
            if (o > bestOverlap) best = int(i), bestOverlap = o;
        }
        if (best < 0) {
            tracks_.emplace_back();
            taken.push_back(false);
            best = int(tracks_.size()) - 1;
        }
        taken[size_t(best)] = true;
        tracks_[size_t(best)].push_back(d);
    }
}

FaceTrack ShotFaces::measureFace(const std::vector<Detection>& detections) const {
    FaceTrack t;
    const int64_t shotEnd = shotStart_ + int64_t(grey_.size());
    // The face is taken to be there from half a look before its first detection to half a look after its
    // last.
    t.first = std::max(shotStart_, detections.front().frame - kDetectEveryFrames / 2);
    const int64_t end = std::min(shotEnd, detections.back().frame + kDetectEveryFrames / 2 + 1);
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
    t.mouths.assign(n, {});
    for (size_t i = 0; i < n; ++i) {
        const cv::Rect& m = mouths[i];
        if (m.width < 4 || m.height < 4) continue;
        const int64_t f = t.first + int64_t(i);
        const cv::Mat& grey = grey_[size_t(f - shotStart_)];
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

// A face the cascades missed for a few looks comes back as a new track; where one track ends and a later
// one begins in the same place, they are the same face.
void ShotFaces::joinBrokenTracks() {
    std::sort(tracks_.begin(), tracks_.end(),
              [](const auto& a, const auto& b) { return a.front().frame < b.front().frame; });
    for (size_t i = 0; i < tracks_.size(); ++i)
        for (size_t j = i + 1; j < tracks_.size();) {
            const Detection &end = tracks_[i].back(), &start = tracks_[j].front();
            if (start.frame > end.frame && overlap(start.box, end.box) > kSameFaceOverlap) {
                tracks_[i].insert(tracks_[i].end(), tracks_[j].begin(), tracks_[j].end());
                tracks_.erase(tracks_.begin() + long(j));
            } else {
                ++j;
            }
        }
}

void ShotFaces::closeShot() {
    if (grey_.empty()) return;
    Shot shot;
    shot.start = shotStart_;
    shot.end = shotStart_ + int64_t(grey_.size());
    joinBrokenTracks();
    for (const auto& detections : tracks_) {
        // One find in a shot long enough for several is a false one (a pattern in the wallpaper).
        if (detections.size() < 2 && shot.end - shot.start >= 2 * kDetectEveryFrames) continue;
        shot.faces.push_back(measureFace(detections));
    }
    shots_.push_back(std::move(shot));
    grey_.clear();
    tracks_.clear();
    looks_ = misses_ = 0;
}

std::vector<Shot> ShotFaces::finish() {
    closeShot();
    return std::move(shots_);
}

} // namespace tandem::render
