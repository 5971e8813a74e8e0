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
        try {
            cached = render::decodeAudioSource(file.toStdString());
        } catch (const render::MediaError&) {
            cached = std::make_shared<render::AudioSource>(); // unreadable audio plays as silence
        }
    }
    return cached;
}

void Playback::rebuild() {
    const auto& seq = project_.sequence();
    // Re-mix only when the sound changed: most edits (masks, markers, picture-only clips) leave it alone.
    QList<timeline::SoundTrackPlan> plan = timeline::soundPlan(project_.state(), seq);
    for (auto& track : plan) // compared as files, so another project's same-named media still re-mix
        for (auto& p : track.clips)
            if (!p.media.isEmpty()) p.media = mediaPath_(p.media);
    const qint64 totalSamples = seq.time.samplesForFrames(seq.duration());
    const qint64 keep = std::max<qint64>(currentFrame_, 0);
    if (plan != soundPlan_ || totalSamples != mixedSamples_) {
        std::vector<render::MixTrack> tracks;
        for (const auto& track : plan) {
            render::MixTrack mt;
            mt.mute = track.muted;
            for (const auto& p : track.clips) {
                if (p.media.isEmpty()) continue; // offline
                mt.clips.push_back({audioOf(p.media), p.start, p.sourceStart, p.length, p.gainDb, 0, 0});
            }
            tracks.push_back(std::move(mt));
        }
        std::vector<float> mix = render::mixAll(tracks);
        mix.resize(size_t(totalSamples) * kMixChannels, 0.f);
        audio_.load(std::move(mix), kMixRate, kMixChannels);
        soundPlan_ = std::move(plan);
        mixedSamples_ = totalSamples;
    }
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
