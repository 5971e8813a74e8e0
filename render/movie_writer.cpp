#include "render/movie_writer.h"

#include "render/ffmpeg_util.h"
#include "render/media_error.h"

#include <cstdio>
#include <filesystem>
#include <vector>

namespace tandem::render {

namespace fs = std::filesystem;

struct MovieWriter::Impl {
    std::string path, tempPath;
    MovieSettings settings;
    AVFormatContext* fmt = nullptr;
    bool headerWritten = false, finished = false;

    CodecContextPtr video, audio;
    AVStream* videoStream = nullptr;
    AVStream* audioStream = nullptr;
    SwsPtr sws;
    SwrPtr swr;
    AudioFifoPtr fifo;
    FramePtr videoFrame, audioFrame;
    PacketPtr packet;
    int64_t nextVideoPts = 0, nextAudioPts = 0;

    void fail(const std::string& what, int err) {
        throw MediaError(path + ": " + what + " (" + ffmpegErrorText(err) + ")");
    }

    std::string encoderName;

    bool isMovie() const { return settings.container != "wav"; }

    // Opens `name` with the options its family understands; false (nothing kept) when it will not open.
    bool tryOpenVideo(const std::string& name) {
        const AVCodec* codec = avcodec_find_encoder_by_name(name.c_str());
        if (!codec) return false;
        video.reset(avcodec_alloc_context3(codec));
        video->width = settings.width;
        video->height = settings.height;
        const bool prores = name == "prores_ks";
        video->pix_fmt = prores ? AV_PIX_FMT_YUV422P10LE : AV_PIX_FMT_YUV420P;
        const AVRational rate = av_d2q(settings.fps, 100000);
        // swscale converts RGB with BT.601's matrix into video range: say so, so players and MLT decode it alike.
        video->colorspace = AVCOL_SPC_SMPTE170M;
        video->color_range = AVCOL_RANGE_MPEG;
        video->time_base = av_inv_q(rate);
        video->framerate = rate;
        video->gop_size = static_cast<int>(settings.fps * 2);
        if (fmt->oformat->flags & AVFMT_GLOBALHEADER) video->flags |= AV_CODEC_FLAG_GLOBAL_HEADER;
        if (name == "libx264") {
            av_opt_set(video->priv_data, "preset", settings.preset.c_str(), 0);
            av_opt_set(video->priv_data, "crf", std::to_string(settings.crf).c_str(), 0);
        } else if (name == "h264_nvenc") {
            av_opt_set(video->priv_data, "preset", "p5", 0); // NVENC's balanced quality preset
            av_opt_set(video->priv_data, "rc", "vbr", 0);
            av_opt_set(video->priv_data, "cq", std::to_string(settings.crf).c_str(), 0);
        } else if (prores) {
            av_opt_set(video->priv_data, "profile", "3", 0); // 3 = ProRes 422 HQ: the mastering grade editors hand on
            av_opt_set(video->priv_data, "vendor", "apl0", 0);
        }
        // Probing for NVENC on a machine without NVIDIA's driver is expected to fail: say nothing then.
        const int logLevel = av_log_get_level();
        if (name == "h264_nvenc") av_log_set_level(AV_LOG_QUIET);
        const int err = avcodec_open2(video.get(), codec, nullptr);
        av_log_set_level(logLevel);
        if (err < 0) {
            video.reset();
            return false;
        }
        encoderName = name;
        return true;
    }

    void openVideo() {
        std::string wanted = settings.container == "mov" ? "prores_ks" : settings.h264Encoder;
        bool opened = false;
        if (wanted == "auto") opened = tryOpenVideo("h264_nvenc") || tryOpenVideo("libx264");
        else opened = tryOpenVideo(wanted);
        if (!opened) throw MediaError(path + ": cannot open the " + wanted + " video encoder" +
                                      (wanted == "h264_nvenc" ? " (no NVIDIA GPU encoder here)" : ""));
        videoStream = avformat_new_stream(fmt, nullptr);
        videoStream->time_base = video->time_base;
        avcodec_parameters_from_context(videoStream->codecpar, video.get());
        videoFrame = allocFrame();
        videoFrame->format = video->pix_fmt;
        videoFrame->width = video->width;
        videoFrame->height = video->height;
        if (int err = av_frame_get_buffer(videoFrame.get(), 0); err < 0) fail("cannot allocate a video frame", err);
        sws.reset(sws_getContext(settings.width, settings.height, AV_PIX_FMT_RGB24, settings.width, settings.height,
                                 video->pix_fmt, SWS_BICUBIC | SWS_ACCURATE_RND, nullptr, nullptr, nullptr));
        if (!sws) throw MediaError("cannot create the colour converter");
    }

    // PCM encoders take any frame size; this many samples a frame keeps the FIFO small.
    static constexpr int kPcmFrameSamples = 1024;

