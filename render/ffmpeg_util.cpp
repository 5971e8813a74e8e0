#include "render/ffmpeg_util.h"

#include "render/media_error.h"

#include <cmath>
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

int displayRotation(const AVStream* stream) {
    const auto* matrix = reinterpret_cast<const int32_t*>(
        av_stream_get_side_data(stream, AV_PKT_DATA_DISPLAYMATRIX, nullptr));
    if (!matrix) return 0;
    // av_display_rotation_get is counter-clockwise; round to the quarter turns a display can honour.
    const double ccw = av_display_rotation_get(matrix);
    if (std::isnan(ccw)) return 0;
    const int quarters = static_cast<int>(std::lround(-ccw / 90.0));
    return ((quarters % 4) + 4) % 4 * 90;
}

bool isStillImage(const AVFormatContext* format, const AVStream* stream) {
    if (stream->codecpar->codec_type != AVMEDIA_TYPE_VIDEO) return false;
    // Image demuxers are named image2 or <codec>_pipe; a movie with a single frame is a still as well.
    const std::string demuxer = format->iformat ? format->iformat->name : "";
    const bool imageDemuxer = demuxer == "image2" || demuxer.ends_with("_pipe");
    return imageDemuxer || stream->nb_frames == 1;
}

bool hasVariableRate(const AVStream* stream) {
    // r_frame_rate is the lowest rate that represents every timestamp; the average differs when frame
    // times are uneven. A 1 % tolerance keeps NTSC rounding (29.97 vs 30000/1001) constant.
    const AVRational r = stream->r_frame_rate, avg = stream->avg_frame_rate;
    if (!r.num || !r.den || !avg.num || !avg.den) return false;
    return std::abs(av_q2d(r) / av_q2d(avg) - 1.0) > 0.01;
}

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
