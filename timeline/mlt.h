// Design note: hand-off to Shotcut and Kdenlive, both built on the MLT framework, through MLT's own XML —
// the document `melt` renders and Shotcut opens as a project. Export writes what Shotcut itself writes:
//
//   profile (the sequence's size and rational rate)
//   one producer per clip (avformat; a picture track's clips without their sound, a sound track's without
//     their picture), carrying its filters: opacity and picture fades as `brightness` alpha, gain as
//     `volume` level (dB), sound fades as `volume` gain ramps — each fade a filter over its own frames
//   one playlist per track: entries with in/out, blanks for gaps, and for a dissolve a small tractor of the
//     two clips' overlapping frames, the incoming one's alpha rising (Shotcut's "mix" layout)
//   the main tractor: an opaque black background, the tracks bottom layer first, `affine` compositing each
//     picture track over what lies below (Kdenlive's Composite & Transform; Shotcut's qtblend needs X11 to
//     render) and `mix` summing each sound track.
//
// The keyframes are set so MLT plays Tandem's curves exactly: a fade of L frames has weight (i + ½)/L on its
// i-th frame (alpha keyframes at ½/L and (L − ½)/L), a dissolve weight i/L (MLT's luma weights, which the
// compositor follows; written as the incoming clip's alpha ramp, as luma's own 4:2:2 mix shifts chroma).
// Sound delays finer than a frame have no MLT form: they are rounded to frames and listed.
//
// Import reads documents MLT writes (`melt … -consumer xml`) and Shotcut projects: the profile, the main
// tractor's tracks (playlists of entries and blanks, `hide` telling picture from sound), clips' in/out,
// producers and chains with their resources, Shotcut's dissolve tractors, and the filters above; anything
// else is listed in one warning and kept in the clip's or sequence's `foreign` object.
#pragma once

#include "timeline/otio.h"
#include "timeline/state.h"

#include <QStringList>
#include <functional>
#include <optional>

namespace tandem::timeline {

struct MltExport {
    QByteArray xml;
    QStringList warnings; // what MLT cannot say as Tandem plays it
};

// The sequence as an MLT document. `resourceOf(clip)` names a clip's media file as the document should
// (relative to the document's folder, or absolute); a clip it names as "" is offline and left out, listed.
MltExport mltDocument(const ProjectState& state, const Sequence& sequence,
                      const std::function<QString(const Clip&)>& resourceOf);

// Writes the document at `mltPath` and every media file the sequence shows into "<document name>-media/"
// beside it (hard links where the disk allows, else copies; a generated shot as its take's rendered file),
// named relatively so the two travel together. Nothing is left half-written on failure.
std::optional<MltExport> exportMltProject(const ProjectState& state, Id sequenceId, const QString& bundleDir,
                                          const QString& mltPath, QString* error);

struct MltImport {
    ProjectState state;
    QStringList warnings; // one line per kind of thing not brought in as it was
    QString summary() const;
};

// `mltDir` resolves relative resources (with the document's `root` when it names one). Media come into
// the bundle through the same hooks as an OTIO import.
std::optional<MltImport> importMlt(const QByteArray& xml, const QString& mltDir, const OtioImportHooks& hooks,
                                   QString* error);

} // namespace tandem::timeline
