// Design note: measurements of a sound against another or on its own, for the model evaluation: how far
// a reconstruction or a generated sound is from the true one (multi-resolution STFT distance, the usual
// yardstick of neural audio codecs), and the pitch of a voice (so a voice reference can be checked).
// OpenCV's DFT does the transforms.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

namespace tandem::render {

// Mean over FFT sizes 128, 512 and 2048 (Hann window, hop a quarter of the size) of spectral convergence
// ‖|S| − |R|‖ / ‖|S|‖ plus the mean absolute difference of log magnitudes: 0 for identical sounds; a
// muffled copy (high frequencies lost) scores high on the log term. `reference` is the true sound.
double multiResolutionStftDistance(const std::vector<float>& reference, const std::vector<float>& other);

// Median fundamental frequency (Hz) of the voiced frames of `audio` — frames (40 ms) whose normalised
// autocorrelation peak within kPitchMinHz…kPitchMaxHz reaches kVoicedCorrelation; nullopt with fewer than
// kMinVoicedFrames such frames.
inline constexpr double kPitchMinHz = 80, kPitchMaxHz = 320;
inline constexpr double kVoicedCorrelation = 0.6;
inline constexpr int kMinVoicedFrames = 4;
std::optional<double> medianPitchHz(const std::vector<float>& audio, int sampleRate);

// The voice's envelope per video frame, from a mixed soundtrack: the energy on the harmonics 2…8 of the
// clip's voice pitch less the energy between them (64 ms Hann frames centred on each video frame), counted
// only as far as the harmonics stand out on several of them, compressed like loudness (square root of the
// amplitude). The pitch is the one (kVoiceMinHz…kVoiceMaxHz,
// 1 Hz steps) whose harmonics stand out most over the whole clip. Rain and wind are noise, as loud between
// the harmonics as on them; an impact rings at a few inharmonic partials, on one harmonic at most; a
// voice's pulse train puts its energy on all of them.
inline constexpr double kVoiceMinHz = 100, kVoiceMaxHz = 220;
std::vector<float> voiceEnvelopePerFrame(const std::vector<float>& audio, int sampleRate, double fps, int64_t frames);
// The same with the pitch found (nullopt when no frame is voiced): a voice's pitch in a mixed soundtrack,
// where an autocorrelation (medianPitchHz) would also read an impact's ring.
struct VoiceAnalysis {
    std::optional<double> pitchHz;
    std::vector<float> envelope;
};
VoiceAnalysis analyseVoice(const std::vector<float>& audio, int sampleRate, double fps, int64_t frames);

} // namespace tandem::render
