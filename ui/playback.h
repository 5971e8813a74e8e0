// Design note: sequence playback. The plans of the sequence (timeline/plan.h) go through ui/sequence_render —
// the same path as export — into a render::Compositor (video tracks layered, dissolves, fades; pictures from
// a frame cache that a prefetch thread fills ahead of the playhead) and the mixer (clip gain and fades,
// track gain, pan, mute, solo), mixed once into a 48 kHz stereo buffer for render::AudioPlayer. The audio
// clock is the master: a UI timer polls it and render::AvSync says which frame is due; frames whose time
// passed while drawing are dropped, never shown late, so video cannot drift from sound.
//
// Transport: J/K/L shuttle (L: forward, faster on each press 1×, 2×, 4×; J the same backwards; K stops),
// and scrubbing — dragging the playhead shows each frame and sounds a short grain of its audio.
#pragma once

#include "render/audio_player.h"
#include "render/av_sync.h"
#include "render/compositor.h"
#include "render/frame_cache.h"
#include "render/prefetcher.h"
#include "timeline/plan.h"
#include "timeline/project.h"
#include "ui/sequence_render.h"

#include <QImage>
#include <QObject>
#include <QTimer>

#include <functional>
#include <memory>

namespace tandem::ui {

class Playback : public QObject {
    Q_OBJECT
public:
    // Shuttle speeds of successive J or L presses.
    static constexpr double kShuttleSpeeds[] = {1, 2, 4};

    // useAudioDevice = false keeps the clock on the headless sink (tests).
    Playback(const timeline::Project& project, bool useAudioDevice, QObject* parent = nullptr);
    // `audio` picks the output (host API, or the headless sink); `cacheBytes` bounds decoded frames kept.
    Playback(const timeline::Project& project, const render::AudioPlayerOptions& audio, size_t cacheBytes,
             QObject* parent = nullptr);
    ~Playback() override;
    // Turns an asset's bundle-relative path into a file to open.
    void setMediaResolver(std::function<QString(const QString&)> resolve) { mediaPath_ = std::move(resolve); }

    void rebuild(); // after the sequence changed: re-mix / re-plan what changed, keep the position
    void play();
    void pause();
    void togglePlay();
    void shuttleForward();  // L
    void shuttleBackward(); // J
    void stop();            // K
    void seekToFrame(qint64 frame);
    void scrubToFrame(qint64 frame); // a seek that also sounds a grain of audio
    bool playing() const { return audio_.playing(); }
    double speed() const { return audio_.speed(); }
    qint64 currentFrame() const { return currentFrame_; }
    QImage currentImage() const { return image_; }
    QString audioStatus() const { return QString::fromStdString(audio_.deviceStatus()); }
    const render::AvSyncStats& syncStats() const { return sync_->stats(); }
    // Peak level (0..1) of the left and right channel of the mix during a sequence frame (the audio meters).
    std::pair<float, float> levelsAt(qint64 frame) const;

Q_SIGNALS:
    void frameShown(qint64 frame, const QImage& image);
    void stateChanged(bool playing);

private:
    void tick();
    void present(qint64 frame);
    void shuttle(int direction);
    void measureLevels(const std::vector<float>& mix, const timeline::TimeMap& time);
    std::string fileOf(const QString& media) const;

    // Video timer period: polling the audio clock every 5 ms shows each frame within 5 ms of its time.
    static constexpr int kTickMs = 5;
    const timeline::Project& project_;
    std::function<QString(const QString&)> mediaPath_ = [](const QString& p) { return p; };
    render::AudioPlayer audio_;
    QTimer timer_;
    SoundLibrary sounds_{/*unreadableIsSilence=*/true};
    std::shared_ptr<render::FrameCache> cache_;
    std::unique_ptr<render::Compositor> compositor_;
    std::unique_ptr<render::Prefetcher> prefetcher_;
    std::unique_ptr<render::AvSync> sync_;
    QList<timeline::SoundTrackPlan> soundPlan_;     // what the loaded mix was made from
    QList<timeline::PictureTrackPlan> picturePlan_; // what the compositor was made from
    qint64 mixedSamples_ = -1;
    std::vector<float> levels_; // frames × 2 peaks of the loaded mix
    int shuttleStep_ = 0; // index into kShuttleSpeeds, signed by direction (0 = not shuttling)
    qint64 currentFrame_ = -1;
    QImage image_;
};

} // namespace tandem::ui
