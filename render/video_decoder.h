// Design note: decodes a file's first video stream to RGB frames, in order or by exact frame index.
// Frame numbers come from presentation timestamps at the stream's frame rate, so a seek lands on the frame
// the user asked for, not on the nearest keyframe. (Issue-level growth: caching and prefetch live above it.)
#pragma once

#include "render/frame.h"

#include <functional>
#include <memory>
#include <string>

namespace tandem::render {

class VideoDecoder {
public:
    explicit VideoDecoder(const std::string& path); // throws MediaError
    ~VideoDecoder();

    int width() const;
    int height() const;
    double fps() const;
    int64_t frameCount() const; // from the container; an estimate for some formats

    bool readNext(Frame& out);                // false at the end of the stream
    bool seekTo(int64_t index, Frame& out);   // decodes exactly frame `index`

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
