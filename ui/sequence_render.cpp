#include "ui/sequence_render.h"

#include "render/media_error.h"

namespace tandem::ui {

std::shared_ptr<const render::AudioSource> SoundLibrary::get(const std::string& file) {
    auto& sound = decoded_[file];
    if (sound) return sound;
    try {
        sound = render::decodeAudioSource(file);
    } catch (const render::MediaError&) {
        if (!silence_) throw;
        sound = std::make_shared<render::AudioSource>();
    }
    return sound;
}

namespace {
std::string fileOrNote(const MediaResolver& resolve, const QString& media, const QString& label, QStringList* offline) {
    const std::string file = media.isEmpty() ? std::string() : resolve(media);
    if (file.empty() && offline && !offline->contains(label)) offline->append(label);
    return file;
}
} // namespace

std::vector<render::CompositeTrack> pictureTracks(const QList<timeline::PictureTrackPlan>& plan,
                                                  const MediaResolver& resolve, QStringList* offline) {
    std::vector<render::CompositeTrack> tracks;
    for (const auto& track : plan) {
        render::CompositeTrack video;
        video.hidden = track.hidden;
        for (const auto& p : track.clips) {
            const std::string file = fileOrNote(resolve, p.media, p.label, offline);
            if (file.empty()) continue;
            render::CompositeClip clip = render::CompositeClip::of(file, p.start, p.length, p.sourceSeconds, p.opacity);
            clip.fadeIn = p.fadeIn;
            clip.fadeOut = p.fadeOut;
            clip.dissolveIn = p.dissolveIn;
            video.clips.push_back(std::move(clip));
        }
        tracks.push_back(std::move(video));
    }
    return tracks;
}

std::vector<render::MixTrack> soundTracks(const QList<timeline::SoundTrackPlan>& plan, const MediaResolver& resolve,
                                          SoundLibrary& sounds, QStringList* offline) {
    std::vector<render::MixTrack> tracks;
    for (const auto& track : plan) {
        render::MixTrack audio;
        audio.name = track.name.toStdString();
        audio.mute = track.muted;
        audio.solo = track.solo;
        audio.gainDb = track.gainDb;
        audio.pan = track.pan;
        for (const auto& p : track.clips) {
            const std::string file = fileOrNote(resolve, p.media, p.label, offline);
            if (file.empty()) continue;
            audio.clips.push_back({sounds.get(file), p.start, p.sourceStart, p.length, p.gainDb, p.fadeIn, p.fadeOut});
        }
        tracks.push_back(std::move(audio));
    }
    return tracks;
}

} // namespace tandem::ui
