#include "render/lipsync.h"

#include "render/media_error.h"
#include "render/sync_metrics.h"
#include "render/video_decoder.h"

#include <opencv2/imgproc.hpp>
#include <opencv2/objdetect.hpp>
#include <opencv2/video/tracking.hpp>

#include <algorithm>
#include <cmath>
#include <condition_variable>
#include <deque>
#include <exception>
#include <mutex>
#include <numeric>
#include <thread>

namespace tandem::render {

const char* syncMethodName(SyncMethod method) {
    switch (method) {
    case SyncMethod::Lips: return "lips";
    case SyncMethod::Impacts: return "impacts";
    case SyncMethod::None: break;
    }
    return "none";
}

namespace {

// Sound is analysed at this rate: the speech band (600–2500 Hz) and impact onsets fit well under its Nyquist.
constexpr int kAnalysisSampleRate = 16000;
// The smallest face the cascade looks for, in detection pixels.
constexpr int kMinFacePixels = 32;
// The cascade looks at frames this tall at most: a face worth measuring (a sixth of the height) is 40 rows there.
constexpr int kDetectHeight = 240;
// Whole-frame motion for impacts is measured on frames this tall: optical flow of the big movements only.
constexpr int kFlowHeight = 64;
// A pixel belongs to the open mouth when it is this much darker than the mouth region's median.
constexpr double kDarkRatio = 0.6;
// Drift is a slope through per-second offsets: it needs this many of them (a 6 s stretch of estimates).
constexpr size_t kMinDriftWindows = 4;
// A signal whose standard deviation is below this (after normalising to its own range) does not move.
constexpr double kMinSignalSpread = 1e-3;

std::vector<float> normalised(std::vector<float> v) {
    if (v.empty()) return v;
    const auto [lo, hi] = std::minmax_element(v.begin(), v.end());
    const float low = *lo, range = *hi - *lo;
    for (float& x : v) x = range > 0 ? (x - low) / range : 0.f;
    return v;
}

double spread(const std::vector<float>& v) {
    if (v.size() < 2) return 0;
    const double mean = std::accumulate(v.begin(), v.end(), 0.0) / double(v.size());
    double var = 0;
    for (float x : v) var += (x - mean) * (x - mean);
    return std::sqrt(var / double(v.size()));
}

// Finds a face now and then and holds it in between. Haar first (real faces); drawn faces the cascade does not
// fire on (the demo world's) are found by their skin colour. The way that found the face last time goes first:
// a drawn face never wakes the cascade, and asking it every pass would cost more than the rest of the analysis.
class FaceFinder {
public:
    FaceFinder() { cascade_.load(std::string(TANDEM_HAAR_DIR) + "/haarcascade_frontalface_default.xml"); }
    bool ready() const { return !cascade_.empty(); }

