// Design note: writes a movie (or a sound file) through the FFmpeg libraries: H.264 (libx264, or NVIDIA's
// h264_nvenc when the machine has one) + AAC in MP4; ProRes 422 HQ + 24-bit PCM in MOV; 24-bit PCM alone in
// WAV. Audio of any rate is resampled to 48 kHz (libswresample), the rate of every Tandem sequence. The file
// is written beside the destination under a temporary name and renamed into place only by finish(), so a
// failed or abandoned write never leaves a half file where the user expects a finished one.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

struct AVFrame;

namespace tandem::render {

struct MovieSettings {
    int width = 0;
    int height = 0;
    double fps = 0;
    int input_sample_rate = 0; // 0 = no audio stream
    int channels = 1;
    int output_sample_rate = 48000;
    int crf = 18;                 // x264 quality (lower = better); NVENC's constant quality likewise
    std::string preset = "medium"; // x264 speed preset
    std::string container = "mp4"; // mp4 (H.264 + AAC) | mov (ProRes 422 HQ + PCM) | wav (PCM, no picture)
    // For mp4: libx264 | h264_nvenc | auto (NVENC when a GPU encoder opens, else libx264).
    std::string h264Encoder = "libx264";
};

class MovieWriter {
public:
    MovieWriter(const std::string& path, const MovieSettings& settings); // throws MediaError
    ~MovieWriter();                                                         // abandons an unfinished file
    MovieWriter(const MovieWriter&) = delete;
    MovieWriter& operator=(const MovieWriter&) = delete;

    void addFrame(const uint8_t* rgb);                  // width × height × 3 bytes
    // A decoded picture in the encoder's own pixel format and size, encoded as it is; false (nothing
    // written) when it is not, and the caller draws it in RGB instead.
    bool addDecodedFrame(const AVFrame* frame);
    void addAudio(const float* interleaved, int64_t n); // n samples per channel at input_sample_rate
    void finish();                                       // flushes, closes and renames into place
    const std::string& videoEncoder() const;             // the encoder in use ("" for a sound file)

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

} // namespace tandem::render
