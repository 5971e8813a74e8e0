// Design note: decodes a file's first video stream to RGB frames — in order, by exact frame index, or by
// time. Frame numbers come from presentation timestamps at the stream's frame rate, so a seek lands on the
// frame the user asked for, not on the nearest keyframe. By time is what the compositor uses: the frame
// showing at an instant is the last one whose timestamp is not after it, which is right for constant and
// variable frame rates alike; a still image shows its one picture at every time. Pictures come out turned
// the way the file's display matrix says (phone footage shot upright). Caching and prefetch live above it
// (render/frame_cache.h).
#pragma once

#include "render/frame.h"

#include <functional>
#include <memory>
#include <string>

struct AVFrame;

namespace tandem::render {

// A frame scaled down for analysis, upright.
struct SmallFrame {
    int width = 0, height = 0;
    int64_t index = 0;
    std::vector<uint8_t> grey; // width × height
    std::vector<uint8_t> rgb;  // width × height × 3, when asked for (else empty)
};

class VideoDecoder {
public:
    explicit VideoDecoder(const std::string& path); // throws MediaError
    ~VideoDecoder();

    int width() const;  // as displayed (after rotation)
    int height() const;
    double fps() const; // average rate; 0 for a still image
    bool still() const;
    int64_t frameCount() const; // from the container; an estimate for some formats

    bool readNext(Frame& out);                // false at the end of the stream
    bool seekTo(int64_t index, Frame& out);   // decodes exactly frame `index`
    // The next frame scaled to at most `maxHeight` rows (aspect kept; never enlarged), for analysis: grey
    // straight from the luma plane, colour only when asked — a fraction of readNext's full-size conversion.
    bool readNextSmall(SmallFrame& out, int maxHeight, bool colour);
    // Analysis may skip the deblocking filter: about a quarter less decoding work, slightly blockier pictures.
    void setSkipLoopFilter(bool skip);

    // The picture showing at `seconds` of media time (before the first frame: the first; after the last:
    // the last), owned by the decoder and valid until its next call; nullptr only when nothing decodes.
    // Walking forward decodes straight on; going back, or jumping far ahead, seeks.
    const Frame* frameAtTime(double seconds);
    // The same picture as FFmpeg decoded it (no colour conversion, no rotation applied), for handing
    // straight to an encoder; owned by the decoder, valid until its next call.
    const AVFrame* rawFrameAtTime(double seconds);
    int rotation() const; // clockwise degrees the raw picture still needs
    // Where to ask frameAtTime for the source frame *nearest* `seconds` (ties to the later one), the way a
    // change of frame rate picks frames: half a frame on, for a movie; `seconds` itself for a still. MLT
    // conforms a clip of another rate the same way, so Shotcut and Kdenlive show the frames Tandem shows.
    double nearestFrameTime(double seconds) const;

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

// Decodes the first audio stream of `path`, resampled to `sampleRate` with `channels` interleaved channels.
// Throws MediaError when there is no audio.
std::vector<float> decodeAudio(const std::string& path, int sampleRate, int channels);

// The same, a block at a time, for files too long to hold decoded (an hour of stereo is 1.4 GB of floats):
// `sink(samples, frames)` receives interleaved blocks in order.
using AudioBlockSink = std::function<void(const float* samples, int64_t frames)>;
void decodeAudioBlocks(const std::string& path, int sampleRate, int channels, const AudioBlockSink& sink);

} // namespace tandem::render
