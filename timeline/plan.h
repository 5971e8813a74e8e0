// Design note: a sequence as the media engine needs it — sound clips placed in samples, picture clips in
// sequence frames with the media second they start from — with media named bundle-relative (empty when
// offline). The project's frames are converted here, through the sequence's TimeMap, so playback and export
// place every clip the same way; plans compare equal when nothing they describe changed.
#pragma once

#include "timeline/state.h"

namespace tandem::timeline {

struct SoundPlacement {
    QString media, label;
    qint64 start = 0, sourceStart = 0, length = 0; // samples at the sequence's rate
    double gainDb = 0;
    qint64 fadeIn = 0, fadeOut = 0; // samples, within the length
    bool operator==(const SoundPlacement&) const = default;
};
struct SoundTrackPlan {
    QString name;
    bool muted = false, solo = false;
    double gainDb = 0, pan = 0;
    QList<SoundPlacement> clips;
    bool operator==(const SoundTrackPlan&) const = default;
};

struct PicturePlacement {
    QString media, label;
    qint64 start = 0, length = 0; // sequence frames
    double sourceSeconds = 0;     // media time of the first frame
    double opacity = 1;
    qint64 fadeIn = 0, fadeOut = 0; // frames, within the length
    qint64 dissolveIn = 0;          // frames, only where the clip before ends at this one's start
    bool operator==(const PicturePlacement&) const = default;
};
struct PictureTrackPlan {
    bool hidden = false;
    QList<PicturePlacement> clips;
    bool operator==(const PictureTrackPlan&) const = default;
};

QList<SoundTrackPlan> soundPlan(const ProjectState& state, const Sequence& sequence);
QList<PictureTrackPlan> picturePlan(const ProjectState& state, const Sequence& sequence); // bottom layer first

} // namespace tandem::timeline
