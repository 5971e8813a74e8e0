// Design note: hand-off to and from other editors through OpenTimelineIO's JSON (.otio), the format
// DaVinci Resolve, Kdenlive, Premiere (via adapters) and OTIO's own tools read. A sequence exports as a
// Timeline.1 whose Stack.1 holds one Track.1 per track (video first, bottom layer first, as OTIO stacks
// them), each a run of Clip.2 and Gap.1 items; media are ExternalReference.1 file URLs into the bundle.
// Import reads what such editors write — clips, gaps, tracks, source ranges (media timecode offsets
// included), file references, markers — into a new project; transitions and effects are reported and
// skipped, nested stacks are refused. Media files are brought into the bundle by a caller-supplied hook so
// this layer stays free of file-format code.
#pragma once

#include "timeline/state.h"

#include <QStringList>
#include <functional>
#include <optional>

namespace tandem::timeline {

QByteArray exportOtio(const ProjectState& state, Id sequenceId, const QString& bundleDir, QString* error);

struct OtioImportHooks {
    // Brings the file at `absolutePath` into the bundle; returns its bundle-relative path, or empty with
    // `error` set. Unset: every reference stays offline.
    std::function<QString(const QString& absolutePath, QString* error)> adoptMedia;
    // Fills in what the file holds (picture, sound, size, rate, duration). Unset or false: what the OTIO
    // file says is kept.
    std::function<bool(const QString& absolutePath, Asset& asset)> probe;
};

struct OtioImport {
    ProjectState state;
    QStringList warnings; // what was skipped or left offline, for the user to read
};

// `otioDir` resolves relative media paths. Fails with a message naming the first problem.
std::optional<OtioImport> importOtio(const QByteArray& json, const QString& otioDir, const OtioImportHooks& hooks,
                                     QString* error);

} // namespace tandem::timeline
