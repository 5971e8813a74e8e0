// Design note: sequence playback. The sound of the sequence's audio tracks is mixed once into a 48 kHz
// stereo buffer by render's mixer (clip gain, track mute; each file decoded once and kept) and handed to
// render::AudioPlayer, whose clock is the master; a UI timer asks that clock where playback is and shows the
// video frame for that instant (frames are never "advanced" by the timer itself, so video cannot drift from
// sound). Frames are decoded by render::VideoDecoder, one per media file.
#pragma once

#include "render/audio_player.h"
#include "render/mixer.h"
#include "render/video_decoder.h"
#include "timeline/plan.h"
#include "timeline/project.h"

#include <QImage>
#include <QObject>
#include <QTimer>

#include <functional>
#include <map>
#include <memory>

namespace tandem::ui {

class Playback : public QObject {
    Q_OBJECT
public:
    // useAudioDevice = false keeps the clock without touching a sound card (tests).
    Playback(const timeline::Project& project, bool useAudioDevice, QObject* parent = nullptr);
    // Turns an asset's bundle-relative path into a file to open.
    void setMediaResolver(std::function<QString(const QString&)> resolve) { mediaPath_ = std::move(resolve); }

    void rebuild(); // after the sequence changed: re-mix audio, keep the position
    void play();
    void pause();
    void togglePlay();
    void seekToFrame(qint64 frame);
    bool playing() const { return audio_.playing(); }
    qint64 currentFrame() const { return currentFrame_; }
    QImage currentImage() const { return image_; }
    QString audioStatus() const { return QString::fromStdString(audio_.deviceStatus()); }

Q_SIGNALS:
    void frameShown(qint64 frame, const QImage& image);
    void stateChanged(bool playing);

private:
    void tick();
    void present(qint64 frame);
    QImage pictureAt(qint64 frame);

    // Video timer period: ~60 Hz polling of the audio clock is enough to hit every frame up to 60 fps.
    static constexpr int kTickMs = 15;
    const timeline::Project& project_;
    std::function<QString(const QString&)> mediaPath_ = [](const QString& p) { return p; };
    render::AudioPlayer audio_;
    QTimer timer_;
    std::map<QString, std::unique_ptr<render::VideoDecoder>> decoders_;
    std::map<QString, std::shared_ptr<const render::AudioSource>> sources_; // decoded once per file
    std::shared_ptr<const render::AudioSource> audioOf(const QString& file);
    QList<timeline::SoundTrackPlan> soundPlan_; // what the loaded mix was made from
    qint64 mixedSamples_ = -1;
    qint64 currentFrame_ = -1;
    QImage image_;
};

} // namespace tandem::ui
