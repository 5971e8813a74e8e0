// Design note: the creator's project as plain values. A ProjectState is everything project.json holds:
// bins (folders) of assets, the takes of generated shots, per-clip masks, and sequences of tracks of clips.
// Every object carries a stable unique id; references between objects are by id, never by pointer, so a
// state can be copied (cheaply: Qt containers share until written) and an undo step is "put the old state
// back". Nothing here edits — edits live in edits.cpp and go through Project's requests.
#pragma once

#include "timeline/mask.h"
#include "timeline/time.h"

#include <QJsonObject>
#include <QList>
#include <QString>
#include <QStringList>

namespace tandem::timeline {

using Id = qint64;

// What a reference asset is for when it conditions generation.
enum class ReferenceRole { None, Character, Style, Motion, Voice, Music };
QString roleName(ReferenceRole role);
bool roleFromName(const QString& name, ReferenceRole* role);

struct Bin {
    Id id = 0;
    Id parentId = 0; // 0 = top level
    QString name;
};

enum class AssetKind { Media, Generated };

struct Asset {
    Id id = 0;
    Id binId = 0; // 0 = top level
    AssetKind kind = AssetKind::Media;
    QString path;  // bundle-relative ("media/…"); empty for a generated shot (its takes hold media) or offline
    QString label; // shown in the bin
    bool hasVideo = false;
    bool hasAudio = false;
    int width = 0, height = 0;
    double fps = 0;      // the media's own rate
    double duration = 0; // seconds
    QString prompt;      // for generated shots: what produced the first take
    ReferenceRole role = ReferenceRole::None;
    int revision = 0;       // bumped when the media is replaced, so takes made from it go stale
    QString originalName;   // where imported media came from (informational; never opened)
    Id activeTakeId = 0;    // generated shots: the take new clips use
    bool offline() const { return kind == AssetKind::Media && path.isEmpty(); }
};

// What a take was made from. Its fingerprint is recorded when the take is made; a clip showing the take is
// stale when the same inputs, fingerprinted now, differ (a reference was replaced, the mask repainted, the
// source re-taken).
struct TakeInputs {
    QList<Id> referenceAssetIds;
    Id maskId = 0;        // the mask an inpaint/retake used
    Id sourceAssetId = 0; // the media an edit task started from (0 for text-to-shot)
    Id sourceTakeId = 0;  // … or the take it started from
    bool operator==(const TakeInputs&) const = default;
};

struct Take {
    Id id = 0;
    Id assetId = 0;      // the generated shot this take belongs to
    Id parentTakeId = 0; // the take it was edited from
    QString task;        // generate, inpaint, retake, extend, restyle, foley, dub
    QJsonObject request; // the generation request as sent to the engine
    qint64 seed = 0;
    QString modelId;
    QString modelChecksum;
    QString created; // ISO 8601, UTC
    QString output;  // bundle-relative ("takes/…")
    double duration = 0;
    TakeInputs inputs;
    QString inputsFingerprint;
};

struct Marker {
    Id id = 0;
    qint64 frame = 0;
    QString name;
    QString color; // #rrggbb
};

enum class TrackKind { Video, Audio };

// The largest audio delay a clip may have either way: far beyond any lip-sync error, well short of a mistake.
inline constexpr double kMaxAudioDelayMs = 10000;

struct Clip {
    Id id = 0;
    Id assetId = 0;
    Id takeId = 0;       // generated shots: which take this clip shows
    qint64 position = 0; // first sequence frame
    qint64 sourceIn = 0; // first frame of the media used
    qint64 length = 0;   // frames
    double gainDb = 0;   // audio clips
    double opacity = 1;  // video clips
    Id linkedClipId = 0; // partner of an A/V pair, 0 if none
    Id maskId = 0;       // painted repair mask, 0 if none
    // Ramps at the ends, in frames: sound fades from/to silence, pictures from/to transparent. Longer fades
    // than the clip (after a trim) are shortened when played, never refused.
    qint64 fadeIn = 0, fadeOut = 0;
    // Video: frames of cross-dissolve from the clip before it on the track, centred on the cut. It plays
    // only while that clip ends exactly where this one starts, and never longer than either clip.
    qint64 dissolveIn = 0;
    // Audio clips: the sound plays this many milliseconds later than its frames (negative: earlier). A
    // lip-sync fix is usually a fraction of a frame, finer than any edit in frames can say.
    double audioDelayMs = 0;
    // What another editor's file attached to the clip that Tandem neither plays nor edits (OTIO effects and
    // metadata, MLT filters it does not know), kept so that exporting to that format writes it back.
    QJsonObject foreign{};
    qint64 end() const { return position + length; }
    bool operator==(const Clip&) const = default;
    qint64 sourceOut() const { return sourceIn + length; }
};

struct Track {
    Id id = 0;
    TrackKind kind = TrackKind::Video;
    QString name;
    bool muted = false;
    bool locked = false; // a locked track refuses every edit
    // Audio tracks: the track's fader, pan (−1 left … +1 right, constant power) and solo (when any track of
    // the sequence is soloed, only soloed tracks sound).
    double gainDb = 0;
    double pan = 0;
    bool solo = false;
    QList<Clip> clips;   // sorted by position, never overlapping
    QJsonObject foreign{}; // as Clip::foreign, for the track

    static Track named(Id id, TrackKind kind, QString name) {
        Track t;
        t.id = id;
        t.kind = kind;
        t.name = std::move(name);
        return t;
    }
};

struct Sequence {
    Id id = 0;
    QString name;
    TimeMap time;
    int width = 1280, height = 720;
    QList<Track> tracks; // video tracks first (V1 is the bottom layer), then audio
    QList<Marker> markers; // sorted by frame
    QJsonObject foreign{};   // as Clip::foreign, for the timeline (and items of a kind Tandem has no place for)
    qint64 duration() const; // frames, end of the last clip
};

struct ProjectState {
    QString name;
    QList<Bin> bins;
    QList<Asset> assets;
    QList<Take> takes;
    QList<Mask> masks;
    QList<Sequence> sequences;

    // Lookups by id (nullptr when absent).
    const Asset* asset(Id id) const;
    const Take* take(Id id) const;
    const Mask* mask(Id id) const;
    const Bin* bin(Id id) const;
    const Sequence* sequence(Id id) const;
    const Sequence* sequenceOfTrack(Id trackId) const;
    const Track* track(Id trackId) const;
    const Clip* clip(Id clipId) const;
    const Track* trackOfClip(Id clipId) const;
    Asset* asset(Id id);
    Take* take(Id id);
    Mask* mask(Id id);
    Bin* bin(Id id);
    Sequence* sequence(Id id);
    Track* track(Id trackId);
    Clip* clip(Id clipId);
    Track* trackOfClip(Id clipId);

    Id largestId() const;
    // The bundle-relative media file a clip shows: its take's output, else its asset's file.
    QString mediaPathOfClip(const Clip& clip) const;
    // Frames of source media a clip may use, in its sequence's frames (unbounded for stills/generated 0).
    qint64 sourceLengthFrames(const Clip& clip, const TimeMap& time) const;

    // The model's invariants (unique ids, sorted non-overlapping clips, valid references, symmetric links,
    // source ranges inside the media); returns the first violation, or an empty string.
    QString consistencyError() const;

    // Fingerprint of a take's inputs as they are now.
    QString fingerprint(const TakeInputs& inputs) const;
    // A clip is stale when its take's inputs changed since the take was made.
    bool isStale(const Clip& clip) const;
};

} // namespace tandem::timeline
