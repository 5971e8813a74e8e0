// Design note: the one place where a sequence's plans (timeline/plan.h: clips in frames and samples, media
// bundle-relative) become what the media engine renders (render::CompositeTrack, render::MixTrack). Playback
// in the editor and `tandem-cli export` both come through here, so what the user hears and sees while
// editing is what the exported file holds. QtCore only (no widgets), so the command line links it alone.
#pragma once

#include "render/compositor.h"
#include "render/exporter.h"
#include "render/mixer.h"
#include "timeline/plan.h"

#include <QStringList>

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace tandem::ui {

// Turns a bundle-relative media path into a file to open; "" when the media is offline.
using MediaResolver = std::function<std::string(const QString& media)>;

// Decoded sounds, each file once. Unreadable sound is either an error (export: say so and stop) or
// silence (playback: keep editing).
class SoundLibrary {
public:
    explicit SoundLibrary(bool unreadableIsSilence) : silence_(unreadableIsSilence) {}
    std::shared_ptr<const render::AudioSource> get(const std::string& file); // throws MediaError unless silence
private:
    bool silence_;
    std::map<std::string, std::shared_ptr<const render::AudioSource>> decoded_;
};

// Offline clips are left out (a gap), their labels added to `offline`.
std::vector<render::CompositeTrack> pictureTracks(const QList<timeline::PictureTrackPlan>& plan,
                                                  const MediaResolver& resolve, QStringList* offline = nullptr);
std::vector<render::MixTrack> soundTracks(const QList<timeline::SoundTrackPlan>& plan, const MediaResolver& resolve,
                                          SoundLibrary& sounds, QStringList* offline = nullptr);

// Export: the sequence as a render job (size and format left at their defaults for the caller to choose);
// media resolved inside `bundle`, missing files left out as gaps and named in `offline`. Unreadable sound
// is an error here (MediaError): an export must not silently drop a line of dialogue.
render::ExportJob exportJobFor(const timeline::ProjectState& state, const timeline::Sequence& sequence,
                               const QString& bundle, QStringList* offline);

struct ExportPreset {
    const char* name;
    const char* label;
    int width, height; // 0 = the sequence's own size
};
// 1080p, 720p, 360p (a quick draft), vertical (1080×1920), sequence.
const std::vector<ExportPreset>& exportPresets();
const ExportPreset* findExportPreset(const std::string& name);

// The movie, then (with a folder) a stem per audio track at the mix's loudness gain. Returns the stems.
std::vector<std::string> exportWithStems(const std::string& path, const render::ExportJob& job,
                                         const std::string& stemsFolder, render::ExportReport* report,
                                         const std::function<bool(int64_t, int64_t)>& progress = {});

} // namespace tandem::ui
