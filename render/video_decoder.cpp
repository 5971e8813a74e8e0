#include "render/video_decoder.h"

#include "render/ffmpeg_util.h"
#include "render/media_error.h"

#include <opencv2/core.hpp>
#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <cmath>

namespace tandem::render {

namespace {
// A decoded frame whose timestamp is within this fraction of a frame period after the asked time still
// counts as showing then: container timestamps are rounded to their time base.
constexpr double kTimeToleranceFrames = 0.05;
// Walking forward further than this decodes more than a seek to the keyframe before the target would.
constexpr double kSeekAheadSeconds = 2.0;
// Row length (bytes) swscale's vector code writes in whole multiples of.
constexpr int kSwsRowAlign = 64;

// YUV to RGB with the matrix and range the picture says it was made with (a phone's BT.709, MLT's renders):
// swscale would otherwise take BT.601 for all. Untagged pictures stay BT.601, as FFmpeg writes them.
void useSourceColours(SwsContext* sws, const AVFrame* src) {
    int matrix = SWS_CS_DEFAULT;
    switch (src->colorspace) {
    case AVCOL_SPC_BT709: matrix = SWS_CS_ITU709; break;
    case AVCOL_SPC_FCC: matrix = SWS_CS_FCC; break;
    case AVCOL_SPC_SMPTE240M: matrix = SWS_CS_SMPTE240M; break;
    case AVCOL_SPC_BT2020_NCL:
    case AVCOL_SPC_BT2020_CL: matrix = SWS_CS_BT2020; break;
    default: break;
    }
    int* invTable = nullptr;
    int* table = nullptr;
    int srcRange = 0, dstRange = 0, brightness = 0, contrast = 0, saturation = 0;
    // Not a YUV source (or one swscale cannot adjust): its conversion stays as it is.
    if (sws_getColorspaceDetails(sws, &invTable, &srcRange, &table, &dstRange, &brightness, &contrast, &saturation) < 0) return;
    const int fullRange = src->color_range == AVCOL_RANGE_JPEG ? 1 : srcRange;
    sws_setColorspaceDetails(sws, sws_getCoefficients(matrix), fullRange, table, dstRange, brightness, contrast, saturation);
}
} // namespace

struct VideoDecoder::Impl {
    std::unique_ptr<InputFile> in;
    int stream = -1;
    CodecContextPtr codec;
    SwsPtr sws;
    SwsPtr smallSws; // analysis frames: scaled down
    FramePtr frame;
    PacketPtr packet;
    double fps = 0;
    bool isStill = false;
    int rotation = 0;
    AVRational timeBase{1, 1};
    int64_t startPts = 0;
    int64_t nextIndex = 0;
    bool drained = false;
    std::vector<uint8_t> staging; // padded rows for swscale, before rotation
    // By-time state: the decoded frame showing at the last asked time, and the one decoded after it.
    FramePtr current, ahead;
    double currentTime = 0, aheadTime = 0;
    bool haveCurrent = false, haveAhead = false, timeStateValid = false;
    Frame shown;
    bool shownIsCurrent = false;