    void openAudio() {
        const bool pcm = settings.container != "mp4";
        const AVCodec* codec = pcm ? avcodec_find_encoder(AV_CODEC_ID_PCM_S24LE) : avcodec_find_encoder(AV_CODEC_ID_AAC);
        if (!codec) throw MediaError(std::string("this FFmpeg build has no ") + (pcm ? "PCM" : "AAC") + " encoder");
        audio.reset(avcodec_alloc_context3(codec));
        audio->sample_fmt = pcm ? AV_SAMPLE_FMT_S32 : AV_SAMPLE_FMT_FLTP;
        audio->sample_rate = settings.output_sample_rate;
        av_channel_layout_default(&audio->ch_layout, settings.channels);
        if (!pcm) audio->bit_rate = 96000 * settings.channels;
        audio->time_base = AVRational{1, settings.output_sample_rate};
        if (fmt->oformat->flags & AVFMT_GLOBALHEADER) audio->flags |= AV_CODEC_FLAG_GLOBAL_HEADER;
        if (int err = avcodec_open2(audio.get(), codec, nullptr); err < 0) fail("cannot open the audio encoder", err);
        audioStream = avformat_new_stream(fmt, nullptr);
        audioStream->time_base = audio->time_base;
        avcodec_parameters_from_context(audioStream->codecpar, audio.get());

        AVChannelLayout inLayout;
        av_channel_layout_default(&inLayout, settings.channels);
        SwrContext* s = nullptr;
        int err = swr_alloc_set_opts2(&s, &audio->ch_layout, audio->sample_fmt, audio->sample_rate, &inLayout,
                                      AV_SAMPLE_FMT_FLT, settings.input_sample_rate, 0, nullptr);
        swr.reset(s);
        if (err < 0 || (err = swr_init(s)) < 0) fail("cannot create the audio resampler", err);
        frameSamples = audio->frame_size > 0 ? audio->frame_size : kPcmFrameSamples;
        fifo.reset(av_audio_fifo_alloc(audio->sample_fmt, settings.channels, frameSamples * 4));
        audioFrame = allocFrame();
    }
    int frameSamples = 0;

    void writePackets(AVCodecContext* ctx, AVStream* stream) {
        while (true) {
            int err = avcodec_receive_packet(ctx, packet.get());
            if (err == AVERROR(EAGAIN) || err == AVERROR_EOF) return;
            if (err < 0) fail("encoding failed", err);
            if (packet->duration == 0 && ctx == video.get()) packet->duration = 1;
            av_packet_rescale_ts(packet.get(), ctx->time_base, stream->time_base);
            packet->stream_index = stream->index;
            err = av_interleaved_write_frame(fmt, packet.get());
            if (err < 0) fail("cannot write to the file (is the disk full?)", err);
        }
    }

    void encode(AVCodecContext* ctx, AVStream* stream, AVFrame* frame) {
        int err = avcodec_send_frame(ctx, frame);
        if (err < 0) fail("encoding failed", err);
        writePackets(ctx, stream);
    }

    // Moves whole encoder frames (or, when flushing, what remains) from the FIFO to the encoder.
    void drainFifo(bool flush) {
        const int frameSize = frameSamples;
        while (av_audio_fifo_size(fifo.get()) >= frameSize || (flush && av_audio_fifo_size(fifo.get()) > 0)) {
            const int n = std::min(frameSize, av_audio_fifo_size(fifo.get()));
            av_frame_unref(audioFrame.get());
            audioFrame->nb_samples = n;
            audioFrame->format = audio->sample_fmt;
            audioFrame->sample_rate = audio->sample_rate;
            av_channel_layout_copy(&audioFrame->ch_layout, &audio->ch_layout);
            if (int err = av_frame_get_buffer(audioFrame.get(), 0); err < 0) fail("cannot allocate audio", err);
            av_audio_fifo_read(fifo.get(), reinterpret_cast<void**>(audioFrame->data), n);
            audioFrame->pts = nextAudioPts;
            nextAudioPts += n;
            encode(audio.get(), audioStream, audioFrame.get());
        }
    }

    void pushResampled(const float* in, int64_t n) {
        const int maxOut = swr_get_out_samples(swr.get(), static_cast<int>(n));
        if (maxOut <= 0) return;
        // One buffer per channel for planar formats (AAC), one interleaved buffer for packed ones (PCM).
        const bool planar = av_sample_fmt_is_planar(audio->sample_fmt);
        const size_t bytes = size_t(maxOut) * av_get_bytes_per_sample(audio->sample_fmt) * (planar ? 1 : settings.channels);
        std::vector<std::vector<uint8_t>> planes(planar ? settings.channels : 1, std::vector<uint8_t>(bytes));
        std::vector<uint8_t*> out;
        for (auto& p : planes) out.push_back(p.data());
        const uint8_t* inPtr = reinterpret_cast<const uint8_t*>(in);
        const int got = swr_convert(swr.get(), out.data(), maxOut, in ? &inPtr : nullptr, static_cast<int>(n));
        if (got < 0) fail("resampling failed", got);
        av_audio_fifo_write(fifo.get(), reinterpret_cast<void**>(out.data()), got);
    }

