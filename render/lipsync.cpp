#include "render/lipsync.h"

#include "render/media_error.h"
#include "render/shot_faces.h"
#include "render/speech_activity.h"
#include "render/sync_metrics.h"
#include "render/video_decoder.h"

#include <opencv2/imgproc.hpp>
#include <opencv2/video/tracking.hpp>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <condition_variable>
#include <deque>
#include <exception>
#include <map>
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
// Whole-frame motion for impacts is measured on frames this tall: optical flow of the big movements only.
constexpr int kFlowHeight = 64;
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

struct Peak {
    std::optional<double> offsetMs;
    bool atEdge = false;
    double correlation = -1, confidence = 0;
    std::string reason;
};

// The best lag of a correlation curve over lags −maxLag … maxLag (curve[maxLag] is lag 0), refined between
// frames; no offset when the peak is low or at the edge of the search.
Peak readPeak(const std::vector<double>& curve, double fps, double minCorrelation = kMinPeakCorrelation) {
    Peak p;
    const int maxLag = int(curve.size() / 2);
    const auto peak = std::max_element(curve.begin(), curve.end());
    const int best = int(peak - curve.begin()) - maxLag;
    p.correlation = *peak;
    p.atEdge = std::abs(best) == maxLag;
    if (*peak < minCorrelation) {
        p.reason = "no clear match between picture and sound (best correlation " + std::to_string(*peak).substr(0, 4) + ")";
        return p;
    }
    if (p.atEdge) {
        p.reason = "the best match is at the edge of the ±500 ms search: the offset is larger, or there is none";
        return p;
    }
    // Between frames: the vertex of the parabola through the peak and its neighbours.
    const double left = curve[size_t(best - 1 + maxLag)], centre = *peak, right = curve[size_t(best + 1 + maxLag)];
    const double bend = left - 2 * centre + right;
    const double delta = bend < 0 ? std::clamp(0.5 * (left - right) / bend, -0.5, 0.5) : 0.0;
    p.offsetMs = (best + delta) / fps * 1000.0;
    // Confidence: how well the curves match, times how far the peak stands above the best lag elsewhere.
    double elsewhere = -1;
    for (int lag = -maxLag; lag <= maxLag; ++lag)
        if (std::abs(lag - best) > 3) elsewhere = std::max(elsewhere, curve[size_t(lag + maxLag)]);
    const double prominence = centre - elsewhere;
    p.confidence = std::clamp(centre, 0.0, 1.0) * std::clamp(0.4 + 2.0 * prominence, 0.0, 1.0);
    return p;
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
    const Peak p = readPeak(curve, fps);
    r.offsetMs = p.offsetMs;
    r.confidence = p.confidence;
    r.reason = p.reason;
    return r;
}


