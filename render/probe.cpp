#include "render/probe.h"

#include "render/ffmpeg_util.h"
#include "render/media_error.h"

namespace tandem::render {

const StreamInfo* MediaInfo::firstVideo() const {
    for (const auto& s : streams)
        if (s.kind == StreamInfo::Kind::Video) return &s;
    return nullptr;
}

const StreamInfo* MediaInfo::firstAudio() const {
    for (const auto& s : streams)
        if (s.kind == StreamInfo::Kind::Audio) return &s;
    return nullptr;
}

MediaInfo probe(const std::string& path) {
    InputFile in(path);
    AVFormatContext* fmt = in.get();
    MediaInfo info;
    info.path = path;
    info.container = fmt->iformat ? fmt->iformat->name : "";
    if (fmt->duration != AV_NOPTS_VALUE) info.duration = fmt->duration / static_cast<double>(AV_TIME_BASE);
    for (unsigned i = 0; i < fmt->nb_streams; ++i) {
        const AVStream* st = fmt->streams[i];
        const AVCodecParameters* par = st->codecpar;
        StreamInfo s;
        s.index = static_cast<int>(i);
        s.codec = avcodec_get_name(par->codec_id);
        if (st->duration != AV_NOPTS_VALUE) s.duration = st->duration * av_q2d(st->time_base);
        if (par->codec_type == AVMEDIA_TYPE_VIDEO && !(st->disposition & AV_DISPOSITION_ATTACHED_PIC)) {
            s.kind = StreamInfo::Kind::Video;
            s.rotation = displayRotation(st);
            const bool sideways = s.rotation % 180 != 0;
            s.width = sideways ? par->height : par->width;
            s.height = sideways ? par->width : par->height;
            s.still = isStillImage(fmt, st);
            s.variableRate = !s.still && hasVariableRate(st);
            AVRational rate = st->avg_frame_rate.num ? st->avg_frame_rate : st->r_frame_rate;
            s.fps = s.still || !rate.den ? 0 : av_q2d(rate);
            s.frames = s.still ? 1 : st->nb_frames;
        } else if (par->codec_type == AVMEDIA_TYPE_AUDIO) {
            s.kind = StreamInfo::Kind::Audio;
            s.sample_rate = par->sample_rate;
            s.channels = par->ch_layout.nb_channels;
        }
        info.streams.push_back(s);
    }
    if (!info.firstVideo() && !info.firstAudio())
        throw MediaError(path + ": contains no video or audio stream");
    return info;
}

} // namespace tandem::render
