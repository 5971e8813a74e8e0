#include "timeline/project.h"

#include <algorithm>

namespace tandem::timeline {

qint64 Sequence::duration() const {
    qint64 end = 0;
    for (const Track& t : tracks)
        for (const Clip& c : t.clips) end = std::max(end, c.end());
    return end;
}

Project::Project() {
    sequence_.id = nextId_++;
    sequence_.name = QStringLiteral("Sequence 1");
    sequence_.tracks.append(Track{nextId_++, TrackKind::Video, QStringLiteral("V1"), {}});
    sequence_.tracks.append(Track{nextId_++, TrackKind::Audio, QStringLiteral("A1"), {}});
}

Id Project::addAsset(Asset asset) {
    asset.id = nextId_++;
    assets_.append(asset);
    return asset.id;
}

const Asset* Project::asset(Id id) const {
    for (const Asset& a : assets_)
        if (a.id == id) return &a;
    return nullptr;
}

Track* Project::firstTrack(TrackKind kind) {
    for (Track& t : sequence_.tracks)
        if (t.kind == kind) return &t;
    return nullptr;
}

bool Project::rangeFree(const Track& track, qint64 start, qint64 end) {
    return std::none_of(track.clips.begin(), track.clips.end(),
                        [&](const Clip& c) { return c.position < end && start < c.end(); });
}

EditResult Project::requestInsertAsset(Id assetId, qint64 position) {
    const Asset* a = asset(assetId);
    if (!a) return EditResult::failure(QStringLiteral("no asset with id %1").arg(assetId));
    if (position < 0) return EditResult::failure(QStringLiteral("position must not be negative"));
    const qint64 length = sequence_.time.framesForSeconds(a->duration);
    if (length <= 0) return EditResult::failure(QStringLiteral("%1 has no duration").arg(a->label));
    Track* video = a->hasVideo ? firstTrack(TrackKind::Video) : nullptr;
    Track* audio = a->hasAudio ? firstTrack(TrackKind::Audio) : nullptr;
    if (!video && !audio) return EditResult::failure(QStringLiteral("no track can hold %1").arg(a->label));
    for (Track* t : {video, audio})
        if (t && !rangeFree(*t, position, position + length))
            return EditResult::failure(QStringLiteral("track %1 is occupied there").arg(t->name));

    const Id videoId = video ? nextId_++ : 0;
    const Id audioId = audio ? nextId_++ : 0;
    auto place = [&](Track* t, Id id, Id partner) {
        Clip c{id, assetId, position, 0, length, partner};
        auto at = std::lower_bound(t->clips.begin(), t->clips.end(), position,
                                   [](const Clip& x, qint64 p) { return x.position < p; });
        t->clips.insert(at, c);
    };
    if (video) place(video, videoId, audioId);
    if (audio) place(audio, audioId, videoId);
    return {};
}

QString Project::consistencyError() const {
    QList<Id> clipIds;
    for (const Track& t : sequence_.tracks)
        for (const Clip& c : t.clips) clipIds.append(c.id);
    for (const Track& t : sequence_.tracks) {
        for (int i = 0; i < t.clips.size(); ++i) {
            const Clip& c = t.clips[i];
            if (!asset(c.assetId)) return QStringLiteral("clip %1 refers to a missing asset").arg(c.id);
            if (c.length <= 0) return QStringLiteral("clip %1 has no length").arg(c.id);
            if (c.linkedClipId && !clipIds.contains(c.linkedClipId))
                return QStringLiteral("clip %1 is linked to a missing clip").arg(c.id);
            if (i > 0 && t.clips[i - 1].end() > c.position)
                return QStringLiteral("clips %1 and %2 overlap on %3").arg(t.clips[i - 1].id).arg(c.id).arg(t.name);
        }
    }
    return {};
}

} // namespace tandem::timeline