    void cleanup() {
        if (fmt) {
            if (fmt->pb) avio_closep(&fmt->pb);
            avformat_free_context(fmt);
            fmt = nullptr;
        }
    }
};

MovieWriter::MovieWriter(const std::string& path, const MovieSettings& settings) : impl_(std::make_unique<Impl>()) {
    Impl& m = *impl_;
    m.path = path;
    m.settings = settings;
    if (settings.container != "mp4" && settings.container != "mov" && settings.container != "wav")
        throw MediaError(path + ": unknown container " + settings.container);
    if (settings.container == "wav" && settings.input_sample_rate <= 0) throw MediaError(path + ": a WAV file needs sound");
    if (m.isMovie() && (settings.width <= 0 || settings.height <= 0 || settings.width % 2 || settings.height % 2))
        throw MediaError(path + ": video size must be positive and even, got " + std::to_string(settings.width) +
                         "×" + std::to_string(settings.height));
    if (m.isMovie() && !(settings.fps > 0)) throw MediaError(path + ": frame rate must be positive");
    const fs::path dest(path);
    // A hidden sibling: same file system (so the rename is atomic), invisible in file managers.
    std::string hidden = dest.filename().string();
    hidden.insert(0, 1, '.');
    hidden.append(".part");
    m.tempPath = (dest.parent_path() / hidden).string();
    av_log_set_level(AV_LOG_ERROR);
    if (int err = avformat_alloc_output_context2(&m.fmt, nullptr, settings.container.c_str(), m.tempPath.c_str()); err < 0)
        m.fail("cannot create a " + settings.container + " container", err);
    m.packet = allocPacket();
    try {
        if (m.isMovie()) m.openVideo();
        if (settings.input_sample_rate > 0) m.openAudio();
        if (int err = avio_open(&m.fmt->pb, m.tempPath.c_str(), AVIO_FLAG_WRITE); err < 0)
            m.fail("cannot create the file", err);
        if (int err = avformat_write_header(m.fmt, nullptr); err < 0) m.fail("cannot write the header", err);
        m.headerWritten = true;
    } catch (...) {
        m.cleanup();
        std::remove(m.tempPath.c_str());
        throw;
    }
}

MovieWriter::~MovieWriter() {
    if (!impl_->finished) {
        impl_->cleanup();
        std::remove(impl_->tempPath.c_str());
    }
}

void MovieWriter::addFrame(const uint8_t* rgb) {
    Impl& m = *impl_;
    if (!m.video) throw MediaError(m.path + ": a sound file takes no pictures");
    if (int err = av_frame_make_writable(m.videoFrame.get()); err < 0) m.fail("frame not writable", err);
    const uint8_t* src[1] = {rgb};
    const int stride[1] = {m.settings.width * 3};
    sws_scale(m.sws.get(), src, stride, 0, m.settings.height, m.videoFrame->data, m.videoFrame->linesize);
    m.videoFrame->pts = m.nextVideoPts++;
    m.encode(m.video.get(), m.videoStream, m.videoFrame.get());
}

void MovieWriter::addAudio(const float* interleaved, int64_t n) {
    Impl& m = *impl_;
    if (!m.audio) throw MediaError(m.path + ": this movie was opened without audio");
    m.pushResampled(interleaved, n);
    m.drainFifo(false);
}

bool MovieWriter::addDecodedFrame(const AVFrame* frame) {
    Impl& m = *impl_;
    if (!m.video || !frame || frame->format != m.video->pix_fmt || frame->width != m.settings.width ||
        frame->height != m.settings.height)
        return false;
    // Only pictures in the colours the file says it holds pass straight through.
    const bool sameColours = (frame->colorspace == AVCOL_SPC_UNSPECIFIED || frame->colorspace == AVCOL_SPC_SMPTE170M ||
                              frame->colorspace == AVCOL_SPC_BT470BG) && frame->color_range != AVCOL_RANGE_JPEG;
    if (!sameColours) return false;
    if (int err = av_frame_make_writable(m.videoFrame.get()); err < 0) m.fail("frame not writable", err);
    if (int err = av_frame_copy(m.videoFrame.get(), frame); err < 0) m.fail("cannot copy a frame", err);
    m.videoFrame->pts = m.nextVideoPts++;
    m.encode(m.video.get(), m.videoStream, m.videoFrame.get());
    return true;
}

const std::string& MovieWriter::videoEncoder() const { return impl_->encoderName; }

void MovieWriter::finish() {
    Impl& m = *impl_;
    if (m.video) m.encode(m.video.get(), m.videoStream, nullptr);
    if (m.audio) {
        m.pushResampled(nullptr, 0); // what the resampler still holds
        m.drainFifo(true);
        m.encode(m.audio.get(), m.audioStream, nullptr);
    }
    if (int err = av_write_trailer(m.fmt); err < 0) m.fail("cannot finish the file (is the disk full?)", err);
    m.cleanup();
    std::error_code ec;
    fs::rename(m.tempPath, m.path, ec);
    if (ec) {
        std::remove(m.tempPath.c_str());
        throw MediaError(m.path + ": cannot move the finished file into place (" + ec.message() + ")");
    }
    m.finished = true;
}

} // namespace tandem::render
