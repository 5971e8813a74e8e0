// Design note: the sound side of lip-sync — per video frame, how loud the voice band is, whether it sounds
// like a voice, and when it changes. Speech, not sound: music beds, rain and effects under dialogue must not
// drive the correlation with a mouth, so a frame counts as voiced only when the voice band is loud *and*
// its spectrum is peaky (harmonics and formants); broadband noise (rain, wind, hiss, most impacts) is flat.
// Every per-frame value is taken from a window centred on the frame's own time (frame t shows at t / fps):
// the picture and the sound of index t are the same instant, so no half-frame bias enters the lag.
#pragma once

#include <cstdint>
#include <vector>

namespace tandem::render {

// The voice band: the first two formants and the fundamental's upper harmonics, above rumble and hum.
inline constexpr double kVoiceBandLowHz = 300, kVoiceBandHighHz = 3000;
// A voiced frame's band level is within this many dB of the clip's loud level (its 95th percentile)...
inline constexpr double kVoicedRangeDb = 30;
// ...and its band spectrum is peaky: spectral flatness (geometric / arithmetic mean of the power, 0 = a pure
// tone, 1 = a flat spectrum) below this. A film scene's dialogue frames mostly sit below 0.3; white noise
// sits near 0.56 (e^−γ, the flatness of a noise spectrum's exponentially distributed power).
inline constexpr double kMaxVoicedFlatness = 0.4;
// Quieter than the loud level by more than this is floored: the log level of near-silence is noise, and
// digital silence (a shifted track's padding) would otherwise be an infinitely deep "change".
inline constexpr double kLevelFloorDb = 30;

// Speech rises and falls with its syllables, several times a second: over voiced frames the level changes
// by this many dB a frame on average at least. Measured: dialogue 4.2–5.9 dB (a film scene, two webcam
// recordings); a machine's hum, water, a rocket launch 1.9–3.1 dB.
inline constexpr double kMinSyllabicChangeDb = 3.5;

struct SpeechActivity {
    std::vector<float> levelDb;  // voice-band level per frame (dB, floored)
    std::vector<float> flatness; // voice-band spectral flatness per frame (0..1)
    std::vector<uint8_t> voiced; // 1 where the frame is voiced speech
    std::vector<float> change; // |level(t+1) − level(t−1)| / 2 near voiced frames, else 0: syllable edges
    double voicedFraction = 0;
    double syllabicChangeDb = 0; // mean |level change| over voiced frames (see kMinSyllabicChangeDb)
};

// `audio` mono at `sampleRate`; `frames` video frames at `fps`.
SpeechActivity speechActivity(const std::vector<float>& audio, int sampleRate, double fps, int64_t frames);

} // namespace tandem::render
