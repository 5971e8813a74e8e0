// Design note: the sequence's sound, sample-accurately. Audio tracks are lists of clips placed on a sample
// timeline (48 kHz stereo float, interleaved); each clip plays a range of a decoded source with its own gain
// and linear fades, each track adds gain, a constant-power pan, mute and solo. Mixing is a pure function of
// that description and a sample range, so playback (a block at a time) and export (the whole sequence) hear
// exactly the same thing, and a clip's first and last samples land exactly where the sequence says.
// Converting frames to samples is the project's job (timeline::TimeMap); nothing here knows frames.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace tandem::render {

inline constexpr int kMixRate = 48000;
inline constexpr int kMixChannels = 2;

// A decoded source at the mix rate, interleaved stereo (render::decodeAudio(path, kMixRate, kMixChannels)).
struct AudioSource {
    std::vector<float> samples;
    int64_t frames() const { return int64_t(samples.size()) / kMixChannels; } // sample frames (L+R pairs)
};

// Decodes `path`'s sound as an AudioSource. Throws MediaError.
std::shared_ptr<const AudioSource> decodeAudioSource(const std::string& path);

struct MixClip {
    std::shared_ptr<const AudioSource> source;
    int64_t start = 0;       // first sample of the sequence it plays at
    int64_t sourceStart = 0; // first sample of the source it plays
    int64_t length = 0;      // samples
    double gainDb = 0;
    int64_t fadeIn = 0, fadeOut = 0; // samples of linear ramp at each end
};

struct MixTrack {
    std::vector<MixClip> clips;
    double gainDb = 0;
    double pan = 0; // −1 left … 0 centre … +1 right; constant power, unity at the centre
    bool mute = false;
    bool solo = false; // when any track is soloed, only soloed tracks sound
    std::string name;  // for stems and messages
};

// Adds the mix of samples [from, from + count) to `out` (count × 2 floats, interleaved); silence where no
// clip plays, and past the end of a source.
void mixInto(const std::vector<MixTrack>& tracks, int64_t from, int64_t count, float* out);

// The whole mix up to the last clip's end.
std::vector<float> mixAll(const std::vector<MixTrack>& tracks);

double decibelsToGain(double db);

} // namespace tandem::render
