#include "ui/playback.h"

#include "render/mixer.h"

#include <QFileInfo>

#include <cmath>

namespace tandem::ui {

using render::kMixChannels;
using render::kMixRate;

Playback::Playback(const timeline::Project& project, bool useAudioDevice, QObject* parent)
    : Playback(project, render::AudioPlayerOptions{useAudioDevice, {}, false}, render::FrameCache::kDefaultBytes, parent) {}

Playback::Playback(const timeline::Project& project, const render::AudioPlayerOptions& audio, size_t cacheBytes,
                   QObject* parent)
    : QObject(parent), project_(project), audio_(audio), cache_(std::make_shared<render::FrameCache>(cacheBytes)),
      sync_(std::make_unique<render::AvSync>(project.sequence().time.fps.toDouble())) {
    timer_.setInterval(kTickMs);
    timer_.setTimerType(Qt::PreciseTimer);
    connect(&timer_, &QTimer::timeout, this, &Playback::tick);
}

Playback::~Playback() = default;

std::string Playback::fileOf(const QString& media) const {
    const QString file = mediaPath_(media);
    return file.isEmpty() || !QFileInfo(file).isFile() ? std::string() : file.toStdString();
}

void Playback::rebuild() {
    const auto& seq = project_.sequence();
    const MediaResolver resolve = [this](const QString& media) { return fileOf(media); };
    // Re-mix only when the sound changed: most edits (masks, markers, picture-only clips) leave it alone.
    QList<timeline::SoundTrackPlan> sound = timeline::soundPlan(project_.state(), seq);
    for (auto& track : sound) // compared as files, so another project's same-named media still re-mix
        for (auto& p : track.clips)
            if (!p.media.isEmpty()) p.media = QString::fromStdString(fileOf(p.media));
    const qint64 totalSamples = seq.time.samplesForFrames(seq.duration());
    const qint64 keep = std::max<qint64>(currentFrame_, 0);
    if (sound != soundPlan_ || totalSamples != mixedSamples_) {
        const auto identity = [](const QString& file) { return file.toStdString(); };
        std::vector<float> mix = render::mixAll(soundTracks(sound, identity, sounds_));
        mix.resize(size_t(totalSamples) * kMixChannels, 0.f);
        measureLevels(mix, seq.time);
        audio_.load(std::move(mix), kMixRate, kMixChannels);
        soundPlan_ = std::move(sound);
        mixedSamples_ = totalSamples;
    }
    QList<timeline::PictureTrackPlan> pictures = timeline::picturePlan(project_.state(), seq);
    if (!compositor_ || pictures != picturePlan_) {
        const double fps = seq.time.fps.toDouble();
        auto tracks = pictureTracks(pictures, resolve);
        prefetcher_ = std::make_unique<render::Prefetcher>(tracks, fps, cache_);
        compositor_ = std::make_unique<render::Compositor>(seq.width, seq.height, fps, std::move(tracks), cache_);
        sync_ = std::make_unique<render::AvSync>(fps);
        picturePlan_ = std::move(pictures);
    }
    currentFrame_ = -1; // the picture at the playhead may have changed with the edit: show it again
    seekToFrame(keep);
}

// Peak per channel per sequence frame: a few bytes a frame, so the meters never need the mix again.
void Playback::measureLevels(const std::vector<float>& mix, const timeline::TimeMap& time) {
    const qint64 frames = project_.sequence().duration();
    levels_.assign(size_t(frames) * kMixChannels, 0.f);
    for (qint64 f = 0; f < frames; ++f) {
        const size_t first = size_t(time.samplesForFrames(f)) * kMixChannels;
        const size_t last = std::min(mix.size(), size_t(time.samplesForFrames(f + 1)) * kMixChannels);
        for (size_t i = first; i < last; ++i) {
            float& peak = levels_[size_t(f) * kMixChannels + i % kMixChannels];
            peak = std::max(peak, std::abs(mix[i]));
        }
    }
}

std::pair<float, float> Playback::levelsAt(qint64 frame) const {
    if (frame < 0 || size_t(frame + 1) * kMixChannels > levels_.size()) return {0.f, 0.f};
    return {levels_[size_t(frame) * kMixChannels], levels_[size_t(frame) * kMixChannels + 1]};
}

void Playback::play() {
    if (project_.sequence().duration() <= 0) return;
    if (audio_.speed() > 0 && currentFrame_ >= project_.sequence().duration() - 1) seekToFrame(0);
    sync_->reset();
    audio_.play();
    timer_.start();
    Q_EMIT stateChanged(true);
}

void Playback::pause() {
    audio_.pause();
    timer_.stop();
    shuttleStep_ = 0;
    audio_.setSpeed(1);
    // Show the frame the sound stopped on (at the end: the last one).
    const qint64 last = std::max<qint64>(0, project_.sequence().duration() - 1);
    present(std::clamp<qint64>(sync_->frameDue(audio_.position()), 0, last));
    Q_EMIT stateChanged(false);
}

void Playback::togglePlay() { playing() ? pause() : play(); }

void Playback::shuttle(int direction) {
    // Each press in the same direction goes one speed faster; the other direction starts again at 1×.
    const int index = std::abs(shuttleStep_);
    const bool same = shuttleStep_ != 0 && (shuttleStep_ > 0) == (direction > 0);
    const int next = same ? std::min(index + 1, int(std::size(kShuttleSpeeds))) : 1;
    shuttleStep_ = direction * next;
    audio_.setSpeed(direction * kShuttleSpeeds[next - 1]);
    if (!playing()) play();
}

void Playback::shuttleForward() { shuttle(+1); }
void Playback::shuttleBackward() { shuttle(-1); }
void Playback::stop() { pause(); }

void Playback::seekToFrame(qint64 frame) {
    frame = std::clamp<qint64>(frame, 0, std::max<qint64>(0, project_.sequence().duration() - 1));
    audio_.seek(project_.sequence().time.secondsForFrames(frame));
    sync_->reset();
    present(frame);
}

void Playback::scrubToFrame(qint64 frame) {
    frame = std::clamp<qint64>(frame, 0, std::max<qint64>(0, project_.sequence().duration() - 1));
    audio_.scrub(project_.sequence().time.secondsForFrames(frame));
    sync_->reset();
    present(frame);
}

void Playback::tick() {
    const double clock = audio_.position();
    const qint64 duration = project_.sequence().duration();
    const qint64 due = sync_->frameDue(clock);
    const bool atEnd = audio_.speed() > 0 ? due >= duration : clock <= 0;
    if (atEnd) {
        pause();
        return;
    }
    const qint64 frame = sync_->frameToShow(clock);
    if (frame < 0) return;
    present(frame);
    sync_->shown(frame, audio_.position());
}

void Playback::present(qint64 frame) {
    if (frame == currentFrame_ || !compositor_) return;
    currentFrame_ = frame;
    prefetcher_->setPlayhead(frame, audio_.speed() < 0 ? -1 : 1);
    const render::Frame& picture = compositor_->frameAt(frame);
    image_ = QImage(picture.rgb.data(), picture.width, picture.height, picture.width * 3, QImage::Format_RGB888).copy();
    Q_EMIT frameShown(frame, image_);
}

} // namespace tandem::ui
