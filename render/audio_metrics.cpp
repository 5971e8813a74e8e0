#include "render/audio_metrics.h"

#include <opencv2/core.hpp>

#include <algorithm>
#include <cmath>
#include <functional>

namespace tandem::render {

namespace {

// Magnitude spectrogram, frames × (n/2 + 1), of `x` zero-padded to whole hops.
cv::Mat magnitudes(const std::vector<float>& x, int n) {
    const int hop = n / 4;
    const int frames = std::max(1, int((x.size() + size_t(hop) - 1) / size_t(hop)));
    cv::Mat windowed(frames, n, CV_32F, cv::Scalar(0));
    for (int f = 0; f < frames; ++f) {
        float* row = windowed.ptr<float>(f);
        const long start = long(f) * hop - n / 2; // centred frames, as torch.stft(center=True) does
        for (int i = 0; i < n; ++i) {
            const long at = start + i;
            if (at < 0 || at >= long(x.size())) continue;
            const double w = 0.5 - 0.5 * std::cos(2 * M_PI * i / n);
            row[i] = float(x[size_t(at)] * w);
        }
    }
    cv::Mat spectrum;
    cv::dft(windowed, spectrum, cv::DFT_ROWS | cv::DFT_COMPLEX_OUTPUT);
    cv::Mat out(frames, n / 2 + 1, CV_32F);
    for (int f = 0; f < frames; ++f)
        for (int k = 0; k <= n / 2; ++k) {
            const cv::Vec2f c = spectrum.at<cv::Vec2f>(f, k);
            out.at<float>(f, k) = std::sqrt(c[0] * c[0] + c[1] * c[1]);
        }
    return out;
}

} // namespace

double multiResolutionStftDistance(const std::vector<float>& reference, const std::vector<float>& other) {
    std::vector<float> a = reference, b = other;
    const size_t n = std::max(a.size(), b.size());
    a.resize(n, 0.f), b.resize(n, 0.f);
    double total = 0;
    const int sizes[] = {128, 512, 2048};
    for (int size : sizes) {
        const cv::Mat S = magnitudes(a, size), R = magnitudes(b, size);
        const double convergence = cv::norm(S - R) / (cv::norm(S) + 1e-7);
        cv::Mat logS, logR;
        cv::log(S + 1e-5, logS);
        cv::log(R + 1e-5, logR);
        total += convergence + cv::mean(cv::abs(logS - logR))[0];
    }
    return total / 3;
}

std::optional<double> medianPitchHz(const std::vector<float>& audio, int sampleRate) {
    const int frame = sampleRate / 25; // 40 ms: at least three periods of the lowest pitch
    const int minLag = int(sampleRate / kPitchMaxHz), maxLag = int(sampleRate / kPitchMinHz);
    std::vector<double> pitches;
    for (size_t start = 0; start + size_t(frame + maxLag) <= audio.size(); start += size_t(frame / 2)) {
        const float* x = audio.data() + start;
        double energy = 0;
        for (int i = 0; i < frame; ++i) energy += double(x[i]) * x[i];
        if (energy < 1e-4 * frame) continue; // silence
        std::vector<double> r(size_t(maxLag + 1), 0.0);
        double best = 0;
        for (int lag = minLag; lag <= maxLag; ++lag) {
            double cross = 0, shifted = 0;
            for (int i = 0; i < frame; ++i) cross += double(x[i]) * x[i + lag], shifted += double(x[i + lag]) * x[i + lag];
            r[size_t(lag)] = cross / std::sqrt(energy * shifted + 1e-12);
            best = std::max(best, r[size_t(lag)]);
        }
        if (best < kVoicedCorrelation) continue;
        // The shortest lag that is a local peak nearly as high as the best: a multiple of the period
        // correlates as well as the period itself and would read an octave low.
        for (int lag = minLag + 1; lag < maxLag; ++lag)
            if (r[size_t(lag)] >= 0.9 * best && r[size_t(lag)] >= r[size_t(lag - 1)] && r[size_t(lag)] >= r[size_t(lag + 1)]) {
                pitches.push_back(double(sampleRate) / lag);
                break;
            }
    }
    if (int(pitches.size()) < kMinVoicedFrames) return std::nullopt;
    std::nth_element(pitches.begin(), pitches.begin() + long(pitches.size() / 2), pitches.end());
    return pitches[pitches.size() / 2];
}

namespace {

// Power spectra (frames × (n/2 + 1)) of Hann windows of n samples centred on each video frame.
cv::Mat framePowers(const std::vector<float>& audio, int sampleRate, double fps, int64_t frames, int n) {
    cv::Mat windowed(int(frames), n, CV_32F, cv::Scalar(0));
    const double perFrame = sampleRate / fps;
    for (int64_t f = 0; f < frames; ++f) {
        float* row = windowed.ptr<float>(int(f));
        const long start = long((double(f) + 0.5) * perFrame) - n / 2;
        for (int i = 0; i < n; ++i) {
            const long at = start + i;
            if (at >= 0 && at < long(audio.size())) row[i] = float(audio[size_t(at)] * (0.5 - 0.5 * std::cos(2 * M_PI * i / n)));
        }
    }
    cv::Mat spectrum;
    cv::dft(windowed, spectrum, cv::DFT_ROWS | cv::DFT_COMPLEX_OUTPUT);
    cv::Mat power(int(frames), n / 2 + 1, CV_32F);
    for (int f = 0; f < int(frames); ++f)
        for (int k = 0; k <= n / 2; ++k) {
            const cv::Vec2f c = spectrum.at<cv::Vec2f>(f, k);
            power.at<float>(f, k) = c[0] * c[0] + c[1] * c[1];
        }
    return power;
}

// One frame measured against pitch f0 (Hz): the energy on its harmonics 2…8 less the energy between them,
// and how clearly the harmonics stand out — the median over them of log10(on / between). A voice's pulse
// train stands out on all of them; an impact's partial lands on one harmonic at most.
// A voice stands out on most of the seven harmonics looked at: five for its envelope, six to find its
// pitch (measured on the world's clips: five finds the pitch in 79 % of the mixed soundtracks, six in 85 %,
// while the envelope correlates best with five). An impact whose partials lie near a few harmonics (the
// world's ratios 2.76 and 5.4 are close to 11/4 and 27/5) stands out on two or three.
constexpr int kClearHarmonics = 5, kPitchHarmonics = 6;
struct Harmonicity {
    double excess = 0, clarity = 0, pitchClarity = 0; // clarity: the kClearHarmonics-th best log ratio, …
};
Harmonicity harmonicity(const float* power, int bins, double binHz, double f0, double epsilon) {
    constexpr int kFirstHarmonic = 2, kLastHarmonic = 8; // the fundamental shares its band with wind
    constexpr double kVibrato = 0.03;                    // the pitch wanders this much: look that far for a peak
    Harmonicity r;
    std::vector<double> ratios;
    for (int h = kFirstHarmonic; h <= kLastHarmonic; ++h) {
        const int centre = int(std::lround(h * f0 / binHz)), reach = 1 + int(std::lround(kVibrato * h * f0 / binHz));
        const int mid = int(std::lround((h + 0.5) * f0 / binHz));
        if (mid + 1 >= bins) break;
        float peak = 0;
        for (int k = std::max(0, centre - reach); k <= std::min(bins - 1, centre + reach); ++k) peak = std::max(peak, power[k]);
        const double between = (power[mid - 1] + power[mid] + power[mid + 1]) / 3.0;
        r.excess += peak - between;
        ratios.push_back(std::log10((peak + epsilon) / (between + epsilon)));
    }
    if (int(ratios.size()) < kPitchHarmonics) return r;
    std::sort(ratios.begin(), ratios.end(), std::greater<double>());
    r.clarity = ratios[kClearHarmonics - 1];
    r.pitchClarity = ratios[kPitchHarmonics - 1];
    return r;
}

// How much of a frame's harmonic energy counts as voice: none below kClarityFloor (on/between 2×), all from
// kClarityFull (10×).
constexpr double kClarityFloor = 0.3, kClarityFull = 1.0;
constexpr double kSilentPower = 1e-3;
double voiceShare(double clarity) { return std::clamp((clarity - kClarityFloor) / (kClarityFull - kClarityFloor), 0.0, 1.0); }

} // namespace

VoiceAnalysis analyseVoice(const std::vector<float>& audio, int sampleRate, double fps, int64_t frames) {
    VoiceAnalysis v;
    if (frames <= 0 || audio.empty()) return v;
    int n = 1;
    while (n < int(sampleRate / fps)) n *= 2; // about one video frame, a power of two
    const cv::Mat power = framePowers(audio, sampleRate, fps, frames, n);
    const int bins = n / 2 + 1;
    const double binHz = double(sampleRate) / n;
    // Below a thousandth of a frame's loudest power a bin counts as silence, neither on nor between the
    // harmonics (a window's side lobes are no harmonics), and so does all of a frame far quieter than the clip.
    double clipLoudest = 0;
    cv::minMaxLoc(power, nullptr, &clipLoudest);
    std::vector<double> epsilon;
    for (int f = 0; f < int(frames); ++f) {
        double loudest = 0;
        cv::minMaxLoc(power.row(f), nullptr, &loudest);
        epsilon.push_back(kSilentPower * std::max(loudest, kSilentPower * clipLoudest) + 1e-12);
    }
    double bestPitch = kVoiceMinHz, bestScore = -1;
    for (double f0 = kVoiceMinHz; f0 <= kVoiceMaxHz; f0 += 1.0) {
        double score = 0;
        for (int f = 0; f < int(frames); ++f) score += voiceShare(harmonicity(power.ptr<float>(f), bins, binHz, f0, epsilon[size_t(f)]).pitchClarity);
        if (score > bestScore) bestScore = score, bestPitch = f0;
    }
    bool voiced = false;
    for (int f = 0; f < int(frames); ++f) {
        const Harmonicity h = harmonicity(power.ptr<float>(f), bins, binHz, bestPitch, epsilon[size_t(f)]);
        voiced = voiced || voiceShare(h.clarity) > 0;
        // Compressed, as loudness is (the square root of the amplitude): the world's quiet vowels open the
        // mouth as wide as its loud ones.
        v.envelope.push_back(float(std::pow(std::max(0.0, h.excess), 0.25) * voiceShare(h.clarity)));
    }
    if (voiced) v.pitchHz = bestPitch;
    return v;
}

std::vector<float> voiceEnvelopePerFrame(const std::vector<float>& audio, int sampleRate, double fps, int64_t frames) {
    return analyseVoice(audio, sampleRate, fps, frames).envelope;
}

} // namespace tandem::render
