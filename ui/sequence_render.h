// Design note: the one place where a sequence's plans (timeline/plan.h: clips in frames and samples, media
// bundle-relative) become what the media engine renders (render::CompositeTrack, render::MixTrack). Playback
// in the editor and `tandem-cli export` both come through here, so what the user hears and sees while
// editing is what the exported file holds. QtCore only (no widgets), so the command line links it alone.
#pragma once

#include "render/compositor.h"
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

} // namespace tandem::ui
