#include "ui/playback.h"

#include "render/media_error.h"
#include "render/mixer.h"

#include <cmath>

namespace tandem::ui {

using timeline::TrackKind;

using render::kMixChannels;
using render::kMixRate;

Playback::Playback(const timeline::Project& project, bool useAudioDevice, QObject* parent)
    : QObject(parent), project_(project), audio_(useAudioDevice) {
    timer_.setInterval(kTickMs);
    timer_.setTimerType(Qt::PreciseTimer);
    connect(&timer_, &QTimer::timeout, this, &Playback::tick);
}

std::shared_ptr<const render::AudioSource> Playback::audioOf(const QString& file) {
    auto& cached = sources_[file];
    if (!cached) {
        auto source = std::make_shared<render::AudioSource>();
        try {
            source->samples = render::decodeAudio(file.toStdString(), kMixRate, kMixChannels);
        } catch (const render::MediaError&) {
            // unreadable audio plays as silence; the bin shows the error
        }
        cached = source;
    }
    return cached;
}

void Playback::rebuild() {
    const auto& seq = project_.sequence();
    // The sequence as the mixer sees it: clips placed in samples (frames → samples here, through TimeMap).
    std::vector<render::MixTrack> tracks;
    for (const auto& track : seq.tracks) {
        if (track.kind != TrackKind::Audio) continue;
        render::MixTrack mt;
        mt.mute = track.muted;
        for (const auto& clip : track.clips) {
            render::MixClip mc;
            mc.source = audioOf(mediaPath_(project_.state().mediaPathOfClip(clip)));
            mc.start = seq.time.samplesForFrames(clip.position);
            mc.sourceStart = seq.time.samplesForFrames(clip.sourceIn);
            mc.length = seq.time.samplesForFrames(clip.end()) - mc.start;
            mc.gainDb = clip.gainDb;
            mt.clips.push_back(mc);
        }
        tracks.push_back(std::move(mt));
    }
    std::vector<float> mix = render::mixAll(tracks);
    mix.resize(size_t(seq.time.samplesForFrames(seq.duration())) * kMixChannels, 0.f);
    const qint64 keep = std::max<qint64>(currentFrame_, 0);
    audio_.load(std::move(mix), kMixRate, kMixChannels);
    currentFrame_ = -1; // the picture at the playhead may have changed with the edit: show it again
    seekToFrame(keep);
}

void Playback::play() {
    if (project_.sequence().duration() <= 0) return;
    if (currentFrame_ >= project_.sequence().duration() - 1) seekToFrame(0);
    audio_.play();
    timer_.start();
    Q_EMIT stateChanged(true);
}

void Playback::pause() {
    audio_.pause();
    timer_.stop();
    Q_EMIT stateChanged(false);
}

void Playback::togglePlay() { playing() ? pause() : play(); }

void Playback::seekToFrame(qint64 frame) {
    frame = std::clamp<qint64>(frame, 0, std::max<qint64>(0, project_.sequence().duration() - 1));
    audio_.seek(project_.sequence().time.secondsForFrames(frame));
    present(frame);
}

void Playback::tick() {
    const auto& time = project_.sequence().time;
    const qint64 frame = qint64(std::floor(audio_.position() * time.fps.toDouble()));
    if (frame >= project_.sequence().duration()) {
        pause();
        return;
    }
    present(frame);
}

void Playback::present(qint64 frame) {
    if (frame == currentFrame_) return;
    currentFrame_ = frame;
    image_ = pictureAt(frame);
    Q_EMIT frameShown(frame, image_);
}

QImage Playback::pictureAt(qint64 frame) {
    const auto& seq = project_.sequence();
    // The topmost video track with a clip at `frame` wins (compositing comes with the render engine).
    for (const auto& track : seq.tracks) {
        if (track.kind != TrackKind::Video) continue;
        for (const auto& clip : track.clips) {
            if (frame < clip.position || frame >= clip.end()) continue;
            const timeline::Asset* a = project_.asset(clip.assetId);
            if (!a) return {};
            const QString file = mediaPath_(project_.state().mediaPathOfClip(clip));
            auto& dec = decoders_[file]; // by file: switching a take switches the decoder
            try {
                if (!dec) dec = std::make_unique<render::VideoDecoder>(file.toStdString());
                const double seconds = seq.time.secondsForFrames(clip.sourceIn + frame - clip.position);
                const qint64 sourceFrame = qint64(std::floor(seconds * dec->fps() + 1e-6));
                render::Frame f;
                if (!dec->seekTo(sourceFrame, f) && f.rgb.empty()) return {};
                return QImage(f.rgb.data(), f.width, f.height, f.width * 3, QImage::Format_RGB888).copy();
            } catch (const render::MediaError&) {
                return {};
            }
        }
    }
    return {};
}

} // namespace tandem::ui