    void look(const cv::Mat& rgb, const cv::Mat& grey) {
        ++passes_;
        std::optional<cv::Rect> found = drawnFirst_ ? drawnFace(rgb) : haar(grey);
        bool drawn = drawnFirst_;
        if (!found) {
            found = drawnFirst_ ? haar(grey) : drawnFace(rgb);
            drawn = !drawnFirst_;
        }
        if (found) {
            ++found_;
            drawnFirst_ = drawn;
            misses_ = 0;
        } else {
            ++misses_;
        }
        face_ = found;
    }
    // After kMissesBeforeBackoff empty looks in a row, look only every kBackoffLooks-th time: a shot without
    // a face should not pay for a full search several times a second (one a second still catches a face
    // that walks in).
    bool worthLooking() { return misses_ < kMissesBeforeBackoff || ++skipped_ % kBackoffLooks == 0; }
    const std::optional<cv::Rect>& face() const { return face_; }
    double foundFraction() const { return passes_ ? double(found_) / passes_ : 0; }

private:
    // The cascade runs on at most kDetectHeight rows (faces worth measuring are big enough there), near the last
    // face first and on the whole frame when it is not there.
    std::optional<cv::Rect> haar(const cv::Mat& grey) {
        if (cascade_.empty()) return std::nullopt;
        const double scale = std::min(1.0, double(kDetectHeight) / grey.rows);
        cv::Mat small;
        if (scale < 1) cv::resize(grey, small, cv::Size(), scale, scale, cv::INTER_AREA);
        else small = grey;
        const cv::Rect whole(0, 0, small.cols, small.rows);
        std::optional<cv::Rect> found;
        if (face_) {
            const cv::Rect f(int(face_->x * scale), int(face_->y * scale), int(face_->width * scale), int(face_->height * scale));
            const cv::Rect near = cv::Rect(f.x - f.width / 2, f.y - f.height / 2, f.width * 2, f.height * 2) & whole;
            found = largest(small, near);
        }
        if (!found) found = largest(small, whole);
        if (!found) return std::nullopt;
        return cv::Rect(int(found->x / scale), int(found->y / scale), int(found->width / scale), int(found->height / scale));
    }
    std::optional<cv::Rect> largest(const cv::Mat& grey, const cv::Rect& area) {
        std::vector<cv::Rect> faces;
        cascade_.detectMultiScale(grey(area), faces, 1.15, 3, 0, cv::Size(kMinFacePixels, kMinFacePixels));
        if (faces.empty()) return std::nullopt;
        return *std::max_element(faces.begin(), faces.end(), [](const cv::Rect& a, const cv::Rect& b) { return a.area() < b.area(); }) +
               area.tl();
    }
    // The world's faces: the largest blob of their skin colour, if it is big enough to have a mouth to read.
    static std::optional<cv::Rect> drawnFace(const cv::Mat& rgb) {
        cv::Mat mask;
        const int t = 40;
        cv::inRange(rgb, cv::Scalar(kSkinRgb[0] - t, kSkinRgb[1] - t, kSkinRgb[2] - t),
                    cv::Scalar(std::min(255, kSkinRgb[0] + t), std::min(255, kSkinRgb[1] + t), std::min(255, kSkinRgb[2] + t)), mask);
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

    cv::CascadeClassifier cascade_;
    std::optional<cv::Rect> face_;
    static constexpr int kMissesBeforeBackoff = 4, kBackoffLooks = 4;
    bool drawnFirst_ = false;
    int passes_ = 0, found_ = 0, misses_ = 0, skipped_ = 0;
};

// The mouth sits in the lower third of a face box, across its middle half.
cv::Rect mouthRegion(const cv::Rect& face, const cv::Size& frame) {
    const cv::Rect r(face.x + face.width / 4, face.y + face.height * 62 / 100, face.width / 2, face.height * 33 / 100);
    return r & cv::Rect(0, 0, frame.width, frame.height);
}

// Share of the region's pixels clearly darker than its median: the open mouth's interior.
float openness(const cv::Mat& grey, const cv::Rect& mouth) {
    if (mouth.area() <= 0) return 0;
    cv::Mat region = grey(mouth).clone();
    std::vector<uint8_t> values(region.begin<uint8_t>(), region.end<uint8_t>());
    std::nth_element(values.begin(), values.begin() + long(values.size() / 2), values.end());
    const double threshold = values[values.size() / 2] * kDarkRatio;
    return float(cv::countNonZero(region < threshold)) / float(mouth.area());
}

struct Extracted {
    double fps = 0;
    std::vector<float> mouth, mouthMotion, motionChange, speech, onsets;
    std::vector<MouthBox> mouths;
    double faceFraction = 0;
};

// One pass over the pictures: the mouth signals where a face is, and the whole-frame motion change.
// Motion change per frame: how much the optical flow differs from the frame before's (a bounce, a landing, a
// slam). The flows (t−2 → t−1) and (t−1 → t) differ by the change of velocity at frame t − 1: it is put there.
std::vector<float> motionChange(const std::vector<cv::Mat>& frames) {
    std::vector<float> change(frames.size(), 0.f);
    cv::Ptr<cv::DISOpticalFlow> dis = cv::DISOpticalFlow::create(cv::DISOpticalFlow::PRESET_ULTRAFAST);
    cv::Mat flow, previousFlow;
    for (size_t t = 1; t < frames.size(); ++t) {
        dis->calc(frames[t - 1], frames[t], flow);
        if (!previousFlow.empty()) change[t - 1] = float(cv::norm(flow, previousFlow, cv::NORM_L1) / double(flow.total()));
        std::swap(flow, previousFlow);
    }
    return change;
}

// Decoding runs on its own thread, a few frames ahead of the analysis: the two take turns on the cores
// instead of waiting for each other.
class FrameQueue {
public:
    // Every `colourEvery`-th frame comes with colour too (the face finder's frames).
    FrameQueue(VideoDecoder& decoder, int height, int colourEvery)
        : worker_([this, &decoder, height, colourEvery] { produce(decoder, height, colourEvery); }) {}
    ~FrameQueue() {
        {
            std::lock_guard lock(mutex_);
            stopped_ = true;
        }
        changed_.notify_all();
        worker_.join();
    }
    // The next frame; false at the end. Rethrows what the decoder threw.
    bool next(SmallFrame& out) {
        std::unique_lock lock(mutex_);
        changed_.wait(lock, [&] { return !frames_.empty() || done_; });
        if (frames_.empty()) {
            if (error_) std::rethrow_exception(error_);
            return false;
        }
        out = std::move(frames_.front());
        frames_.pop_front();
        changed_.notify_all();
        return true;
    }

private:
    static constexpr size_t kAhead = 8;
    void produce(VideoDecoder& decoder, int height, int colourEvery) {
        try {
            SmallFrame f;
            for (int64_t n = 0; decoder.readNextSmall(f, height, n % colourEvery == 0); ++n) {
                std::unique_lock lock(mutex_);
                changed_.wait(lock, [&] { return frames_.size() < kAhead || stopped_; });
                if (stopped_) break;
                frames_.push_back(std::move(f));
                changed_.notify_all();
            }
        } catch (...) {
            std::lock_guard lock(mutex_);
            error_ = std::current_exception();
        }
        std::lock_guard lock(mutex_);
        done_ = true;
        changed_.notify_all();
    }

