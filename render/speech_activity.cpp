#include "render/speech_activity.h"

#include "render/sync_metrics.h"

#include <opencv2/core.hpp>

#include <algorithm>
#include <cmath>

namespace tandem::render {

namespace {

// 64 ms at 16 kHz: a few pitch periods, short enough to see a syllable's edge.
constexpr int kWindowSamples = 1024;
// A syllable edge counts where a voiced frame is this close: the edge itself (silence → voice) is not voiced.
constexpr int kVoicedReachFrames = 2;

} // namespace

SpeechActivity speechActivity(const std::vector<float>& audio, int sampleRate, double fps, int64_t frames) {
    SpeechActivity out;
    if (frames <= 0 || fps <= 0) return out;
    // Every frame's windowed samples as one row; one row-wise DFT does them all.
    cv::Mat rows(int(frames), kWindowSamples, CV_32F, cv::Scalar(0));
    std::vector<float> hann(kWindowSamples);
    for (int i = 0; i < kWindowSamples; ++i)
        hann[size_t(i)] = float(0.5 - 0.5 * std::cos(2 * M_PI * i / kWindowSamples));
    for (int64_t t = 0; t < frames; ++t) {
        const auto centre = int64_t(std::llround(double(t) / fps * sampleRate));
        float* row = rows.ptr<float>(int(t));
        for (int i = 0; i < kWindowSamples; ++i) {
            const int64_t at = centre - kWindowSamples / 2 + i;
            if (at >= 0 && at < int64_t(audio.size())) row[i] = audio[size_t(at)] * hann[size_t(i)];
        }
    }
    cv::Mat spectrum;
    cv::dft(rows, spectrum, cv::DFT_ROWS | cv::DFT_COMPLEX_OUTPUT);
    const double binHz = double(sampleRate) / kWindowSamples;
    const int low = int(std::ceil(kVoiceBandLowHz / binHz)),
              high = std::min(kWindowSamples / 2, int(kVoiceBandHighHz / binHz));
    std::vector<float> power(static_cast<size_t>(frames));
    out.flatness.assign(size_t(frames), 1.f);
    for (int64_t t = 0; t < frames; ++t) {
        const auto* bins = spectrum.ptr<cv::Vec2f>(int(t));
        double sum = 0, logSum = 0;
        for (int k = low; k <= high; ++k) {
            const double p = double(bins[k][0]) * bins[k][0] + double(bins[k][1]) * bins[k][1] + 1e-12;
            sum += p;
            logSum += std::log(p);
        }
        const int n = high - low + 1;
        power[size_t(t)] = float(sum);
        out.flatness[size_t(t)] = float(std::exp(logSum / n) / (sum / n));
    }
    // Levels in dB against the loud level, floored.
    const float loud = percentile(power, 0.95);
    out.levelDb.assign(size_t(frames), float(-kLevelFloorDb));
    out.voiced.assign(size_t(frames), 0);
    out.change.assign(size_t(frames), 0.f);
    if (loud <= 1e-9f) return out; // silence: nothing voiced, nothing changes
    int64_t voicedCount = 0;
    for (int64_t t = 0; t < frames; ++t) {
        const double db = 10 * std::log10(std::max(double(power[size_t(t)]), 1e-12) / loud);
        out.levelDb[size_t(t)] = float(std::max(db, -kLevelFloorDb));
        const bool voiced = db > -kVoicedRangeDb && out.flatness[size_t(t)] < kMaxVoicedFlatness;
        out.voiced[size_t(t)] = voiced;
        voicedCount += voiced;
    }
    out.voicedFraction = double(voicedCount) / double(frames);
    for (int64_t t = 1; t + 1 < frames; ++t) {
        bool nearVoice = false;
        for (int64_t k = std::max<int64_t>(0, t - kVoicedReachFrames);
             k <= std::min(frames - 1, t + kVoicedReachFrames); ++k)
            nearVoice = nearVoice || out.voiced[size_t(k)];
        if (nearVoice)
            out.change[size_t(t)] = std::abs(out.levelDb[size_t(t + 1)] - out.levelDb[size_t(t - 1)]) / 2;
    }
    double changeSum = 0;
    for (int64_t t = 0; t < frames; ++t)
        if (out.voiced[size_t(t)]) changeSum += out.change[size_t(t)];
    out.syllabicChangeDb = voicedCount ? changeSum / double(voicedCount) : 0;
    return out;
}

} // namespace tandem::render
