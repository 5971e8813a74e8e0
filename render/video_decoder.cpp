#include "render/video_decoder.h"

#include "render/ffmpeg_util.h"
#include "render/media_error.h"

#include <cmath>

namespace tandem::render {

struct VideoDecoder::Impl {
    std::unique_ptr<InputFile> in;
    int stream = -1;
    CodecContextPtr codec;
    SwsPtr sws;
    FramePtr frame;
    PacketPtr packet;
    double fps = 0;
    AVRational timeBase{1, 1};
    int64_t startPts = 0;
    int64_t nextIndex = 0;
    bool drained = false;

    int64_t indexOf(const AVFrame* f) const {
        const int64_t pts = f->best_effort_timestamp != AV_NOPTS_VALUE ? f->best_effort_timestamp : f->pts;
        if (pts == AV_NOPTS_VALUE) return nextIndex;
        return std::llround((pts - startPts) * av_q2d(timeBase) * fps);
    }

    // Receives the next decoded picture into `frame`; false at end of stream.
    bool decodeOne() {
        while (true) {
            int err = avcodec_receive_frame(codec.get(), frame.get());
            if (err == 0) return true;
            if (err == AVERROR_EOF) return false;
            if (err != AVERROR(EAGAIN)) throw MediaError(in->path() + ": decoding failed (" + ffmpegErrorText(err) + ")");
            if (drained) return false;
            err = av_read_frame(in->get(), packet.get());
            if (err < 0) {
                drained = true;
                avcodec_send_packet(codec.get(), nullptr);
                continue;
            }
            if (packet->stream_index == stream) avcodec_send_packet(codec.get(), packet.get());
            av_packet_unref(packet.get());
        }
    }

    void convert(Frame& out, int64_t index) {
        const int w = codec->width, h = codec->height;
        sws.reset(sws_getCachedContext(sws.release(), w, h, static_cast<AVPixelFormat>(frame->format), w, h,
                                       AV_PIX_FMT_RGB24, SWS_BILINEAR, nullptr, nullptr, nullptr));
        out.width = w;
        out.height = h;
        out.index = index;
        out.rgb.resize(static_cast<size_t>(w) * h * 3);
        uint8_t* dst[1] = {out.rgb.data()};
        const int stride[1] = {w * 3};
        sws_scale(sws.get(), frame->data, frame->linesize, 0, h, dst, stride);
    }
};

VideoDecoder::VideoDecoder(const std::string& path) : impl_(std::make_unique<Impl>()) {
    Impl& m = *impl_;
    m.in = std::make_unique<InputFile>(path);
    m.stream = av_find_best_stream(m.in->get(), AVMEDIA_TYPE_VIDEO, -1, -1, nullptr, 0);
    if (m.stream < 0) throw MediaError(path + ": has no video stream");
    m.codec = openDecoder(*m.in, m.stream);
    const AVStream* st = m.in->get()->streams[m.stream];
    m.timeBase = st->time_base;
    const AVRational rate = st->avg_frame_rate.num ? st->avg_frame_rate : st->r_frame_rate;
    m.fps = rate.den ? av_q2d(rate) : 25.0;
    m.startPts = st->start_time != AV_NOPTS_VALUE ? st->start_time : 0;
    m.frame = allocFrame();
    m.packet = allocPacket();
}

VideoDecoder::~VideoDecoder() = default;

int VideoDecoder::width() const { return impl_->codec->width; }
int VideoDecoder::height() const { return impl_->codec->height; }
double VideoDecoder::fps() const { return impl_->fps; }

int64_t VideoDecoder::frameCount() const {
    const AVStream* st = impl_->in->get()->streams[impl_->stream];
    if (st->nb_frames > 0) return st->nb_frames;
    const double seconds = st->duration != AV_NOPTS_VALUE ? st->duration * av_q2d(st->time_base)
                                                          : impl_->in->get()->duration / double(AV_TIME_BASE);
    return std::max<int64_t>(0, std::llround(seconds * impl_->fps));
}

bool VideoDecoder::readNext(Frame& out) {
    Impl& m = *impl_;
    if (!m.decodeOne()) return false;
    const int64_t index = m.indexOf(m.frame.get());
    m.convert(out, index);
    m.nextIndex = index + 1;
    return true;
}

bool VideoDecoder::seekTo(int64_t index, Frame& out) {
    Impl& m = *impl_;
    if (index != m.nextIndex) {
        const int64_t target = m.startPts + std::llround(index / m.fps / av_q2d(m.timeBase));
        if (int err = av_seek_frame(m.in->get(), m.stream, target, AVSEEK_FLAG_BACKWARD); err < 0)
            throw MediaError(m.in->path() + ": seek failed (" + ffmpegErrorText(err) + ")");
        avcodec_flush_buffers(m.codec.get());
        m.drained = false;
    }
    while (m.decodeOne()) {
        const int64_t got = m.indexOf(m.frame.get());
        if (got >= index) {
            m.convert(out, got);
            m.nextIndex = got + 1;
            return got == index;
        }
    }
    return false;
}

void decodeAudioBlocks(const std::string& path, int sampleRate, int channels, const AudioBlockSink& sink) {
    InputFile in(path);
    const int stream = av_find_best_stream(in.get(), AVMEDIA_TYPE_AUDIO, -1, -1, nullptr, 0);
    if (stream < 0) throw MediaError(path + ": has no audio stream");
    CodecContextPtr codec = openDecoder(in, stream);
    AVChannelLayout outLayout;
    av_channel_layout_default(&outLayout, channels);
    SwrContext* raw = nullptr;
    int err = swr_alloc_set_opts2(&raw, &outLayout, AV_SAMPLE_FMT_FLT, sampleRate, &codec->ch_layout,
                                  codec->sample_fmt, codec->sample_rate, 0, nullptr);
    SwrPtr swr(raw);
    if (err < 0 || (err = swr_init(raw)) < 0) throw MediaError(path + ": cannot resample its audio");
    std::vector<float> block;
    FramePtr frame = allocFrame();
    PacketPtr packet = allocPacket();
    auto convert = [&](const uint8_t** data, int n) {
        const int cap = swr_get_out_samples(raw, n);
        if (cap <= 0) return;
        block.resize(static_cast<size_t>(cap) * channels);
        uint8_t* dst[1] = {reinterpret_cast<uint8_t*>(block.data())};
        const int got = swr_convert(raw, dst, cap, data, n);
        if (got > 0) sink(block.data(), got);
    };
    auto receive = [&] {
        while (avcodec_receive_frame(codec.get(), frame.get()) == 0)
            convert(const_cast<const uint8_t**>(frame->extended_data), frame->nb_samples);
    };
    while (av_read_frame(in.get(), packet.get()) >= 0) {
        if (packet->stream_index == stream && avcodec_send_packet(codec.get(), packet.get()) == 0) receive();
        av_packet_unref(packet.get());
    }
    avcodec_send_packet(codec.get(), nullptr);
    receive();
    convert(nullptr, 0);
}

std::vector<float> decodeAudio(const std::string& path, int sampleRate, int channels) {
    std::vector<float> out;
    decodeAudioBlocks(path, sampleRate, channels,
                      [&](const float* samples, int64_t frames) { out.insert(out.end(), samples, samples + frames * channels); });
    return out;
}

} // namespace tandem::render
