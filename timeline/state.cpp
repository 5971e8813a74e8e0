#include "timeline/state.h"

#include <QCryptographicHash>
#include <QHash>
#include <QSet>

#include <algorithm>
#include <cmath>

namespace tandem::timeline {

namespace {

template <typename T> T* findById(QList<T>& list, Id id) {
    for (T& x : list)
        if (x.id == id) return &x;
    return nullptr;
}
template <typename T> const T* findById(const QList<T>& list, Id id) {
    for (const T& x : list)
        if (x.id == id) return &x;
    return nullptr;
}

const char* const kRoleNames[] = {"", "character", "style", "motion", "voice", "music"};

} // namespace

QString roleName(ReferenceRole role) { return QString::fromLatin1(kRoleNames[int(role)]); }

bool roleFromName(const QString& name, ReferenceRole* role) {
    for (int i = 0; i < int(std::size(kRoleNames)); ++i)
        if (name == QLatin1String(kRoleNames[i])) {
            *role = ReferenceRole(i);
            return true;
        }
    return false;
}

qint64 Sequence::duration() const {
    qint64 end = 0;
    for (const Track& t : tracks)
        if (!t.clips.isEmpty()) end = std::max(end, t.clips.back().end());
    return end;
}

const Asset* ProjectState::asset(Id id) const { return findById(assets, id); }
const Take* ProjectState::take(Id id) const { return findById(takes, id); }
const Mask* ProjectState::mask(Id id) const { return findById(masks, id); }
const Bin* ProjectState::bin(Id id) const { return findById(bins, id); }
const Sequence* ProjectState::sequence(Id id) const { return findById(sequences, id); }
Asset* ProjectState::asset(Id id) { return findById(assets, id); }
Take* ProjectState::take(Id id) { return findById(takes, id); }
Mask* ProjectState::mask(Id id) { return findById(masks, id); }
Bin* ProjectState::bin(Id id) { return findById(bins, id); }
Sequence* ProjectState::sequence(Id id) { return findById(sequences, id); }

const Sequence* ProjectState::sequenceOfTrack(Id trackId) const {
    for (const Sequence& s : sequences)
        if (findById(s.tracks, trackId)) return &s;
    return nullptr;
}
const Track* ProjectState::track(Id trackId) const {
    const Sequence* s = sequenceOfTrack(trackId);
    return s ? findById(s->tracks, trackId) : nullptr;
}
Track* ProjectState::track(Id trackId) {
    for (Sequence& s : sequences)
        if (Track* t = findById(s.tracks, trackId)) return t;
    return nullptr;
}
const Track* ProjectState::trackOfClip(Id clipId) const {
    for (const Sequence& s : sequences)
        for (const Track& t : s.tracks)
            if (findById(t.clips, clipId)) return &t;
    return nullptr;
}
Track* ProjectState::trackOfClip(Id clipId) {
    for (Sequence& s : sequences)
        for (Track& t : s.tracks)
            if (findById(t.clips, clipId)) return &t;
    return nullptr;
}
const Clip* ProjectState::clip(Id clipId) const {
    const Track* t = trackOfClip(clipId);
    return t ? findById(t->clips, clipId) : nullptr;
}
Clip* ProjectState::clip(Id clipId) {
    Track* t = trackOfClip(clipId);
    return t ? findById(t->clips, clipId) : nullptr;
}

Id ProjectState::largestId() const {
    Id top = 0;
    auto see = [&](Id id) { top = std::max(top, id); };
    for (const Bin& b : bins) see(b.id);
    for (const Asset& a : assets) see(a.id);
    for (const Take& t : takes) see(t.id);
    for (const Mask& m : masks) see(m.id);
    for (const Sequence& s : sequences) {
        see(s.id);
        for (const Marker& m : s.markers) see(m.id);
        for (const Track& t : s.tracks) {
            see(t.id);
            for (const Clip& c : t.clips) see(c.id);
        }
    }
    return top;
}

QString ProjectState::mediaPathOfClip(const Clip& c) const {
    if (c.takeId)
        if (const Take* t = take(c.takeId)) return t->output;
    const Asset* a = asset(c.assetId);
    return a ? a->path : QString();
}

qint64 ProjectState::sourceLengthFrames(const Clip& c, const TimeMap& time) const {
    double seconds = 0;
    if (c.takeId) {
        if (const Take* t = take(c.takeId)) seconds = t->duration;
    } else if (const Asset* a = asset(c.assetId)) {
        seconds = a->duration;
    }
    return time.framesForSeconds(seconds);
}

QString ProjectState::fingerprint(const TakeInputs& in) const {
    // Everything that, if changed, would have produced a different take.
    QByteArray text;
    auto assetPart = [&](Id id) {
        const Asset* a = asset(id);
        text += a ? (a->path + QLatin1Char('#') + QString::number(a->revision)).toUtf8() : QByteArray("missing");
        text += ';';
    };
    for (Id r : in.referenceAssetIds) assetPart(r);
    text += "|mask:";
    if (const Mask* m = mask(in.maskId)) {
        text += QByteArray::number(m->feather, 'g', 17);
        for (const MaskKeyframe& k : m->keyframes) {
            text += ':' + QByteArray::number(k.frame) + ',' + QByteArray::number(int(k.interpolation));
            for (const Stroke& s : k.strokes) {
                text += '/' + QByteArray::number(s.radius, 'g', 17) + (s.erase ? "e" : "p");
                for (QPointF p : s.points)
                    text += ',' + QByteArray::number(p.x(), 'g', 17) + ',' + QByteArray::number(p.y(), 'g', 17);
            }
        }
    }
    text += "|source:";
    if (in.sourceAssetId) assetPart(in.sourceAssetId);
    if (const Take* t = take(in.sourceTakeId)) text += t->output.toUtf8();
    return QString::fromLatin1(QCryptographicHash::hash(text, QCryptographicHash::Sha1).toHex());
}

bool ProjectState::isStale(const Clip& c) const {
    const Take* t = take(c.takeId);
    return t && !t->inputsFingerprint.isEmpty() && fingerprint(t->inputs) != t->inputsFingerprint;
}

QString ProjectState::consistencyError() const {
    QSet<Id> ids;
    auto unique = [&](Id id, const char* what) -> QString {
        if (id <= 0) return QStringLiteral("a %1 has no id").arg(QLatin1String(what));
        if (ids.contains(id)) return QStringLiteral("id %1 is used twice").arg(id);
        ids.insert(id);
        return {};
    };
#define TANDEM_CHECK(expr)                                                                                       \
    do {                                                                                                         \
        if (QString e = (expr); !e.isEmpty()) return e;                                                          \
    } while (0)
    for (const Bin& b : bins) {
        TANDEM_CHECK(unique(b.id, "bin"));
        if (b.parentId && !bin(b.parentId)) return QStringLiteral("bin %1 is inside a missing bin").arg(b.id);
        // No cycles: walking up must reach the top within bins.size() steps.
        Id up = b.parentId;
        for (int steps = 0; up; ++steps) {
            if (steps > bins.size() || up == b.id) return QStringLiteral("bin %1 is inside itself").arg(b.id);
            up = bin(up) ? bin(up)->parentId : 0;
        }
    }
    for (const Asset& a : assets) {
        TANDEM_CHECK(unique(a.id, "asset"));
        if (a.binId && !bin(a.binId)) return QStringLiteral("asset %1 is in a missing bin").arg(a.id);
        if (a.activeTakeId && (!take(a.activeTakeId) || take(a.activeTakeId)->assetId != a.id))
            return QStringLiteral("asset %1's active take is not one of its takes").arg(a.id);
    }
    for (const Take& t : takes) {
        TANDEM_CHECK(unique(t.id, "take"));
        const Asset* a = asset(t.assetId);
        if (!a || a->kind != AssetKind::Generated)
            return QStringLiteral("take %1 does not belong to a generated shot").arg(t.id);
        if (t.parentTakeId && !take(t.parentTakeId)) return QStringLiteral("take %1's parent is missing").arg(t.id);
    }
    // Every clip indexed once, with its track kind and sequence: edits run this check on every request.
    struct Placed {
        const Clip* clip;
        TrackKind kind;
        Id sequenceId;
    };
    QHash<Id, Placed> allClips;
    for (const Sequence& s : sequences)
        for (const Track& t : s.tracks)
            for (const Clip& c : t.clips) allClips.insert(c.id, {&c, t.kind, s.id});
    for (const Mask& m : masks) {
        TANDEM_CHECK(unique(m.id, "mask"));
        const auto found = allClips.constFind(m.clipId);
        const Clip* c = found == allClips.cend() ? nullptr : found->clip;
        if (!c || c->maskId != m.id) return QStringLiteral("mask %1 is not attached to its clip").arg(m.id);
        for (int i = 1; i < m.keyframes.size(); ++i)
            if (m.keyframes[i - 1].frame >= m.keyframes[i].frame)
                return QStringLiteral("mask %1's keyframes are out of order").arg(m.id);
    }
    for (const Sequence& s : sequences) {
        TANDEM_CHECK(unique(s.id, "sequence"));
        if (!s.time.fps.isValid() || s.time.sampleRate <= 0)
            return QStringLiteral("sequence %1 has an invalid rate").arg(s.id);
        for (int i = 0; i < s.markers.size(); ++i) {
            TANDEM_CHECK(unique(s.markers[i].id, "marker"));
            if (s.markers[i].frame < 0 || (i > 0 && s.markers[i - 1].frame > s.markers[i].frame))
                return QStringLiteral("markers of %1 are out of order").arg(s.name);
        }
        bool audioSeen = false;
        for (const Track& t : s.tracks) {
            TANDEM_CHECK(unique(t.id, "track"));
            if (!std::isfinite(t.gainDb) || t.gainDb < -96 || t.gainDb > 24 || !(t.pan >= -1 && t.pan <= 1))
                return QStringLiteral("track %1's gain or pan is out of range").arg(t.name);
            if (t.kind == TrackKind::Audio) audioSeen = true;
            else if (audioSeen) return QStringLiteral("video track %1 is below an audio track").arg(t.name);
            for (int i = 0; i < t.clips.size(); ++i) {
                const Clip& c = t.clips[i];
                TANDEM_CHECK(unique(c.id, "clip"));
                const Asset* a = asset(c.assetId);
                if (!a) return QStringLiteral("clip %1 refers to a missing asset").arg(c.id);
                if (t.kind == TrackKind::Video ? !a->hasVideo : !a->hasAudio)
                    return QStringLiteral("clip %1 has no %2 for its track").arg(c.id).arg(t.kind == TrackKind::Video ? "picture" : "sound");
                if (a->kind == AssetKind::Generated && !c.takeId)
                    return QStringLiteral("clip %1 of a generated shot shows no take").arg(c.id);
                if (c.takeId && (!take(c.takeId) || take(c.takeId)->assetId != c.assetId))
                    return QStringLiteral("clip %1 shows a take of another shot").arg(c.id);
                if (c.length <= 0) return QStringLiteral("clip %1 has no length").arg(c.id);
                if (c.position < 0 || c.sourceIn < 0) return QStringLiteral("clip %1 starts before zero").arg(c.id);
                if (c.fadeIn < 0 || c.fadeOut < 0 || c.dissolveIn < 0)
                    return QStringLiteral("clip %1 has a negative fade").arg(c.id);
                if (c.dissolveIn && t.kind != TrackKind::Video)
                    return QStringLiteral("clip %1 dissolves, but it is sound").arg(c.id);
                if (!a->offline() && c.sourceOut() > sourceLengthFrames(c, s.time))
                    return QStringLiteral("clip %1 runs past the end of its media").arg(c.id);
                if (i > 0 && t.clips[i - 1].end() > c.position)
                    return QStringLiteral("clips %1 and %2 overlap on %3").arg(t.clips[i - 1].id).arg(c.id).arg(t.name);
                if (c.maskId && (!mask(c.maskId) || mask(c.maskId)->clipId != c.id))
                    return QStringLiteral("clip %1's mask is missing").arg(c.id);
                if (c.linkedClipId) {
                    const auto partner = allClips.constFind(c.linkedClipId);
                    if (partner == allClips.cend() || partner->clip->linkedClipId != c.id || partner->sequenceId != s.id)
                        return QStringLiteral("clip %1's link is not mutual").arg(c.id);
                    if (partner->kind == t.kind)
                        return QStringLiteral("clip %1 is linked to a clip of the same kind").arg(c.id);
                }
            }
        }
    }
#undef TANDEM_CHECK
    return {};
}

} // namespace tandem::timeline
