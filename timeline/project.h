// Design note: the creator's project — assets in a bin, one or more sequences of video and audio tracks,
// clips that place a range of an asset on a track. Every clip and asset has a stable unique id.
// Edits go through request functions that validate first and either apply completely or change nothing and
// say why (EditResult); views read the model and never change it directly.
#pragma once

#include "timeline/time.h"

#include <QList>
#include <QString>

#include <optional>

namespace tandem::timeline {

using Id = qint64;

struct Asset {
    Id id = 0;
    QString path;        // media file
    QString label;       // shown in the bin
    bool hasVideo = false;
    bool hasAudio = false;
    int width = 0, height = 0;
    double fps = 0;      // the media's own rate
    double duration = 0; // seconds
    QString prompt;      // for generated shots: what produced it
};

enum class TrackKind { Video, Audio };

struct Clip {
    Id id = 0;
    Id assetId = 0;
    qint64 position = 0; // first sequence frame
    qint64 sourceIn = 0; // first frame of the asset used
    qint64 length = 0;   // frames
    Id linkedClipId = 0; // partner of an A/V pair, 0 if none
    qint64 end() const { return position + length; }
};

struct Track {
    Id id = 0;
    TrackKind kind = TrackKind::Video;
    QString name;
    QList<Clip> clips; // kept sorted by position, never overlapping
};

struct Sequence {
    Id id = 0;
    QString name;
    TimeMap time;
    QList<Track> tracks;
    qint64 duration() const; // frames, end of the last clip
};

struct EditResult {
    bool ok = true;
    QString reason; // why nothing changed, when !ok
    static EditResult failure(const QString& why) { return {false, why}; }
};

class Project {
public:
    Project();

    Id addAsset(Asset asset); // returns the new id
    const Asset* asset(Id id) const;
    const QList<Asset>& assets() const { return assets_; }

    Sequence& sequence() { return sequence_; }
    const Sequence& sequence() const { return sequence_; }

    // Places the whole asset at `position` on the first video track and (if it has sound) the first audio
    // track, as a linked pair. Fails, changing nothing, if either range is occupied.
    EditResult requestInsertAsset(Id assetId, qint64 position);

    // Checks the model's invariants (sorted, non-overlapping clips, valid asset and link references);
    // returns the first violation, or an empty string.
    QString consistencyError() const;

private:
    Id nextId_ = 1;
    QList<Asset> assets_;
    Sequence sequence_;
    Track* firstTrack(TrackKind kind);
    static bool rangeFree(const Track& track, qint64 start, qint64 end);
};

} // namespace tandem::timeline