    int64_t ptsOf(const AVFrame* f) const {
        return f->best_effort_timestamp != AV_NOPTS_VALUE ? f->best_effort_timestamp : f->pts;
    }
    double timeOf(const AVFrame* f) const {
        const int64_t pts = ptsOf(f);
        return pts == AV_NOPTS_VALUE ? nextIndex / std::max(fps, 1.0) : (pts - startPts) * av_q2d(timeBase);
    }
    int64_t indexOf(const AVFrame* f) const {
        if (ptsOf(f) == AV_NOPTS_VALUE) return nextIndex;
        return std::llround(timeOf(f) * fps);
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

    void seekToTime(double seconds) {
        const int64_t target = startPts + std::llround(std::max(0.0, seconds) / av_q2d(timeBase));
        if (int err = av_seek_frame(in->get(), stream, target, AVSEEK_FLAG_BACKWARD); err < 0)
            throw MediaError(in->path() + ": seek failed (" + ffmpegErrorText(err) + ")");
        avcodec_flush_buffers(codec.get());
        drained = false;
    }

    void convert(const AVFrame* src, Frame& out, int64_t index) {
        const int w = src->width, h = src->height;
        sws.reset(sws_getCachedContext(sws.release(), w, h, static_cast<AVPixelFormat>(src->format), w, h,
                                       AV_PIX_FMT_RGB24, SWS_BILINEAR, nullptr, nullptr, nullptr));
        useSourceColours(sws.get(), src);
        const bool sideways = rotation % 180 != 0;
        out.width = sideways ? h : w;
        out.height = sideways ? w : h;
        out.index = index;
        out.rgb.resize(static_cast<size_t>(w) * h * 3);
        // swscale's vector code writes whole blocks, past the end of a row whose bytes are not a multiple of
        // the block: such rows (and turned pictures) go through a padded staging picture first.
        const int rowBytes = w * 3;
        const bool direct = rotation == 0 && rowBytes % kSwsRowAlign == 0;
        const int stagingStride = (rowBytes + kSwsRowAlign - 1) / kSwsRowAlign * kSwsRowAlign;
        if (!direct) staging.resize(size_t(stagingStride) * h + kSwsRowAlign);
        uint8_t* dst[1] = {direct ? out.rgb.data() : staging.data()};
        const int stride[1] = {direct ? rowBytes : stagingStride};
        sws_scale(sws.get(), src->data, src->linesize, 0, h, dst, stride);
        if (direct) return;
        const cv::Mat upright(h, w, CV_8UC3, staging.data(), size_t(stagingStride));
        cv::Mat result(out.height, out.width, CV_8UC3, out.rgb.data());
        if (rotation == 0) upright.copyTo(result);
        else cv::rotate(upright, result, rotation == 90    ? cv::ROTATE_90_CLOCKWISE
                                         : rotation == 180 ? cv::ROTATE_180
                                                           : cv::ROTATE_90_COUNTERCLOCKWISE);
    }

    // Moves the by-time state forward so that `current` is the frame showing at `seconds`.
    void advanceTo(double seconds) {
        const double tolerance = kTimeToleranceFrames / std::max(fps, 1.0);
        while (true) {
            if (haveAhead) {
                if (aheadTime > seconds + tolerance) return;
                std::swap(current, ahead);
                currentTime = aheadTime;
                haveCurrent = true;
                haveAhead = false;
                shownIsCurrent = false;
            }
            if (!decodeOne()) return;
            av_frame_unref(ahead.get());
            av_frame_move_ref(ahead.get(), frame.get());
            aheadTime = timeOf(ahead.get());
            haveAhead = true;
        }
    }

    // Positions the by-time state at `seconds`; the frame showing then is `current` (or `ahead` before the first).
    const AVFrame* positionAt(double seconds) {
        if (isStill) seconds = 0; // one picture for the whole clip
        const bool behind = haveCurrent && seconds < currentTime - kTimeToleranceFrames / std::max(fps, 1.0);
        const bool farAhead = haveCurrent && seconds > currentTime + kSeekAheadSeconds;
        if (!timeStateValid || behind || farAhead) {
            const bool freshAtStart = !timeStateValid && nextIndex == 0;
            if (!freshAtStart || seconds > kSeekAheadSeconds) seekToTime(seconds);
            resetTimeState();
            timeStateValid = true;
            nextIndex = -1; // readNext/seekTo must seek again
        }
        advanceTo(seconds);
        return haveCurrent ? current.get() : haveAhead ? ahead.get() : nullptr;
    }

    void resetTimeState() {
        haveCurrent = haveAhead = shownIsCurrent = false;
        timeStateValid = false;
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
    m.isStill = isStillImage(m.in->get(), st);
    m.rotation = displayRotation(st);
    const AVRational rate = st->avg_frame_rate.num ? st->avg_frame_rate : st->r_frame_rate;
    m.fps = rate.den ? av_q2d(rate) : 25.0;
    m.startPts = st->start_time != AV_NOPTS_VALUE ? st->start_time : 0;
    m.frame = allocFrame();
    m.packet = allocPacket();
    m.current = allocFrame();
    m.ahead = allocFrame();
}

VideoDecoder::~VideoDecoder() = default;

int VideoDecoder::width() const { return impl_->rotation % 180 ? impl_->codec->height : impl_->codec->width; }
int VideoDecoder::height() const { return impl_->rotation % 180 ? impl_->codec->width : impl_->codec->height; }
double VideoDecoder::fps() const { return impl_->isStill ? 0 : impl_->fps; }
bool VideoDecoder::still() const { return impl_->isStill; }

int64_t VideoDecoder::frameCount() const {
    if (impl_->isStill) return 1;
    const AVStream* st = impl_->in->get()->streams[impl_->stream];
    if (st->nb_frames > 0) return st->nb_frames;
    const double seconds = st->duration != AV_NOPTS_VALUE ? st->duration * av_q2d(st->time_base)
                                                          : impl_->in->get()->duration / double(AV_TIME_BASE);
    return std::max<int64_t>(0, std::llround(seconds * impl_->fps));
}

bool VideoDecoder::readNext(Frame& out) {
    Impl& m = *impl_;
    m.resetTimeState();
    if (!m.decodeOne()) return false;
    const int64_t index = m.indexOf(m.frame.get());
    m.convert(m.frame.get(), out, index);
    m.nextIndex = index + 1;
    return true;
}

namespace {

// Formats whose first plane is 8-bit luma at full size: grey comes straight from it, no conversion.
bool lumaFirst(int format) {
    switch (format) {
    case AV_PIX_FMT_YUV420P: case AV_PIX_FMT_YUVJ420P: case AV_PIX_FMT_YUV422P: case AV_PIX_FMT_YUVJ422P:
    case AV_PIX_FMT_YUV444P: case AV_PIX_FMT_YUVJ444P: case AV_PIX_FMT_NV12: case AV_PIX_FMT_NV21: return true;
    default: return false;
    }
}

void turn(const cv::Mat& raw, cv::Mat& out, int rotation) {
    if (rotation == 0) raw.copyTo(out);
    else cv::rotate(raw, out, rotation == 90 ? cv::ROTATE_90_CLOCKWISE : rotation == 180 ? cv::ROTATE_180 : cv::ROTATE_90_COUNTERCLOCKWISE);
}

} // namespace

bool VideoDecoder::readNextSmall(SmallFrame& out, int maxHeight, bool colour) {
    Impl& m = *impl_;
    m.resetTimeState();
    if (!m.decodeOne()) return false;
    const AVFrame* src = m.frame.get();
    out.index = m.indexOf(src);
    m.nextIndex = out.index + 1;
    // Scale in the raw orientation, then turn: a sideways picture's rows are its displayed columns.
    const bool sideways = m.rotation % 180 != 0;
    const int displayH = sideways ? src->width : src->height;
    const double scale = std::min(1.0, double(maxHeight) / displayH);
    const int w = std::max(2, int(std::lround(src->width * scale)) & ~1), h = std::max(2, int(std::lround(src->height * scale)) & ~1);
    out.width = sideways ? h : w;
    out.height = sideways ? w : h;
    const bool viaLuma = lumaFirst(src->format);
    if (colour || !viaLuma) {
        m.smallSws.reset(sws_getCachedContext(m.smallSws.release(), src->width, src->height, static_cast<AVPixelFormat>(src->format),
                                              w, h, AV_PIX_FMT_RGB24, SWS_FAST_BILINEAR, nullptr, nullptr, nullptr));
        useSourceColours(m.smallSws.get(), src);
        const int stride = (w * 3 + kSwsRowAlign - 1) / kSwsRowAlign * kSwsRowAlign; // swscale writes whole blocks
        m.staging.resize(size_t(stride) * h + kSwsRowAlign);
        uint8_t* dst[1] = {m.staging.data()};
        const int strides[1] = {stride};
        sws_scale(m.smallSws.get(), src->data, src->linesize, 0, src->height, dst, strides);
        out.rgb.resize(size_t(w) * h * 3);
        cv::Mat result(out.height, out.width, CV_8UC3, out.rgb.data());
        turn(cv::Mat(h, w, CV_8UC3, m.staging.data(), size_t(stride)), result, m.rotation);
    } else {
        out.rgb.clear();
    }
    out.grey.resize(size_t(w) * h);
    cv::Mat grey(out.height, out.width, CV_8UC1, out.grey.data());
    if (viaLuma) {
        // Area averaging of the luma plane: the cheapest good reduction, and the picture analysis works on.
        cv::Mat small;
        cv::resize(cv::Mat(src->height, src->width, CV_8UC1, src->data[0], size_t(src->linesize[0])), small, cv::Size(w, h), 0, 0,
                   cv::INTER_AREA);
        turn(small, grey, m.rotation);
    } else {
        cv::cvtColor(cv::Mat(out.height, out.width, CV_8UC3, out.rgb.data()), grey, cv::COLOR_RGB2GRAY);
        if (!colour) out.rgb.clear(); // made only for the grey: colour was not asked for
    }
    return true;
}

void VideoDecoder::setSkipLoopFilter(bool skip) { impl_->codec->skip_loop_filter = skip ? AVDISCARD_ALL : AVDISCARD_DEFAULT; }

bool VideoDecoder::seekTo(int64_t index, Frame& out) {
    Impl& m = *impl_;
    m.resetTimeState();
    if (index != m.nextIndex) m.seekToTime(index / m.fps);
    while (m.decodeOne()) {
        const int64_t got = m.indexOf(m.frame.get());
        if (got >= index) {
            m.convert(m.frame.get(), out, got);
            m.nextIndex = got + 1;
            return got == index;
        }
    }
    return false;
}

const Frame* VideoDecoder::frameAtTime(double seconds) {
    Impl& m = *impl_;
    const AVFrame* showing = m.positionAt(seconds);
    // Before the first frame (or a seek that landed after the time asked): the first one decoded shows.
    if (!showing) return nullptr;
    if (!m.shownIsCurrent || !m.haveCurrent) {
        m.convert(showing, m.shown, std::llround(m.timeOf(showing) * m.fps));
        m.shownIsCurrent = m.haveCurrent;
    }
    return &m.shown;
}

const AVFrame* VideoDecoder::rawFrameAtTime(double seconds) { return impl_->positionAt(seconds); }
int VideoDecoder::rotation() const { return impl_->rotation; }

double VideoDecoder::nearestFrameTime(double seconds) const {
    const Impl& m = *impl_;
    if (m.isStill || !(m.fps > 0)) return seconds;
    // frameAtTime already takes a frame that begins within kTimeToleranceFrames of the time asked.
    return seconds + (0.5 - kTimeToleranceFrames) / m.fps;
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
