#include "render/sync_metrics.h"

#include "render/colour_mask.h"

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

float percentile(std::vector<float> v, double q) {
    if (v.empty()) return 0;
    const size_t k = std::min(v.size() - 1, size_t(q * double(v.size())));
    std::nth_element(v.begin(), v.begin() + long(k), v.end());
    return v[k];
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
    const int hop = std::max(1, sampleRate / 200);           // 5 ms
    const int window = std::max(8, sampleRate / 1000 * 16);  // 16 ms
    const int frames = int(audio.size()) / hop;
    if (frames < 3) return {};
    cv::Mat windowed(frames, window, CV_32F, cv::Scalar(0));
    for (int j = 0; j < frames; ++j) {
        float* row = windowed.ptr<float>(j);
        const long start = long(j) * hop - window / 2; // centred on the frame's time
        for (int i = 0; i < window; ++i) {
            const long at = start + i;
            if (at >= 0 && at < long(audio.size())) row[i] = float(audio[size_t(at)] * (0.5 - 0.5 * std::cos(2 * M_PI * i / window)));
        }
    }
    cv::Mat spectrum;
    cv::dft(windowed, spectrum, cv::DFT_ROWS | cv::DFT_COMPLEX_OUTPUT);
    std::vector<double> flux(size_t(frames), 0.0);
    std::vector<float> previous(size_t(window / 2 + 1), 0.f);
    for (int j = 0; j < frames; ++j)
        for (int k = 0; k <= window / 2; ++k) {
            const cv::Vec2f c = spectrum.at<cv::Vec2f>(j, k);
            const float magnitude = std::sqrt(c[0] * c[0] + c[1] * c[1]);
            if (j > 0) flux[size_t(j)] += std::max(0.f, magnitude - previous[size_t(k)]);
            previous[size_t(k)] = magnitude;
        }
    const double floor = kOnsetFloor * *std::max_element(flux.begin(), flux.end()) + 1e-9;
    const size_t history = 10; // 50 ms
    std::vector<double> onsets;
    double last = -1e9;
    for (size_t j = 1; j + 1 < flux.size(); ++j) {
        if (flux[j] < flux[j - 1] || flux[j] < flux[j + 1]) continue; // a local peak
        const size_t from = j > history ? j - history : 0;
        const double mean = std::accumulate(flux.begin() + long(from), flux.begin() + long(j), 0.0) / double(j - from);
        const double t = double(j * size_t(hop)) / sampleRate;
        if (flux[j] > floor && flux[j] > kOnsetRatio * mean && t - last > kOnsetRefractorySeconds) {
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

std::vector<std::optional<std::pair<float, float>>> trackColour(const uint8_t* frames, int64_t count, int width, int height,
                                                                const uint8_t rgb[3], int tolerance, int minPixels) {
    std::vector<std::optional<std::pair<float, float>>> track;
    for (int64_t f = 0; f < count; ++f) {
        const cv::Moments m = cv::moments(objectColourMask(frameMat(frames, f, width, height), rgb, tolerance), true);
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
        skin = rawColourMask(frame, kSkinRgb, tolerance);
        if (cv::countNonZero(skin) < kMinFacePixels) {
            open.push_back(0.f);
            continue;
        }
        ++seen;
        // Inside the face's outline only (the convex hull of its largest skin blob): a dark red backdrop or
        // the floor beside the face has the mouth's colour too.
        std::vector<std::vector<cv::Point>> contours;
        cv::findContours(skin, contours, cv::RETR_EXTERNAL, cv::CHAIN_APPROX_SIMPLE);
        const auto& outline = *std::max_element(contours.begin(), contours.end(), [](const auto& a, const auto& b) {
            return cv::contourArea(a) < cv::contourArea(b);
        });
        std::vector<cv::Point> hull;
        cv::convexHull(outline, hull);
        cv::Mat inside = cv::Mat::zeros(frame.size(), CV_8U);
        cv::fillConvexPoly(inside, hull, 255);
        mouth = rawColourMask(frame, kMouthRgb, tolerance);
        const cv::Rect face = cv::boundingRect(hull);
        open.push_back(float(cv::countNonZero(mouth & inside)) / float(std::max(1, face.width)));
    }
    if (seen * 2 < count) open.clear();
    return open;
}

namespace {

// Where the line through samples k-2, k-1 meets the line through k+1, k+2 (a turn between them), clamped to
// the frames around k.
double turnTime(const std::vector<float>& z, size_t k) {
    const double d = z[k - 1] - z[k - 2], r = z[k + 2] - z[k + 1];
    if (std::abs(d - r) < 1e-6) return double(k);
    const double t = (z[k + 1] - z[k - 1] + d * double(k - 1) - r * double(k + 1)) / (d - r);
    return std::clamp(t, double(k) - 1.5, double(k) + 1.5);
}

} // namespace

std::vector<int> colourAreas(const uint8_t* frames, int64_t count, int width, int height, const uint8_t rgb[3], int tolerance) {
    std::vector<int> out;
    for (int64_t f = 0; f < count; ++f) out.push_back(cv::countNonZero(objectColourMask(frameMat(frames, f, width, height), rgb, tolerance)));
    return out;
}

std::vector<double> visualImpactTimes(const std::vector<std::optional<std::pair<float, float>>>& track, double fps, int width,
                                      int height, const std::vector<int>& areas) {
    const double landingPixels = kAudibleLandingSpeed * height / fps, wallPixels = kAudibleWallSpeed * width / fps;
    const double restingPixels = 0.02 * height; // a slide's vertical wobble at most (centre of a partly hidden object)
    std::vector<double> out;
    std::vector<float> x(track.size()), y(track.size());
    std::vector<bool> whole(track.size(), true);
    const int largest = areas.empty() ? 0 : *std::max_element(areas.begin(), areas.end());
    for (size_t f = 0; f < track.size(); ++f) {
        if (track[f]) x[f] = track[f]->first, y[f] = track[f]->second;
        if (f < areas.size()) whole[f] = areas[f] >= kWholeAreaFraction * largest;
    }
    for (size_t k = 2; k + 2 < track.size(); ++k) {
        bool seen = true;
        for (size_t j = k - 2; j <= k + 2; ++j) seen = seen && track[j].has_value() && whole[j];
        if (!seen) continue;
        const double vyIn = y[k] - y[k - 1], vyOut = y[k + 1] - y[k];
        const double vxIn = x[k] - x[k - 1], vxOut = x[k + 1] - x[k];
        const bool landed = y[k - 1] - y[k - 2] >= landingPixels && vyIn > 0 && vyOut < 0.5 * vyIn;
        const bool sliding = std::abs(y[k + 2] - y[k - 2]) <= restingPixels && std::abs(y[k] - y[k - 2]) <= restingPixels;
        const bool wall = sliding && std::abs(x[k - 1] - x[k - 2]) >= wallPixels && vxIn * vxOut < 0;
        if (!landed && !wall) continue;
        const double t = turnTime(landed ? y : x, k);
        // A turn seen on two neighbouring frames is one impact.
        if (!out.empty() && t - out.back() < 2.0) continue;
        out.push_back(t);
    }
    return out;
}

EventSync matchEvents(const std::vector<double>& videoFrames, const std::vector<double>& onsets, double fps, double windowFrames) {
    EventSync s;
    s.events = int(videoFrames.size());
    for (double f : videoFrames) {
        double best = 1e9;
        for (double o : onsets)
            if (std::abs(o * fps - f) < std::abs(best)) best = o * fps - f;
        if (std::abs(best) <= windowFrames) s.offsetsFrames.push_back(best);
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
