#include "render/ffmpeg_util.h"

#include "render/media_error.h"

#include <filesystem>
#include <system_error>

namespace tandem::render {

std::string ffmpegErrorText(int code) {
    char buf[AV_ERROR_MAX_STRING_SIZE] = {};
    av_strerror(code, buf, sizeof buf);
    return buf;
}

FramePtr allocFrame() {
    FramePtr f(av_frame_alloc());
    if (!f) throw MediaError("out of memory allocating a frame");
    return f;
}

PacketPtr allocPacket() {
    PacketPtr p(av_packet_alloc());
    if (!p) throw MediaError("out of memory allocating a packet");
    return p;
}

InputFile::InputFile(const std::string& path) : path_(path) {
    std::error_code ec;
    if (!std::filesystem::exists(path, ec)) throw MediaError(path + ": no such file");
    if (std::filesystem::is_directory(path, ec)) throw MediaError(path + ": is a folder, not a media file");
    if (std::filesystem::file_size(path, ec) == 0) throw MediaError(path + ": the file is empty");
    av_log_set_level(AV_LOG_ERROR);
    int err = avformat_open_input(&ctx_, path.c_str(), nullptr, nullptr);
    if (err < 0) throw MediaError(path + ": not a readable media file (" + ffmpegErrorText(err) + ")");
    err = avformat_find_stream_info(ctx_, nullptr);
    if (err < 0) {
        avformat_close_input(&ctx_);
        throw MediaError(path + ": cannot read stream information (" + ffmpegErrorText(err) + ")");
    }
}

InputFile::~InputFile() { avformat_close_input(&ctx_); }

CodecContextPtr openDecoder(const InputFile& in, int index, int threads) {
    const AVStream* st = in.get()->streams[index];
    const AVCodec* codec = avcodec_find_decoder(st->codecpar->codec_id);
    if (!codec)
        throw MediaError(in.path() + ": no decoder for codec " + avcodec_get_name(st->codecpar->codec_id));
    CodecContextPtr ctx(avcodec_alloc_context3(codec));
    if (!ctx) throw MediaError("out of memory allocating a decoder");
    int err = avcodec_parameters_to_context(ctx.get(), st->codecpar);
    if (err < 0) throw MediaError(in.path() + ": bad codec parameters (" + ffmpegErrorText(err) + ")");
    ctx->thread_count = threads;
    ctx->pkt_timebase = st->time_base;
    err = avcodec_open2(ctx.get(), codec, nullptr);
    if (err < 0) throw MediaError(in.path() + ": cannot open the decoder (" + ffmpegErrorText(err) + ")");
    return ctx;
}

} // namespace tandem::render