    std::mutex mutex_;
    std::condition_variable changed_;
    std::deque<SmallFrame> frames_;
    bool done_ = false, stopped_ = false;
    std::exception_ptr error_;
    std::thread worker_; // last: it starts once everything it uses exists
};

// One pass over the pictures: the mouth signals where a face is, and the whole-frame motion change.
void extractPictures(const std::string& path, const SyncOptions& options, Extracted& out) {
    VideoDecoder decoder(path);
    decoder.setSkipLoopFilter(true);
    out.fps = decoder.fps() > 0 ? decoder.fps() : 25;
    if (decoder.still()) throw MediaError(path + ": a still picture has no sync to measure");
    const double displayHeight = decoder.height();
    FaceFinder faces;
    SmallFrame small;
    cv::Mat grey, previousGrey, flowGrey;
    std::vector<cv::Mat> flowFrames;
    int64_t frame = 0;
    const int64_t maxFrames = int64_t(options.maxSeconds * out.fps);
    FrameQueue queue(decoder, options.analysisHeight, options.detectEvery);
    while (queue.next(small)) {
        if (frame >= maxFrames) throw MediaError(path + ": longer than the analyser's limit");
        grey = cv::Mat(small.height, small.width, CV_8UC1, small.grey.data()).clone();
        if (!small.rgb.empty() && faces.worthLooking()) faces.look(cv::Mat(small.height, small.width, CV_8UC3, small.rgb.data()), grey);
        const double toDisplay = displayHeight / small.height;
        if (faces.face()) {
            const cv::Rect m = mouthRegion(*faces.face(), grey.size());
            out.mouth.push_back(openness(grey, m));
            out.mouthMotion.push_back(previousGrey.empty() ? 0.f : float(cv::norm(grey(m), previousGrey(m), cv::NORM_L1) / std::max(1, m.area())));
            out.mouths.push_back({int(m.x * toDisplay), int(m.y * toDisplay), int(m.width * toDisplay), int(m.height * toDisplay)});
        } else {
            out.mouth.push_back(0);
            out.mouthMotion.push_back(0);
            out.mouths.push_back({});
        }
        // Kept small for the motion-change signal, computed afterwards only if no face is found (impacts).
        cv::resize(grey, flowGrey, cv::Size(std::max(16, grey.cols * kFlowHeight / grey.rows), kFlowHeight), 0, 0, cv::INTER_AREA);
        flowFrames.push_back(flowGrey.clone());
        std::swap(previousGrey, grey);
        ++frame;
    }
    out.faceFraction = faces.foundFraction();
    if (out.faceFraction < kMinFaceFraction) out.motionChange = motionChange(flowFrames);
}

void extractSound(const std::string& path, Extracted& out) {
    const auto frames = int64_t(out.mouth.size());
    std::vector<float> audio;
    try {
        audio = decodeAudio(path, kAnalysisSampleRate, 1);
    } catch (const MediaError&) {
        return; // no sound: the signals stay empty and the report says so
    }
    out.speech = speechBandEnvelopePerFrame(audio, kAnalysisSampleRate, out.fps, frames);
    const std::vector<float> energy = audioEnvelopePerFrame(audio, kAnalysisSampleRate, out.fps, frames);
    out.onsets.assign(energy.size(), 0.f);
    for (size_t i = 1; i < energy.size(); ++i) out.onsets[i] = std::max(0.f, energy[i] - energy[i - 1]);
}

double percentile(std::vector<float> v, double q) {
    if (v.empty()) return 0;
    const size_t k = std::min(v.size() - 1, size_t(q * double(v.size())));
    std::nth_element(v.begin(), v.begin() + long(k), v.end());
    return v[k];
}

// Why these signals cannot be matched, or "".
std::string refusal(const std::vector<float>& video, const std::vector<float>& audio, SyncMethod method) {
    if (audio.empty()) return "the shot has no sound";
    // Speech fills much of a shot, impacts a few frames: loud means the 95th percentile of one, the peak of the other.
    const double loud = method == SyncMethod::Lips ? percentile(audio, 0.95) : *std::max_element(audio.begin(), audio.end());
    if (loud <= 1e-4) return "the sound is silent";
    const double voiced = double(std::count_if(audio.begin(), audio.end(), [&](float a) { return a > kVoiceThreshold * loud; })) /
                          double(audio.size());
    if (method == SyncMethod::Lips && voiced < kMinVoicedFraction) return "there is too little speech to match";
    if (spread(normalised(video)) < kMinSignalSpread)
        return method == SyncMethod::Lips ? "the mouth hardly moves" : "there is too little motion to match";
    return {};
}

// Windows of kDriftWindowSeconds, one a second: how the offset moves through the shot.
void measureDrift(const std::vector<float>& video, const std::vector<float>& audio, double fps, SyncMethod method,
                  SyncReport& report) {
    const auto window = int64_t(std::lround(kDriftWindowSeconds * fps));
    const auto step = int64_t(std::lround(fps));
    const auto n = int64_t(std::min(video.size(), audio.size()));
    std::vector<std::pair<double, double>> points; // window centre (s), offset (ms)
    for (int64_t start = 0; start + window <= n; start += step) {
        const std::vector<float> v(video.begin() + start, video.begin() + start + window);
        const std::vector<float> a(audio.begin() + start, audio.begin() + start + window);
        const SyncReport part = measureOffset(v, a, fps, method);
        report.perSecond.push_back({double(start) / fps, part.offsetMs, part.confidence});
        if (part.offsetMs) points.emplace_back((double(start) + window / 2.0) / fps, *part.offsetMs);
    }
    // Theil–Sen: the median of the pairwise slopes, so one window matched on the wrong impact cannot fake a
    // drift. Fewer than kMinDriftWindows windows say nothing about drift.
    if (points.size() < kMinDriftWindows) return;
    std::vector<double> slopes;
    for (size_t i = 0; i < points.size(); ++i)
        for (size_t j = i + 1; j < points.size(); ++j)
            slopes.push_back((points[j].second - points[i].second) / (points[j].first - points[i].first));
    std::nth_element(slopes.begin(), slopes.begin() + long(slopes.size() / 2), slopes.end());
    report.driftMsPerSecond = slopes[slopes.size() / 2];
}

} // namespace

SyncReport measureOffset(const std::vector<float>& video, const std::vector<float>& audio, double fps, SyncMethod method) {
    SyncReport r;
    r.method = method;
    r.fps = fps;
    r.frames = int64_t(video.size());
    if (std::string why = refusal(video, audio, method); !why.empty()) {
        r.reason = why;
        return r;
    }
    const int maxLag = int(std::lround(kMaxOffsetSeconds * fps));
    std::vector<double> curve(size_t(2 * maxLag + 1), -1.0);
    for (int lag = -maxLag; lag <= maxLag; ++lag)
        curve[size_t(lag + maxLag)] = lagCorrelation(video, audio, lag).value_or(-1.0);
    const auto peak = std::max_element(curve.begin(), curve.end());
    const int best = int(peak - curve.begin()) - maxLag;
    if (*peak < kMinPeakCorrelation) {
        r.reason = "no clear match between picture and sound (best correlation " + std::to_string(*peak).substr(0, 4) + ")";
        return r;
    }
    if (std::abs(best) == maxLag) {
        r.reason = "the best match is at the edge of the ±500 ms search: the offset is larger, or there is none";
        return r;
    }
    // Between frames: the vertex of the parabola through the peak and its neighbours.
    const double left = curve[size_t(best - 1 + maxLag)], centre = *peak, right = curve[size_t(best + 1 + maxLag)];
    const double bend = left - 2 * centre + right;
    const double delta = bend < 0 ? std::clamp(0.5 * (left - right) / bend, -0.5, 0.5) : 0.0;
    r.offsetMs = (best + delta) / fps * 1000.0;
    // Confidence: how well the curves match, times how far the peak stands above the best lag elsewhere.
    double elsewhere = -1;
    for (int lag = -maxLag; lag <= maxLag; ++lag)
        if (std::abs(lag - best) > 3) elsewhere = std::max(elsewhere, curve[size_t(lag + maxLag)]);
    const double prominence = centre - elsewhere;
    r.confidence = std::clamp(centre, 0.0, 1.0) * std::clamp(0.4 + 2.0 * prominence, 0.0, 1.0);
    return r;
}

SyncReport analyseSync(const std::string& path, const SyncOptions& options) {
    Extracted x;
    extractPictures(path, options, x);
    extractSound(path, x);
    const bool lips = x.faceFraction >= kMinFaceFraction;
    const SyncMethod method = lips ? SyncMethod::Lips : SyncMethod::Impacts;
    // The mouth's openness when it changes, else its motion (a face seen side-on opens little but moves).
    std::vector<float> video = lips ? (spread(normalised(x.mouth)) >= kMinSignalSpread ? x.mouth : x.mouthMotion) : x.motionChange;
    std::vector<float> audio = lips ? x.speech : x.onsets;
    SyncReport report = measureOffset(video, audio, x.fps, method);
    if (!lips && report.offsetMs) report.reason.clear();
    if (!lips && !report.offsetMs)
        report.reason = "no face was found (on " + std::to_string(int(std::lround(x.faceFraction * 100))) +
                        " % of looks) and " + report.reason;
    report.faceFraction = x.faceFraction;
    report.videoSignal = normalised(video);
    report.audioSignal = normalised(audio);
    if (lips) report.mouths = std::move(x.mouths);
    if (report.offsetMs) measureDrift(video, audio, x.fps, method, report);
    return report;
}

} // namespace tandem::render
