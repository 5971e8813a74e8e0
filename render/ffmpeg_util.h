// Design note: small RAII owners for FFmpeg's C objects, so every error path frees what it opened.
#pragma once

extern "C" {
#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavutil/audio_fifo.h>
#include <libavutil/channel_layout.h>
#include <libavutil/display.h>
#include <libavutil/imgutils.h>
#include <libavutil/opt.h>
#include <libswresample/swresample.h>
#include <libswscale/swscale.h>
}

#include <memory>
#include <string>

namespace tandem::render {

struct AvFrameDeleter {
    void operator()(AVFrame* f) const { av_frame_free(&f); }
};
struct AvPacketDeleter {
    void operator()(AVPacket* p) const { av_packet_free(&p); }
};
struct AvCodecContextDeleter {
    void operator()(AVCodecContext* c) const { avcodec_free_context(&c); }
};
struct SwrDeleter {
    void operator()(SwrContext* s) const { swr_free(&s); }
};
struct SwsDeleter {
    void operator()(SwsContext* s) const { sws_freeContext(s); }
};
struct AudioFifoDeleter {
    void operator()(AVAudioFifo* f) const { av_audio_fifo_free(f); }
};
using FramePtr = std::unique_ptr<AVFrame, AvFrameDeleter>;
using PacketPtr = std::unique_ptr<AVPacket, AvPacketDeleter>;
using CodecContextPtr = std::unique_ptr<AVCodecContext, AvCodecContextDeleter>;
using SwrPtr = std::unique_ptr<SwrContext, SwrDeleter>;
using SwsPtr = std::unique_ptr<SwsContext, SwsDeleter>;
using AudioFifoPtr = std::unique_ptr<AVAudioFifo, AudioFifoDeleter>;

FramePtr allocFrame();
PacketPtr allocPacket();

// An opened, probed input file. Throws MediaError when it cannot be opened or holds nothing readable.
class InputFile {
public:
    explicit InputFile(const std::string& path);
    ~InputFile();
    InputFile(const InputFile&) = delete;
    InputFile& operator=(const InputFile&) = delete;
    AVFormatContext* get() const { return ctx_; }
    const std::string& path() const { return path_; }

private:
    std::string path_;
    AVFormatContext* ctx_ = nullptr;
};

// Facts about a video stream that the prober and the decoder both need, in one place.
int displayRotation(const AVStream* stream); // clockwise degrees the picture is turned for display: 0/90/180/270
bool isStillImage(const AVFormatContext* format, const AVStream* stream); // one picture, not a movie
bool hasVariableRate(const AVStream* stream);

// Opens a decoder for stream `index` of `in`, with `threads` decoding threads (0 = FFmpeg's choice).
CodecContextPtr openDecoder(const InputFile& in, int index, int threads = 0);

} // namespace tandem::render