namespace {

// A face must be tracked over at least this share of its shot (and kMinTrackFrames) to be measured.
constexpr double kMinTrackShare = 0.4;
constexpr int64_t kMinTrackFrames = 8;
// A shot is slipped (an edit moved its sound) when its own offset is further than kSlipFrames from the
// clip's, its confidence at least kMinSlipConfidence, its mouth matches the speech clearly at its own lag
// (kMinSlipCorrelation) and much better there than at the clip's (kSlipMargin). Measured on a film scene:
// its close-up slipped by 160 ms matches at 0.45 (0.05 at the clip's lag); shots whose own peak wanders by
// chance (a listener's face, a short shot) match at 0.25–0.37, at most 0.21 better than at the clip's lag.
constexpr double kSlipFrames = 1.5;
constexpr double kMinSlipConfidence = 0.25;
constexpr double kMinSlipCorrelation = 0.42;
constexpr double kSlipMargin = 0.3;
// The shots' summed curve is an average, lower than one shot's peak: its own floor. Measured on a film
// scene: its weakest right answers (one shot slipped, the rest in sync) peak at 0.18; the same scene with
// its sound reversed, at 0.09.
constexpr double kMinPooledCorrelation = 0.17;
// Less voiced speech than this with a face in view is too little to tell a match from chance (1.2 s of a
// dog's bark against its face matched at 0.69).
constexpr double kMinVoicedSeconds = 2.0;

// Impacts against their sounds need a clear match: the world's bounces and landings match at 0.4; a game's
// cut-scene under music, by chance, at 0.19.
constexpr double kMinImpactConfidence = 0.3;

// Pictures decoded once: the shots with their faces, and small frames for whole-frame motion.
struct Pictures {
    double fps = 0;
    int64_t frames = 0;
    double toDisplay = 1; // analysis pixels → the file's pixels
    std::vector<Shot> shots;
    std::vector<cv::Mat> flowFrames;
};

Pictures readPictures(const std::string& path, const SyncOptions& options) {
    VideoDecoder decoder(path);
    decoder.setSkipLoopFilter(true);
    Pictures p;
    p.fps = decoder.fps() > 0 ? decoder.fps() : 25;
    if (decoder.still()) throw MediaError(path + ": a still picture has no sync to measure");
    ShotFaces faces(p.fps);
    if (!faces.ready()) throw MediaError("the face detector's cascades are missing from " + std::string(TANDEM_HAAR_DIR));
    const int64_t maxFrames = int64_t(options.maxSeconds * p.fps);
    FrameQueue queue(decoder, options.analysisHeight, 1);
    SmallFrame small;
    cv::Mat flowGrey;
    while (queue.next(small)) {
        if (p.frames >= maxFrames) throw MediaError(path + ": longer than the analyser's limit");
        const cv::Mat grey(small.height, small.width, CV_8UC1, small.grey.data());
        const cv::Mat rgb(small.height, small.width, CV_8UC3, small.rgb.data());
        faces.add(grey, rgb);
        // Kept small for the motion-change signal (impacts), computed only if no face is found.
        cv::resize(grey, flowGrey, cv::Size(std::max(16, grey.cols * kFlowHeight / grey.rows), kFlowHeight), 0, 0, cv::INTER_AREA);
        p.flowFrames.push_back(flowGrey.clone());
        p.toDisplay = double(decoder.height()) / small.height;
        ++p.frames;
    }
    p.shots = faces.finish();
    return p;
}

// Correlation of a face's signal (v[0] is frame `first`) over frames [from, to) with the sound's signal
// `a` (the whole clip) at each lag: the sound may come from beyond the shot's cut, as dialogue does.
std::vector<double> lagCurve(const std::vector<float>& v, int64_t first, int64_t from, int64_t to,
                             const std::vector<float>& a, int maxLag) {
    std::vector<double> curve(size_t(2 * maxLag + 1), -1.0);
    for (int lag = -maxLag; lag <= maxLag; ++lag) {
        double sx = 0, sy = 0, sxx = 0, syy = 0, sxy = 0;
        int n = 0;
        for (int64_t t = from; t < to; ++t) {
            const int64_t at = t + lag;
            if (at < 0 || at >= int64_t(a.size())) continue;
            const double x = v[size_t(t - first)], y = a[size_t(at)];
            sx += x, sy += y, sxx += x * x, syy += y * y, sxy += x * y, ++n;
        }
        if (n < int(kMinTrackFrames)) continue;
        const double vx = sxx - sx * sx / n, vy = syy - sy * sy / n;
        if (vx <= 1e-12 || vy <= 1e-12) continue;
        curve[size_t(lag + maxLag)] = (sxy - sx * sy / n) / std::sqrt(vx * vy);
    }
    return curve;
}

// Motion compressed by its square root: one big movement (a head turn, a laugh) must not outweigh every
// syllable of the shot in the correlation.
std::vector<float> compressed(std::vector<float> v) {
    for (float& x : v) x = std::sqrt(std::max(0.f, x));
    return v;
}

// A line spoken after a silence raises both signals for its whole length: that block correlates at every
// lag near the right one and flattens the peak. What times the offset is the syllables' detail, so both
// signals lose their moving average over this long (a few syllables) before they are matched.
constexpr double kDetrendSeconds = 0.6;

std::vector<float> highPass(const std::vector<float>& v, double fps) {
    const int half = std::max(1, int(std::lround(kDetrendSeconds * fps / 2)));
    std::vector<float> out(v.size());
    std::vector<double> prefix(v.size() + 1, 0.0);
    for (size_t i = 0; i < v.size(); ++i) prefix[i + 1] = prefix[i] + v[i];
    for (size_t i = 0; i < v.size(); ++i) {
        const size_t lo = size_t(std::max<long>(0, long(i) - half)), hi = std::min(v.size(), i + size_t(half) + 1);
        out[i] = float(v[i] - (prefix[hi] - prefix[lo]) / double(hi - lo));
    }
    return out;
}

struct FaceMeasure {
    Peak peak;
    std::vector<double> curve;
};

// One face of a shot against the speech: its mouth's motion against the voice level's changes (`syllables`:
// speech.change through highPass, computed once for the clip).
FaceMeasure measureFace(const FaceTrack& face, int64_t from, int64_t to, const std::vector<float>& syllables, double fps) {
    const int maxLag = int(std::lround(kMaxOffsetSeconds * fps));
    FaceMeasure m;
    m.curve = lagCurve(highPass(compressed(face.motion), fps), face.first, from, to, syllables, maxLag);
    m.peak = readPeak(m.curve, fps);
    return m;
}

// What a shot adds to the clip's estimate: its speaker's correlation curve and how much it counts.
struct ShotEvidence {
    std::vector<double> curve;
    double weight = 0;
    int64_t voicedFrames = 0;
};

// A shot's place and faces, nothing measured yet.
ShotSync shotOf(const Shot& shot, double fps) {
    ShotSync s;
    s.startFrame = shot.start;
    s.endFrame = shot.end;
    s.startSeconds = double(shot.start) / fps;
    s.endSeconds = double(shot.end) / fps;
    s.faces = int(shot.faces.size());
    return s;
}

ShotSync measureShot(const Shot& shot, const SpeechActivity& speech, const std::vector<float>& syllables, double fps,
                     int& speakerOut, ShotEvidence& evidence) {
    ShotSync s = shotOf(shot, fps);
    speakerOut = -1;
    const int64_t length = shot.end - shot.start;
    int64_t voiced = 0;
    for (int64_t t = shot.start; t < shot.end && t < int64_t(speech.voiced.size()); ++t) voiced += speech.voiced[size_t(t)];
    if (double(voiced) < kMinVoicedFraction * double(length)) {
        s.reason = "no voiced speech";
        return s;
    }
    if (shot.faces.empty()) {
        s.reason = "no face";
        return s;
    }
    // The speaker: the face whose mouth follows the speech best.
    std::optional<FaceMeasure> best;
    for (size_t i = 0; i < shot.faces.size(); ++i) {
        const FaceTrack& face = shot.faces[i];
        // Centred motion is defined one frame inside the track's ends.
        const int64_t from = std::max(shot.start, face.first) + 1, to = std::min(shot.end, face.end()) - 1;
        if (to - from < std::max<int64_t>(kMinTrackFrames, int64_t(kMinTrackShare * double(length)))) continue;
        FaceMeasure m = measureFace(face, from, to, syllables, fps);
        if (!best || m.peak.correlation > best->peak.correlation) {
            best = std::move(m);
            speakerOut = int(i);
        }
    }
    if (!best) {
        s.reason = "no face is in view long enough";
        return s;
    }
    s.speaker = speakerOut;
    // A best match at the edge of the search says nothing about where the offset is: no evidence.
    if (best->peak.atEdge) {
        s.reason = best->peak.reason;
        return s;
    }
    // A weak match still counts towards the clip's sum (by its weight); only a clear one is the shot's own offset.
    evidence.curve = best->curve;
    evidence.weight = double(voiced) * std::max(0.0, best->peak.correlation);
    evidence.voicedFrames = voiced;
    s.offsetMs = best->peak.offsetMs;
    s.confidence = best->peak.confidence;
    if (!s.offsetMs) s.reason = "no face follows the speech clearly: " + best->peak.reason;
    return s;
}

// The clip's offset from its shots': their speakers' correlation curves averaged, weighted by voiced length
// and correlation, and the peak of that. A short shot alone often has two near-equal peaks (one gesture
// matched to the wrong syllable); summed over shots the true lag adds up and the wrong ones do not.
void combineShots(SyncReport& report, const std::vector<ShotEvidence>& evidence, double fps) {
    std::vector<double> pooled;
    double total = 0;
    int64_t voiced = 0;
    for (const ShotEvidence& e : evidence) {
        if (e.curve.empty() || e.weight <= 0) continue;
        voiced += e.voicedFrames;
        if (pooled.empty()) pooled.assign(e.curve.size(), 0.0);
        for (size_t i = 0; i < pooled.size(); ++i) pooled[i] += e.weight * std::max(-1.0, e.curve[i]);
        total += e.weight;
    }
    if (total <= 0) return;
    if (double(voiced) < kMinVoicedSeconds * fps) {
        char why[160];
        std::snprintf(why, sizeof why, "too little speech with a face in view to match (%.1f s; %.0f s needed)", double(voiced) / fps,
                      kMinVoicedSeconds);
        report.reason = why;
        return;
    }
    for (double& c : pooled) c /= total;
    const Peak p = readPeak(pooled, fps, kMinPooledCorrelation);
    if (!p.offsetMs) {
        report.reason = p.reason;
        return;
    }
    report.offsetMs = p.offsetMs;
    report.confidence = p.confidence;
    // A shot is slipped when its own best lag is far from the clip's and clearly better than the clip's lag
    // for it: an edit moved its sound, rather than its curve having two near-equal peaks.
    const int maxLag = int(pooled.size() / 2);
    const double frameMs = 1000.0 / fps;
    const int clipLag = int(std::lround(*p.offsetMs / frameMs));
    for (size_t k = 0; k < report.shots.size(); ++k) {
        ShotSync& s = report.shots[k];
        if (!s.offsetMs || evidence[k].curve.empty()) continue;
        const int ownLag = int(std::lround(*s.offsetMs / frameMs));
        const double atClip = evidence[k].curve[size_t(std::clamp(clipLag, -maxLag, maxLag) + maxLag)];
        const double atOwn = evidence[k].curve[size_t(ownLag + maxLag)];
        s.slipped = s.confidence >= kMinSlipConfidence && std::abs(*s.offsetMs - *report.offsetMs) > kSlipFrames * frameMs &&
                    atOwn >= kMinSlipCorrelation && atOwn - atClip >= kSlipMargin;
    }
}

// No face anywhere: the whole-frame motion change against the sound's onsets (impacts, landings, slams).
SyncReport measureImpacts(const std::string& path, const Pictures& pictures, double faceFraction) {
    std::vector<float> audio;
    try {
        audio = decodeAudio(path, kAnalysisSampleRate, 1);
    } catch (const MediaError&) {
    }
    const std::vector<float> video = motionChange(pictures.flowFrames);
    std::vector<float> onsets;
    if (!audio.empty()) {
        const std::vector<float> energy = audioEnvelopePerFrame(audio, kAnalysisSampleRate, pictures.fps, pictures.frames);
        onsets.assign(energy.size(), 0.f);
        for (size_t i = 1; i < energy.size(); ++i) onsets[i] = std::max(0.f, energy[i] - energy[i - 1]);
    }
    SyncReport report = measureOffset(video, onsets, pictures.fps, SyncMethod::Impacts);
    if (report.offsetMs && report.confidence < kMinImpactConfidence) {
        report.reason = "no clear match between movement and sound (confidence " + std::to_string(report.confidence).substr(0, 4) + ")";
        report.offsetMs.reset();
        report.confidence = 0;
    }
    if (!report.offsetMs)
        report.reason = "no face was found (on " + std::to_string(int(std::lround(faceFraction * 100))) + " % of frames) and " + report.reason;
    report.videoSignal = normalised(video);
    report.audioSignal = normalised(onsets);
    if (report.offsetMs) measureDrift(video, onsets, pictures.fps, SyncMethod::Impacts, report);
    return report;
}

// Share of the clip's frames in which some face is tracked.
double faceCoverage(const Pictures& pictures) {
    std::vector<uint8_t> covered(size_t(pictures.frames), 0);
    for (const Shot& shot : pictures.shots)
        for (const FaceTrack& face : shot.faces)
            for (int64_t t = std::max(face.first, shot.start); t < std::min(face.end(), shot.end); ++t) covered[size_t(t)] = 1;
    return pictures.frames ? double(std::count(covered.begin(), covered.end(), 1)) / double(pictures.frames) : 0;
}

// Per frame, each shot's measured face: its signal (normalised within the shot, for drawing and for the
// per-second windows), the sound's matching signal, and its mouth box.
void assembleSignals(SyncReport& report, const Pictures& pictures, const SpeechActivity& speech,
                     const std::vector<int>& speakers) {
    report.videoSignal.assign(size_t(pictures.frames), 0.f);
    report.audioSignal.assign(size_t(pictures.frames), 0.f);
    report.mouths.assign(size_t(pictures.frames), {});
    for (size_t k = 0; k < pictures.shots.size(); ++k) {
        const Shot& shot = pictures.shots[k];
        const int speaker = speakers[k];
        const std::vector<float>& sound = speech.change;
        const int64_t end = std::min<int64_t>(shot.end, int64_t(sound.size()));
        if (shot.start >= end) continue;
        std::vector<float> a(sound.begin() + shot.start, sound.begin() + end);
        a = normalised(a);
        for (size_t i = 0; i < a.size(); ++i) report.audioSignal[size_t(shot.start) + i] = a[i];
        if (speaker < 0) continue;
        const FaceTrack& face = shot.faces[size_t(speaker)];
        const int64_t from = std::max(shot.start, face.first), to = std::min(shot.end, face.end());
        const std::vector<float> signal = compressed(face.motion);
        std::vector<float> v(signal.begin() + (from - face.first), signal.begin() + (to - face.first));
        v = normalised(v);
        for (int64_t t = from; t < to; ++t) {
            report.videoSignal[size_t(t)] = v[size_t(t - from)];
            const MouthBox& m = face.mouths[size_t(t - face.first)];
            const double s = pictures.toDisplay;
            report.mouths[size_t(t)] = {int(m.x * s), int(m.y * s), int(m.width * s), int(m.height * s)};
        }
    }
}

} // namespace

