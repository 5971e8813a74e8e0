// Design note: hand-off to and from other editors through OpenTimelineIO's JSON (.otio), the format
// DaVinci Resolve, Kdenlive, Premiere (via adapters) and OTIO's own tools read. A sequence exports as a
// Timeline.1 whose Stack.1 holds one Track.1 per track (video first, bottom layer first, as OTIO stacks
// them), each a run of Clip.2, Gap.1 and Transition.1 items; media are ExternalReference.1 file URLs into
// the bundle. What OTIO has no field for (gain, opacity, fades, track pan) travels in `metadata.tandem`;
// what another tool attached that Tandem does not play (effects, its metadata) was kept on import in the
// clip's, track's or sequence's `foreign` object and is written back in place.
//
// Import reads what editors and OTIO's own library write:
// - nested compositions (a Stack or Track as an item of a track, clips directly in a stack) flattened the
//   way OTIO's flatten_stack does: the top layer wins where it is not a gap, and nested ranges map through
//   their parents' source ranges and rates;
// - legacy names and revisions (Sequence.1 for Track, Filler.1 for Gap, Timeline.0, Clip.1's single
//   media_reference, Marker.1's `range`, Marker.3's colour object, SerializeableCollection);
// - numbers as OTIO writes them: integers beyond 64 bits and bare Infinity / NaN, kept verbatim;
// - generator references (bars, titles) as gaps, missing media as named offline clips, image sequences
//   through a hook, transitions as dissolves (or fades where one side is a gap).
// Everything that is not brought in as it was is listed in one warning (OtioImport::summary).
// Media files are brought into the bundle by caller-supplied hooks so this layer stays free of file formats.
#pragma once

#include "timeline/state.h"

#include <QStringList>
#include <functional>
#include <optional>

namespace tandem::timeline {

QByteArray exportOtio(const ProjectState& state, Id sequenceId, const QString& bundleDir, QString* error);

// An OTIO ImageSequenceReference resolved to local files.
struct ImageSequence {
    QString pattern;     // absolute path, printf-style: "/shots/sh010.%04d.exr" (the frame number's place)
    qint64 startFrame = 0, frameStep = 1, count = 0;
    double rate = 0;     // images per second
    QString firstFile() const;
};

struct OtioImportHooks {
    // Brings the file at `absolutePath` into the bundle; returns its bundle-relative path, or empty with
    // `error` set. Unset: every reference stays offline.
    std::function<QString(const QString& absolutePath, QString* error)> adoptMedia;
    // Fills in what the file holds (picture, sound, size, rate, duration). Unset or false: what the OTIO
    // file says is kept.
    std::function<bool(const QString& absolutePath, Asset& asset)> probe;
    // Makes one movie of an image sequence inside the bundle and describes it in `asset` (path, size,
    // rate, duration); false with `error` set when it cannot. Unset: image sequences stay offline.
    std::function<bool(const ImageSequence& images, Asset& asset, QString* error)> adoptImageSequence;
};

struct OtioImport {
    ProjectState state;
    QStringList warnings; // one line per kind of thing not brought in as it was, with the items named
    // The warnings as one message for the user, or empty when everything came in as it was.
    QString summary() const;
};

// `otioDir` resolves relative media paths. Fails with a message naming the first problem.
std::optional<OtioImport> importOtio(const QByteArray& json, const QString& otioDir, const OtioImportHooks& hooks,
                                     QString* error);

} // namespace tandem::timeline
