#include "ui/sequence_render.h"

#include "render/media_error.h"
#include "timeline/paths.h"

#include <QFileInfo>

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

render::ExportJob exportJobFor(const timeline::ProjectState& state, const timeline::Sequence& seq,
                               const QString& bundle, QStringList* offline) {
    render::ExportJob job;
    job.fps = seq.time.fps.toDouble();
    job.frames = seq.duration();
    const timeline::TimeMap time = seq.time;
    job.firstSampleOfFrame = [time](int64_t frame) { return time.samplesForFrames(frame); };
    const MediaResolver resolve = [&](const QString& media) {
        const QString file = timeline::resolveInBundle(bundle, media);
        return file.isEmpty() || !QFileInfo(file).isFile() ? std::string() : file.toStdString();
    };
    job.video = pictureTracks(timeline::picturePlan(state, seq), resolve, offline);
    SoundLibrary sounds(/*unreadableIsSilence=*/false);
    job.audio = soundTracks(timeline::soundPlan(state, seq), resolve, sounds, offline);
    return job;
}

const std::vector<ExportPreset>& exportPresets() {
    static const std::vector<ExportPreset> presets = {{"1080p", "1080p (1920×1080)", 1920, 1080},
                                                      {"720p", "720p (1280×720)", 1280, 720},
                                                      {"360p", "360p draft (640×360)", 640, 360},
                                                      {"vertical", "Vertical (1080×1920)", 1080, 1920},
                                                      {"sequence", "The sequence's own size", 0, 0}};
    return presets;
}

const ExportPreset* findExportPreset(const std::string& name) {
    for (const ExportPreset& p : exportPresets())
        if (name == p.name) return &p;
    return nullptr;
}

std::vector<std::string> exportWithStems(const std::string& path, const render::ExportJob& job,
                                         const std::string& stemsFolder, render::ExportReport* report,
                                         const std::function<bool(int64_t, int64_t)>& progress) {
    const render::ExportReport done = render::exportMovie(path, job, progress);
    if (report) *report = done;
    return stemsFolder.empty() ? std::vector<std::string>() : render::exportStems(stemsFolder, job, done.gainDb);
}

} // namespace tandem::ui
