// Design note: the lip-sync analyzer — how far a shot's sound is from its picture, measured from the media
// alone, for generated and imported shots alike.
//   Shots: cuts found first; in each shot every face is tracked (render/shot_faces), frontal and profile,
//   and the face whose mouth follows the speech best is that shot's speaker. Mouth signal: motion (crop
//   change, compressed, detrended); drawn faces by their skin colour.
//   Sound: voice-band level, voiced frames and syllable edges (render/speech_activity): speech, not sound.
//   The clip: the speakers' correlation curves summed over shots; per-shot offsets reported, and a shot
//   that confidently disagrees is marked slipped.
//   Shots with no face: the whole-frame motion-change envelope (how much the optical flow changes from one
//   frame to the next: impacts, landings, slams) against the audio onset strength.
// The offset is the lag of the best normalised cross-correlation within ±kMaxOffsetSeconds, refined between
// frames by a parabola through the peak. **Sign: positive = the audio is late** (it must move earlier to sync).
// Per-second offsets over sliding windows reveal drift. Silence, no face and no motion, or no clear peak give
// "no estimate" with the reason — never a made-up number.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace tandem::render {

// How far apart picture and sound may be searched: beyond half a second nobody calls it lip-sync any more.
inline constexpr double kMaxOffsetSeconds = 0.5;
// Below this normalised correlation peak the curves do not resemble each other: no estimate.
inline constexpr double kMinPeakCorrelation = 0.25;
// Per-second offsets are measured over windows of this length, one a second.
inline constexpr double kDriftWindowSeconds = 3.0;
// Speech: frames whose speech-band level is above this fraction of the shot's loud level count as voiced;
// fewer than kMinVoicedFraction of them is silence.
inline constexpr double kVoiceThreshold = 0.15;
inline constexpr double kMinVoicedFraction = 0.10;
// A face must be found on at least this share of the detection passes to measure lips.
inline constexpr double kMinFaceFraction = 0.5;

enum class SyncMethod { None, Lips, Impacts };
const char* syncMethodName(SyncMethod method);

struct MouthBox {
    int x = 0, y = 0, width = 0, height = 0; // in the file's pixels (as displayed); width 0 = no face
};

struct SyncWindow {
    double startSeconds = 0;
    std::optional<double> offsetMs; // nullopt: no estimate in this window
    double confidence = 0;
};

// One shot of the clip (between two cuts) and what it says about the offset.
struct ShotSync {
    int64_t startFrame = 0, endFrame = 0; // [start, end)
    double startSeconds = 0, endSeconds = 0;
    int faces = 0;                   // faces tracked in the shot
    int speaker = -1;                // which of them was measured (the one whose mouth follows the speech); -1 none
    std::optional<double> offsetMs;  // nullopt: left out (see reason)
    double confidence = 0;
    std::string reason;              // why the shot is left out
    bool slipped = false;            // its offset confidently disagrees with the clip's: an edit slipped it
};

struct SyncReport {
    SyncMethod method = SyncMethod::None;
    std::optional<double> offsetMs; // positive = audio late; nullopt = no estimate
    double confidence = 0;          // 0..1: peak correlation and how far it stands above the other lags
    std::string reason;             // why there is no estimate (empty when there is one)
    std::vector<SyncWindow> perSecond;
    std::optional<double> driftMsPerSecond; // robust slope of the per-second offsets (needs ≥ 4 of them)
    double fps = 0;
    int64_t frames = 0;
    double faceFraction = 0;           // share of detection passes that found a face
    std::vector<float> videoSignal;    // per frame, 0..1: each shot's speaker's mouth motion, or motion change
    std::vector<float> audioSignal;    // per frame, 0..1: the voice level's change, or onset strength
    std::vector<MouthBox> mouths;      // per frame (Lips), for filmstrips of mouth crops: the speaker's
    std::vector<ShotSync> shots;       // every shot, in order (Lips); those left out say why
    int shotsLeftOut = 0;              // shots with no voiced speech or no face following it
};

struct SyncOptions {
    int analysisHeight = 270; // frames are analysed scaled to this height (never enlarged)
    int detectEvery = 8;      // frames between face detections
    double maxSeconds = 600;  // longer files are refused
};

// Decodes `path` (picture and sound) and measures it. Throws MediaError when it cannot be read.
SyncReport analyseSync(const std::string& path, const SyncOptions& options = {});

// The core on signals already extracted (tests, and the panel's re-analysis of a range): per-frame video and
// audio signals of equal length at `fps`.
SyncReport measureOffset(const std::vector<float>& video, const std::vector<float>& audio, double fps,
                         SyncMethod method);

} // namespace tandem::render
