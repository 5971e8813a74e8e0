// Test fixtures for lip-sync: talking clips with a known offset between picture and sound. The face is drawn
// (an oval with hair, brows, eyes, a nose and a mouth — the layout OpenCV's frontal-face cascade fires on),
// its mouth opening with the loudness of real speech synthesised by espeak-ng; the sound is that speech,
// shifted by the offset and optionally stretched (drift).
#pragma once

#include <string>
#include <vector>

namespace tandem::test {

struct TalkingFace {
    int width = 480, height = 270;
    double fps = 32;
    double audioOffsetSeconds = 0; // positive: the sound comes late
    double stretch = 1.0;          // > 1: the sound runs slow, drifting later through the shot
    bool silent = false;           // the mouth moves, the sound is silence
};

inline constexpr int kSpeechRate = 16000;
// `text` spoken by espeak-ng, mono at kSpeechRate (empty if espeak-ng is missing).
std::vector<float> synthesiseSpeech(const std::string& text);
// Writes the clip; its length is the speech's.
void writeTalkingFace(const std::string& path, const std::vector<float>& speech, const TalkingFace& spec);

} // namespace tandem::test
