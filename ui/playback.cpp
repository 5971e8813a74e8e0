#include "ui/playback.h"

#include "render/media_error.h"

#include <cmath>

namespace tandem::ui {

using timeline::TrackKind;

namespace {
constexpr int kMixRate = 48000;
constexpr int kMixChannels = 2;
} // namespace

Playback::Playback(const timeline::Project& project, bool useAudioDevice, QObject* parent)
    : QObject(parent), project_(project), audio_(useAudioDevice) {
    timer_.setInterval(kTickMs);
    timer_.setTimerType(Qt::PreciseTimer);
    connect(&timer_, &QTimer::timeout, this, &Playback::tick);
}

void Playback::rebuild() {
    const auto& seq = project_.sequence();
    const qint64 totalSamples = seq.time.samplesForFrames(seq.duration());
    std::vector<float> mix(static_cast<size_t>(totalSamples) * kMixChannels, 0.f);
    for (const auto& track : seq.tracks) {
        if (track.kind != TrackKind::Audio) continue;
        for (const auto& clip : track.clips) {
            const timeline::Asset* a = project_.asset(clip.assetId);
            if (!a) continue;
            std::vector<float> src;
            try {
                src = render::decodeAudio(mediaPath_(project_.state().mediaPathOfClip(clip)).toStdString(), kMixRate, kMixChannels);
            } catch (const render::MediaError&) {
                continue; // unreadable audio plays as silence; the bin shows the error
            }
            const qint64 at = seq.time.samplesForFrames(clip.position);
            const qint64 from = seq.time.samplesForFrames(clip.sourceIn);
            const qint64 n = seq.time.samplesForFrames(clip.position + clip.length) - at;
            for (qint64 i = 0; i < n * kMixChannels; ++i) {
                const size_t s = size_t(from * kMixChannels + i), d = size_t(at * kMixChannels + i);
                if (s < src.size() && d < mix.size()) mix[d] += src[s];
            }
        }
    }
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
