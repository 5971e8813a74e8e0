// Design note: the picture side of lip-sync on edited footage — where the shots are and which faces each
// one holds, with a mouth signal per face per frame.
//   Cuts: the hue–saturation histogram of each frame against the frame before (Bhattacharyya distance); a
//   jump above kCutDistance is a cut. Pictures within one shot change their colours slowly (a pan, a face
//   turning); a cut replaces them. Shots shorter than kMinShotFrames merge into the one before (a flash, a
//   frame of a dissolve).
//   Faces: OpenCV's Haar cascades, frontal and profile (the profile one, and on the mirrored frame for the
//   other side), every kDetectEveryFrames frames; detections are tied into tracks by overlap, so two people
//   in one shot are two tracks. Between detections a face's box is the detections' average weighted by
//   nearness in time (smooth: the cascade's boxes jitter by a few pixels, which would read as mouth
//   motion). Drawn faces the cascades do not fire on (the demo world's) are found by their skin colour.
//   Mouth: the lower part of the box. Per frame, *motion* — the mean absolute difference between the mouth
//   crops of the frames before and after, both cut with this frame's box (centred on the frame) — and
//   *openness* — the share of pixels clearly darker than the region's median (an open mouth's interior).
#pragma once

#include "render/lipsync.h"

#include <opencv2/core.hpp>
#include <opencv2/objdetect.hpp>

#include <cstdint>
#include <optional>
#include <vector>

namespace tandem::render {

// Bhattacharyya distance of consecutive frames' hue–saturation histograms (16 × 16 bins, frames scaled to
// 160 × 90) above which they are two shots. Measured: a film scene's cuts 0.28–0.29, its frames within a
// shot at most 0.07; webcam and screen recordings' frames at most 0.09.
inline constexpr double kCutDistance = 0.2;
// A "shot" shorter than this is a flash or part of a dissolve: it joins the shot before.
inline constexpr int kMinShotFrames = 6;
// Faces are looked for every this many frames (6–8 times a second at film rates).
inline constexpr int kDetectEveryFrames = 4;
// A shot longer than this is analysed in parts of this length (the frames of one part are held in memory).
inline constexpr double kMaxShotSeconds = 10;

struct FaceTrack {
    int64_t first = 0;            // first frame with a box
    std::vector<float> motion;    // per frame from `first` (centred difference; 0 at the ends)
    std::vector<MouthBox> mouths; // per frame from `first`, in the analysis frame's pixels
    int64_t end() const { return first + int64_t(motion.size()); }
};

struct Shot {
    int64_t start = 0, end = 0; // frames [start, end)
    std::vector<FaceTrack> faces;
};

// Fed one frame at a time; each shot is analysed when it ends (at the next cut, after kMaxShotSeconds of
// frames, or at finish()), with its frames at hand: boxes between detections are then interpolated from the
// detections on both sides, so the mouth crop follows the face instead of jumping every few frames.
class ShotFaces {
public:
    explicit ShotFaces(double fps);
    bool ready() const { return !frontal_.empty(); }
    void add(const cv::Mat& grey, const cv::Mat& rgb); // both at the analysis size; they are copied as needed
    std::vector<Shot> finish();

private:
    enum class Finder { Frontal, Profile, Drawn };
    struct Detection {
        int64_t frame = 0;
        cv::Rect box;
        Finder finder = Finder::Frontal;
    };
    bool isCut(const cv::Mat& rgb);
    void closeShot();
    // One look for faces in the current frame; what is found joins the shot's tracks.
    void look(const cv::Mat& grey, const cv::Mat& rgb);
    // Faces in one frame: in the whole of it, or only near the faces in `near`.
    std::vector<Detection> detect(const cv::Mat& grey, const cv::Mat& rgb, const std::vector<Detection>& near,
                                  bool whole) const;
    // One cascade over `area` of the equalised picture (the profile one also on the mirror image): faces of
    // about `faceSize` pixels, or of every size when it is 0.
    std::vector<cv::Rect> cascade(const cv::Mat& picture, const cv::Rect& area, Finder finder,
                                  int faceSize) const;
    void joinBrokenTracks();
    FaceTrack measureFace(const std::vector<Detection>& detections) const;

    cv::CascadeClassifier frontal_, profile_;
    int64_t maxShotFrames_;
    cv::Mat previousHist_;
    std::vector<cv::Mat> grey_;                  // the current shot's frames
    std::vector<std::vector<Detection>> tracks_; // the shot's detections, grouped into faces
    int looks_ = 0, misses_ = 0;
    std::vector<Shot> shots_;
    int64_t frame_ = -1, shotStart_ = 0;
};

} // namespace tandem::render
