// Design note: measurements of how picture and sound line up, from the media alone — used by the model
// evaluation (impact sync, lip sync) and by the lip-sync analyzer. Sign convention everywhere: a positive
// offset means the audio is late. Signals are per video frame unless named otherwise.
#pragma once

#include <cstdint>
#include <optional>
#include <utility>
#include <vector>

namespace tandem::render {

// The q-quantile (0..1) of the values, by partial sort; 0 for none.
float percentile(std::vector<float> v, double q);

// RMS of the audio under each video frame.
std::vector<float> audioEnvelopePerFrame(const std::vector<float>& audio, int sampleRate, double fps, int64_t frames);

// RMS per video frame of the speech band (kSpeechBandLowHz–kSpeechBandHighHz, two band-pass biquads): the
// first two formants of a voice, above the low rumble of wind and most impact modes. A proxy for the voice
// envelope when only the mixed soundtrack is at hand.
inline constexpr double kSpeechBandLowHz = 600, kSpeechBandHighHz = 2500;
std::vector<float> speechBandEnvelopePerFrame(const std::vector<float>& audio, int sampleRate, double fps, int64_t frames);

// Onset times (seconds) by spectral flux: every 5 ms, the sum over frequencies of how much the magnitude
// (16 ms Hann window) grew since the last frame. An onset is a local peak of that flux above kOnsetRatio ×
// its mean over the preceding 50 ms and above kOnsetFloor × the clip's largest flux; onsets closer than
// kOnsetRefractorySeconds merge into the first. Flux, not energy: a new impact over one still ringing
// adds frequencies without doubling the energy, and a raindrop's one-sample click adds little magnitude.
inline constexpr double kOnsetRatio = 3.0;
inline constexpr double kOnsetFloor = 0.05;
inline constexpr double kOnsetRefractorySeconds = 0.03; // two impacts 50 ms apart are two
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

// Centre of an object's colour in each frame (nullopt where fewer than `minPixels`): the pixels within
// `tolerance` of `rgb` less thin strokes (render/colour_mask.h).
std::vector<std::optional<std::pair<float, float>>> trackColour(const uint8_t* frames, int64_t count, int width, int height,
                                                                const uint8_t rgb[3], int tolerance = 40, int minPixels = 6);

// Drawn impacts that the world makes heard, at sub-frame times (in frames, 0 = the first frame's instant):
// a landing whose speed into the floor is at least kAudibleLandingSpeed frame heights per second, or a
// sliding object (no vertical motion) that reverses at kAudibleWallSpeed frame widths per second or more.
// Slower contacts are nearly silent, and a bouncing object that drifts into a side wall is silent: counting
// them would match them to unrelated sounds. The time is where the line of the two positions before the
// turn meets the line of the two after it (a resting object's line is flat), so an impact between frames is
// placed between them.
// With `areas` (colourAreas), only frames where the object is whole — at least kWholeAreaFraction of its
// largest area — are read: a centre that moves because another object or the face covers part of it is no
// motion.
inline constexpr double kAudibleLandingSpeed = 0.6;
inline constexpr double kAudibleWallSpeed = 0.15;
inline constexpr double kWholeAreaFraction = 0.85;
std::vector<double> visualImpactTimes(const std::vector<std::optional<std::pair<float, float>>>& track, double fps, int width,
                                      int height, const std::vector<int>& areas = {});
// Pixels of an object's colour (as trackColour counts them) in each frame.
std::vector<int> colourAreas(const uint8_t* frames, int64_t count, int width, int height, const uint8_t rgb[3], int tolerance = 40);

// How open a drawn mouth is on each frame: the mouth-coloured pixels (kMouthRgb) inside the outline (convex
// hull) of the skin-coloured face (kSkinRgb), per pixel of face width — the world's faces and what the model draws
// for them. Empty when no face is seen on at least half of the frames (then there is nothing to measure).
inline constexpr uint8_t kSkinRgb[3] = {230, 190, 150};
inline constexpr uint8_t kMouthRgb[3] = {90, 20, 30};
std::vector<float> mouthOpennessPerFrame(const uint8_t* frames, int64_t count, int width, int height, int tolerance = 40);

// A drawn impact and a heard onset belong together when they are at most kMatchWindowFrames apart: wider
// windows pair a drawn impact with an unrelated sound (a syllable, a raindrop) and flatter the median.
inline constexpr double kMatchWindowFrames = 3.0;
struct EventSync {
    std::vector<double> offsetsFrames; // per matched video event: nearest audio onset minus the event, in frames
    int events = 0;                    // video events looked at (matched or not)
    double medianAbs = 0, p90Abs = 0;
};
// Matches each video event (in frames, sub-frame) with the nearest audio onset (seconds); events with no
// onset within `windowFrames` are counted in `events` but have no offset.
EventSync matchEvents(const std::vector<double>& videoFrames, const std::vector<double>& audioOnsets, double fps,
                      double windowFrames = kMatchWindowFrames);

} // namespace tandem::render