SyncReport analyseSync(const std::string& path, const SyncOptions& options) {
    const Pictures pictures = readPictures(path, options);
    const double coverage = faceCoverage(pictures);
    if (coverage < kMinFaceFraction) {
        SyncReport report = measureImpacts(path, pictures, coverage);
        report.faceFraction = coverage;
        report.fps = pictures.fps;
        report.frames = pictures.frames;
        return report;
    }
    SyncReport report;
    report.method = SyncMethod::Lips;
    report.fps = pictures.fps;
    report.frames = pictures.frames;
    report.faceFraction = coverage;
    std::vector<float> audio;
    try {
        audio = decodeAudio(path, kAnalysisSampleRate, 1);
    } catch (const MediaError&) {
        report.reason = "the shot has no sound";
        return report;
    }
    const SpeechActivity speech = speechActivity(audio, kAnalysisSampleRate, pictures.fps, pictures.frames);
    if (speech.levelDb.empty() || speech.voicedFraction == 0) {
        report.reason = speech.flatness.empty() ? "the shot has no sound" : "the sound is silent or holds no voice";
    } else if (speech.syllabicChangeDb < kMinSyllabicChangeDb) {
        char why[200];
        std::snprintf(why, sizeof why,
                      "the sound holds no speech: it does not rise and fall with syllables (%.1f dB a frame; speech %.1f or more)",
                      speech.syllabicChangeDb, kMinSyllabicChangeDb);
        report.reason = why;
    }
    const bool speaking = report.reason.empty(); // else nothing to measure in any shot
    const std::vector<float> syllables = speaking ? highPass(speech.change, pictures.fps) : std::vector<float>();
    std::vector<int> speakers;
    std::vector<ShotEvidence> evidence(pictures.shots.size());
    for (const Shot& shot : pictures.shots) {
        int speaker = -1;
        if (speaking) {
            report.shots.push_back(measureShot(shot, speech, syllables, pictures.fps, speaker, evidence[report.shots.size()]));
        } else {
            report.shots.push_back(shotOf(shot, pictures.fps));
            report.shots.back().reason = "no voiced speech";
        }
        speakers.push_back(speaker);
        if (!report.shots.back().offsetMs) ++report.shotsLeftOut;
    }
    if (speaking) combineShots(report, evidence, pictures.fps);
    assembleSignals(report, pictures, speech, speakers);
    if (!report.offsetMs && report.reason.empty()) {
        // Say why the shots were left out: the most common reason.
        std::map<std::string, int> reasons;
        for (const ShotSync& s : report.shots) ++reasons[s.reason];
        const auto common = std::max_element(reasons.begin(), reasons.end(), [](const auto& a, const auto& b) { return a.second < b.second; });
        report.reason = common->first + (report.shots.size() > 1 ? " (" + std::to_string(common->second) + " of " +
                                                                        std::to_string(report.shots.size()) + " shots)" : "");
    }
    if (report.offsetMs) measureDrift(report.videoSignal, report.audioSignal, pictures.fps, SyncMethod::Lips, report);
    // A slipped shot is a step, not a drift: the per-second offsets show it, the slope through them would not.
    if (std::any_of(report.shots.begin(), report.shots.end(), [](const ShotSync& s) { return s.slipped; }))
        report.driftMsPerSecond.reset();
    return report;
}

} // namespace tandem::render
