// Design note: what a media file holds, read through libavformat without decoding: streams, codecs,
// sizes, rates, durations. Anything FFmpeg cannot open or that has no audio or video gets a MediaError
// naming the file and the reason.
#pragma once

#include <string>
#include <vector>

namespace tandem::render {

struct StreamInfo {
    enum class Kind { Video, Audio, Other } kind = Kind::Other;
    int index = 0;
    std::string codec;       // e.g. "h264", "aac"
    double duration = 0;     // seconds; 0 when the container does not say
    // video
    int width = 0, height = 0;
    double fps = 0;
    int64_t frames = 0;      // 0 when unknown
    // audio
    int sample_rate = 0, channels = 0;
};

struct MediaInfo {
    std::string path;
    std::string container;   // e.g. "mov,mp4,m4a,3gp,3g2,mj2"
    double duration = 0;     // seconds
    std::vector<StreamInfo> streams;

    const StreamInfo* firstVideo() const;
    const StreamInfo* firstAudio() const;
};

MediaInfo probe(const std::string& path); // throws MediaError

} // namespace tandem::render
