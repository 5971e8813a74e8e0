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
    // video: width and height as displayed, i.e. after the rotation the file asks for
    int width = 0, height = 0;
    int rotation = 0;        // clockwise degrees the picture is turned for display: 0, 90, 180 or 270
    double fps = 0;          // the average rate; for a still image 0
    int64_t frames = 0;      // 0 when unknown
    bool still = false;      // a single picture (PNG, JPEG, …): shown for as long as its clip lasts
    bool variableRate = false; // frame times are not evenly spaced (phone footage); mapped by time
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
