#include "render/sync_metrics.h"

#include <opencv2/core.hpp>
#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <cmath>
#include <numeric>

namespace tandem::render {

std::vector<float> audioEnvelopePerFrame(const std::vector<float>& audio, int sampleRate, double fps, int64_t frames) {
    std::vector<float> env;
    const double per = sampleRate / fps;
    for (int64_t f = 0; f < frames; ++f) {
        const size_t a = size_t(f * per), b = std::min(audio.size(), size_t((f + 1) * per));
        double e = 0;
        for (size_t i = a; i < b; ++i) e += double(audio[i]) * audio[i];
        env.push_back(b > a ? float(std::sqrt(e / double(b - a))) : 0.f);
    }
    return env;
}

std::vector<float> speechBandEnvelopePerFrame(const std::vector<float>& audio, int sampleRate, double fps, int64_t frames) {
    // RBJ band-pass biquad (constant 0 dB peak gain) centred on the band's geometric mean.
    const double centre = std::sqrt(kSpeechBandLowHz * kSpeechBandHighHz);
    const double q = centre / (kSpeechBandHighHz - kSpeechBandLowHz);
    const double w = 2 * M_PI * centre / sampleRate, alpha = std::sin(w) / (2 * q), a0 = 1 + alpha;
    const double b0 = alpha / a0, b2 = -alpha / a0, a1 = -2 * std::cos(w) / a0, a2 = (1 - alpha) / a0;
    std::vector<float> filtered(audio);
    for (int pass = 0; pass < 2; ++pass) { // two passes: steeper skirts
        double x1 = 0, x2 = 0, y1 = 0, y2 = 0;
        for (float& v : filtered) {
            const double x = v, y = b0 * x + b2 * x2 - a1 * y1 - a2 * y2;
            x2 = x1, x1 = x, y2 = y1, y1 = y;
            v = float(y);
        }
    }
    return audioEnvelopePerFrame(filtered, sampleRate, fps, frames);
}

std::vector<double> audioOnsets(const std::vector<float>& audio, int sampleRate) {
    const size_t hop = size_t(std::max(1, sampleRate / 200)); // 5 ms
    std::vector<double> energy;
    for (size_t i = 0; i + hop <= audio.size(); i += hop) {
        double e = 0;
        for (size_t k = 0; k < hop; ++k) e += double(audio[i + k]) * audio[i + k];
        energy.push_back(e / double(hop));
    }
    const double peak = energy.empty() ? 0 : *std::max_element(energy.begin(), energy.end());
    const double floor = peak * 1e-3 + 1e-9;
    const size_t history = 10; // 50 ms
    std::vector<double> onsets;
    double last = -1e9;
    for (size_t j = 1; j < energy.size(); ++j) {
        const size_t from = j > history ? j - history : 0;
        const double mean = std::accumulate(energy.begin() + long(from), energy.begin() + long(j), 0.0) / double(j - from);
        const double t = double(j * hop) / sampleRate;
        if (energy[j] > floor && energy[j] > kOnsetRatio * mean && t - last > kOnsetRefractorySeconds) {
            onsets.push_back(t);
            last = t;
        }
    }
    return onsets;
}

std::optional<double> lagCorrelation(const std::vector<float>& video, const std::vector<float>& audio, int lag) {
    const int64_t n = int64_t(std::min(video.size(), audio.size()));
    double sa = 0, sb = 0, saa = 0, sbb = 0, sab = 0;
    int64_t count = 0;
    for (int64_t i = std::max<int64_t>(0, -lag); i < n && i + lag < n; ++i) {
        const double a = video[size_t(i)], b = audio[size_t(i + lag)]; // audio `lag` frames late goes with frame i
        sa += a, sb += b, saa += a * a, sbb += b * b, sab += a * b;
        ++count;
    }
    if (count < 4) return std::nullopt;
    const double va = saa - sa * sa / double(count), vb = sbb - sb * sb / double(count);
    if (va <= 1e-9 * double(count) || vb <= 1e-12 * double(count)) return std::nullopt;
    return (sab - sa * sb / double(count)) / std::sqrt(va * vb);
}

std::optional<LagEstimate> bestLag(const std::vector<float>& video, const std::vector<float>& audio, int maxLag) {
    std::optional<LagEstimate> best;
    for (int lag = -maxLag; lag <= maxLag; ++lag) {
        const auto r = lagCorrelation(video, audio, lag);
        if (r && (!best || *r > best->correlation)) best = LagEstimate{lag, *r};
    }
    return best;
}

namespace {

cv::Scalar lowerBound(const uint8_t rgb[3], int tolerance) {
    return cv::Scalar(std::max(0, rgb[0] - tolerance), std::max(0, rgb[1] - tolerance), std::max(0, rgb[2] - tolerance));
}
cv::Scalar upperBound(const uint8_t rgb[3], int tolerance) {
    return cv::Scalar(std::min(255, rgb[0] + tolerance), std::min(255, rgb[1] + tolerance), std::min(255, rgb[2] + tolerance));
}

} // namespace

std::vector<std::optional<std::pair<float, float>>> trackColour(const uint8_t* frames, int64_t count, int width, int height,
                                                                const uint8_t rgb[3], int tolerance, int minPixels) {
    std::vector<std::optional<std::pair<float, float>>> track;
    const cv::Scalar lo = lowerBound(rgb, tolerance), hi = upperBound(rgb, tolerance);
    cv::Mat mask;
    for (int64_t f = 0; f < count; ++f) {
        const cv::Mat frame(height, width, CV_8UC3, const_cast<uint8_t*>(frames + size_t(f) * width * height * 3));
        cv::inRange(frame, lo, hi, mask);
        const cv::Moments m = cv::moments(mask, true);
        if (m.m00 < minPixels) track.push_back(std::nullopt);
        else track.push_back(std::make_pair(float(m.m10 / m.m00), float(m.m01 / m.m00)));
    }
    return track;
}


std::vector<float> mouthOpennessPerFrame(const uint8_t* frames, int64_t count, int width, int height, int tolerance) {
    constexpr int kMinFacePixels = 30; // fewer skin pixels than this is no face
    std::vector<float> open;
    int64_t seen = 0;
    cv::Mat skin, mouth;
    for (int64_t f = 0; f < count; ++f) {
        const cv::Mat frame(height, width, CV_8UC3, const_cast<uint8_t*>(frames + size_t(f) * width * height * 3));
        cv::inRange(frame, lowerBound(kSkinRgb, tolerance), upperBound(kSkinRgb, tolerance), skin);
        if (cv::countNonZero(skin) < kMinFacePixels) {
            open.push_back(0.f);
            continue;
        }
        ++seen;
        const cv::Rect face = cv::boundingRect(skin);
        cv::inRange(frame(face), lowerBound(kMouthRgb, tolerance), upperBound(kMouthRgb, tolerance), mouth);
        open.push_back(float(cv::countNonZero(mouth)) / float(face.width));
    }
    if (seen * 2 < count) open.clear();
    return open;
}

std::vector<int64_t> motionImpactFrames(const std::vector<std::optional<std::pair<float, float>>>& track, float minSpeed) {
    std::vector<int64_t> out;
    for (size_t f = 2; f < track.size(); ++f) {
        if (!track[f] || !track[f - 1] || !track[f - 2]) continue;
        const float vy0 = track[f - 1]->second - track[f - 2]->second, vy1 = track[f]->second - track[f - 1]->second;
        const float vx0 = track[f - 1]->first - track[f - 2]->first, vx1 = track[f]->first - track[f - 1]->first;
        const bool landed = vy0 > minSpeed && vy1 < vy0 * 0.5f;              // was falling, now stopped or rising
        const bool wall = std::abs(vx0) > minSpeed && vx0 * vx1 < 0;         // horizontal reversal
        // A landing that spans a frame boundary shows as slowing over two frames: one event, not two.
        if ((landed || wall) && (out.empty() || int64_t(f - 1) - out.back() > 1)) out.push_back(int64_t(f - 1));
    }
    return out;
}

EventSync matchEvents(const std::vector<int64_t>& videoFrames, const std::vector<double>& onsets, double fps, double window) {
    EventSync s;
    for (int64_t f : videoFrames) {
        // Positions are sampled at frame starts; the event lies between frames f and f + 1: take the middle.
        const double t = (f + 0.5) / fps;
        double best = 1e9;
        for (double o : onsets)
            if (std::abs(o - t) < std::abs(best)) best = o - t;
        if (std::abs(best) <= window) s.offsetsFrames.push_back(best * fps);
    }
    std::vector<double> a;
    for (double d : s.offsetsFrames) a.push_back(std::abs(d));
    std::sort(a.begin(), a.end());
    if (!a.empty()) {
        s.medianAbs = a.size() % 2 ? a[a.size() / 2] : (a[a.size() / 2 - 1] + a[a.size() / 2]) / 2;
        s.p90Abs = a[std::min(a.size() - 1, size_t(std::ceil(0.9 * double(a.size()))) - 1)];
    }
    return s;
}

} // namespace tandem::render
