// Design note: measurements of how picture and sound line up, from the media alone — used by the model
// evaluation (impact sync, lip sync) and by the lip-sync analyzer. Sign convention everywhere: a positive
// offset means the audio is late. Signals are per video frame unless named otherwise.
#pragma once

#include <cstdint>
#include <optional>
#include <utility>
#include <vector>

namespace tandem::render {

// RMS of the audio under each video frame.
std::vector<float> audioEnvelopePerFrame(const std::vector<float>& audio, int sampleRate, double fps, int64_t frames);

// RMS per video frame of the speech band (kSpeechBandLowHz–kSpeechBandHighHz, two band-pass biquads): the
// first two formants of a voice, above the low rumble of wind and most impact modes. A proxy for the voice
// envelope when only the mixed soundtrack is at hand.
inline constexpr double kSpeechBandLowHz = 600, kSpeechBandHighHz = 2500;
std::vector<float> speechBandEnvelopePerFrame(const std::vector<float>& audio, int sampleRate, double fps, int64_t frames);

// Onset times (seconds): a 5 ms energy frame that jumps above both kOnsetRatio × the mean of the preceding
// 50 ms and an absolute floor; onsets closer than kOnsetRefractorySeconds merge into the first.
inline constexpr double kOnsetRatio = 4.0;
inline constexpr double kOnsetRefractorySeconds = 0.06;
std::vector<double> audioOnsets(const std::vector<float>& audio, int sampleRate);

struct LagEstimate {
    int lag = 0;             // frames; positive = the second signal (audio) is late
    double correlation = 0;  // Pearson correlation at that lag
};
// Pearson correlation of video frame i with audio frame i + lag over their overlap; nullopt when either
// part is (nearly) constant or fewer than 4 frames overlap.
std::optional<double> lagCorrelation(const std::vector<float>& video, const std::vector<float>& audio, int lag);
// Best lag within ±maxLag frames; nullopt when either signal is (nearly) constant — no estimate, not zero.
std::optional<LagEstimate> bestLag(const std::vector<float>& video, const std::vector<float>& audio, int maxLag);

// Centre of the pixels within `tolerance` of `rgb` in each frame (nullopt where fewer than `minPixels`).
std::vector<std::optional<std::pair<float, float>>> trackColour(const uint8_t* frames, int64_t count, int width, int height,
                                                                const uint8_t rgb[3], int tolerance = 40, int minPixels = 6);

// Frames f where a tracked object, moving between frames f and f + 1, stops moving down (lands or bounces)
// or reverses horizontally (hits a wall).
std::vector<int64_t> motionImpactFrames(const std::vector<std::optional<std::pair<float, float>>>& track,
                                        float minSpeed = 1.5f);

// How open a drawn mouth is on each frame: the mouth-coloured pixels (kMouthRgb) inside the bounding box of
// the skin-coloured face (kSkinRgb), per pixel of face width — the world's faces and what the model draws
// for them. Empty when no face is seen on at least half of the frames (then there is nothing to measure).
inline constexpr uint8_t kSkinRgb[3] = {230, 190, 150};
inline constexpr uint8_t kMouthRgb[3] = {90, 20, 30};
std::vector<float> mouthOpennessPerFrame(const uint8_t* frames, int64_t count, int width, int height, int tolerance = 40);

struct EventSync {
    std::vector<double> offsetsFrames; // per video event: nearest audio onset minus the event, in frames
    double medianAbs = 0, p90Abs = 0;
};
// Matches each video event (frame) with the nearest audio onset (seconds); events with no onset within
// `window` seconds are left out.
EventSync matchEvents(const std::vector<int64_t>& videoFrames, const std::vector<double>& audioOnsets, double fps,
                      double window = 0.5);

} // namespace tandem::render
