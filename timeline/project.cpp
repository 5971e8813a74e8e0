#include "timeline/project.h"

#include "timeline/paths.h"

#include <QDateTime>

#include <algorithm>
#include <cmath>

namespace tandem::timeline {

namespace {

void sortClips(Track& t) {
    std::stable_sort(t.clips.begin(), t.clips.end(), [](const Clip& a, const Clip& b) { return a.position < b.position; });
}

int indexOfClip(const Track& t, Id clipId) {
    for (int i = 0; i < t.clips.size(); ++i)
        if (t.clips[i].id == clipId) return i;
    return -1;
}

bool rangeFree(const Track& t, qint64 start, qint64 end, const QList<Id>& ignore) {
    return std::none_of(t.clips.begin(), t.clips.end(), [&](const Clip& c) {
        return !ignore.contains(c.id) && c.position < end && start < c.end();
    });
}

// The clip and, if it has one, its linked partner.
QList<Id> withPartner(const ProjectState& s, Id clipId) {
    QList<Id> ids{clipId};
    if (const Clip* c = s.clip(clipId); c && c->linkedClipId) ids.append(c->linkedClipId);
    return ids;
}

// Every clip of a sequence that starts at or after `boundary` moves by `delta` (a ripple). All tracks move
// together so linked pairs and anything cut to them stay in sync; a locked track refuses at commit.
void shiftFrom(Sequence& seq, qint64 boundary, qint64 delta, const QList<Id>& except = {}) {
    for (Track& t : seq.tracks)
        for (Clip& c : t.clips)
            if (c.position >= boundary && !except.contains(c.id)) c.position += delta;
}

Sequence* sequenceOfClip(ProjectState& s, Id clipId) {
    for (Sequence& seq : s.sequences)
        for (const Track& t : seq.tracks)
            if (indexOfClip(t, clipId) >= 0) return &seq;
    return nullptr;
}

QString lockedTrackChange(const ProjectState& before, const ProjectState& after) {
    for (const Sequence& seq : before.sequences)
        for (const Track& t : seq.tracks) {
            if (!t.locked) continue;
            const Track* now = after.track(t.id);
            if (!now || now->clips != t.clips) return QStringLiteral("track %1 is locked").arg(t.name);
        }
    return {};
}

QString noClip(Id id) { return QStringLiteral("no clip with id %1").arg(id); }

} // namespace

Project::Project(const QString& name) {
    state_.name = name;
    Sequence seq;
    seq.id = allocateId();
    seq.name = QStringLiteral("Sequence 1");
    seq.tracks.append(Track::named(allocateId(), TrackKind::Video, QStringLiteral("V1")));
    seq.tracks.append(Track::named(allocateId(), TrackKind::Audio, QStringLiteral("A1")));
    state_.sequences.append(seq);
}

Project::Project(ProjectState state) : state_(std::move(state)), nextId_(state_.largestId() + 1) {}

void Project::replaceState(ProjectState state) {
    state_ = std::move(state);
    history_.clear();
    index_ = 0;
    nextId_ = std::max(nextId_, state_.largestId() + 1);
    changed();
}

// --- the edit machinery

EditResult Project::edit(const QString& text, const std::function<QString(ProjectState&)>& change) {
    ProjectState next = state_;
    const Id firstNewId = nextId_;
    if (QString why = change(next); !why.isEmpty()) return EditResult::failure(why);
    EditResult r = commit(std::move(next), text);
    if (r.ok && nextId_ > firstNewId) r.newId = firstNewId;
    return r;
}

EditResult Project::commit(ProjectState next, const QString& text) {
    if (QString why = next.consistencyError(); !why.isEmpty()) return EditResult::failure(why);
    if (QString why = lockedTrackChange(state_, next); !why.isEmpty()) return EditResult::failure(why);
    if (compoundDepth_ == 0) {
        history_.erase(history_.begin() + index_, history_.end());
        history_.append(Entry{text, state_, next});
        ++index_;
    }
    state_ = std::move(next);
    changed();
    if (compoundDepth_ == 0 && onRecorded_) onRecorded_(text);
    return {};
}

void Project::changed() {
    ++revision_;
    const auto listeners = onChange_; // a listener may add or remove listeners
    for (const auto& listener : listeners) listener();
}

int Project::addChangeListener(std::function<void()> listener) {
    onChange_.insert(nextListener_, std::move(listener));
    return nextListener_++;
}

EditResult Project::requestCompound(const QString& text, const std::function<EditResult()>& body) {
    const ProjectState start = state_;
    const quint64 startRevision = revision_;
    ++compoundDepth_;
    EditResult r = body();
    --compoundDepth_;
    if (!r.ok) {
        if (revision_ != startRevision) {
            state_ = start;
            changed();
        }
        return r;
    }
    if (compoundDepth_ == 0 && revision_ != startRevision) {
        history_.erase(history_.begin() + index_, history_.end());
        history_.append(Entry{text, start, state_});
        ++index_;
        if (onRecorded_) onRecorded_(text);
    }
    return r;
}

bool Project::undo() {
    if (!canUndo() || compoundDepth_) return false;
    state_ = history_[--index_].before;
    changed();
    return true;
}

bool Project::redo() {
    if (!canRedo() || compoundDepth_) return false;
    state_ = history_[index_++].after;
    changed();
    return true;
}

// --- clip helpers (on a state copy)

Id Project::splitClipAt(ProjectState& s, Track& track, int index, qint64 frame) {
    Clip& left = track.clips[index];
    Clip right = left;
    right.id = allocateId();
    right.position = frame;
    right.sourceIn += frame - left.position;
    right.length = left.end() - frame;
    right.linkedClipId = 0;
    right.maskId = 0;
    // The fade in and dissolve stay with the left half, the fade out goes with the right.
    right.fadeIn = right.dissolveIn = 0;
    left.fadeOut = 0;
    left.length = frame - left.position;
    if (left.maskId) { // the right half keeps the same painted mask (keyframes are on source frames)
        Mask copy = *s.mask(left.maskId);
        copy.id = allocateId();
        copy.clipId = right.id;
        right.maskId = copy.id;
        s.masks.append(copy);
    }
    track.clips.insert(index + 1, right);
    return right.id;
}

void Project::removeClip(ProjectState& s, Id clipId) {
    Track* t = s.trackOfClip(clipId);
    if (!t) return;
    const Clip c = t->clips[indexOfClip(*t, clipId)];
    if (c.maskId) s.masks.removeIf([&](const Mask& m) { return m.id == c.maskId; });
    if (Clip* partner = c.linkedClipId ? s.clip(c.linkedClipId) : nullptr) partner->linkedClipId = 0;
    t = s.trackOfClip(clipId);
    t->clips.removeAt(indexOfClip(*t, clipId));
}

void Project::clearRange(ProjectState& s, Id trackId, qint64 start, qint64 end) {
    for (int i = 0; i < s.track(trackId)->clips.size();) {
        Track& t = *s.track(trackId);
        Clip& c = t.clips[i];
        if (c.end() <= start || c.position >= end) {
            ++i;
        } else if (c.position >= start && c.end() <= end) {
            removeClip(s, c.id);
        } else if (c.position < start && c.end() > end) {
            splitClipAt(s, t, i, end);
            s.track(trackId)->clips[i].length = start - s.track(trackId)->clips[i].position;
            i += 2;
        } else if (c.position < start) {
            c.length = start - c.position;
            ++i;
        } else {
            const qint64 cut = end - c.position;
            c.position = end;
            c.sourceIn += cut;
            c.length -= cut;
            ++i;
        }
    }
}

void Project::overwriteOnTrack(ProjectState& s, Id trackId, const Clip& clip) {
    clearRange(s, trackId, clip.position, clip.end());
    Track& t = *s.track(trackId);
    t.clips.append(clip);
    sortClips(t);
}

// --- bins and assets

EditResult Project::requestAddBin(const QString& name, Id parentId) {
    return edit(QStringLiteral("Add bin"), [&](ProjectState& s) -> QString {
        if (name.trimmed().isEmpty()) return QStringLiteral("a bin needs a name");
        if (parentId && !s.bin(parentId)) return QStringLiteral("no bin with id %1").arg(parentId);
        s.bins.append(Bin{allocateId(), parentId, name.trimmed()});
        return {};
    });
}

EditResult Project::requestRenameBin(Id binId, const QString& name) {
    return edit(QStringLiteral("Rename bin"), [&](ProjectState& s) -> QString {
        Bin* b = s.bin(binId);
        if (!b) return QStringLiteral("no bin with id %1").arg(binId);
        if (name.trimmed().isEmpty()) return QStringLiteral("a bin needs a name");
        b->name = name.trimmed();
        return {};
    });
}

EditResult Project::requestMoveBin(Id binId, Id parentId) {
    return edit(QStringLiteral("Move bin"), [&](ProjectState& s) -> QString {
        Bin* b = s.bin(binId);
        if (!b) return QStringLiteral("no bin with id %1").arg(binId);
        if (parentId && !s.bin(parentId)) return QStringLiteral("no bin with id %1").arg(parentId);
        b->parentId = parentId; // a move into itself or a descendant fails the consistency check
        return {};
    });
}

EditResult Project::requestRemoveBin(Id binId) {
    return edit(QStringLiteral("Remove bin"), [&](ProjectState& s) -> QString {
        const Bin* b = s.bin(binId);
        if (!b) return QStringLiteral("no bin with id %1").arg(binId);
        const Id parent = b->parentId;
        for (Bin& child : s.bins)
            if (child.parentId == binId) child.parentId = parent;
        for (Asset& a : s.assets)
            if (a.binId == binId) a.binId = parent;
        s.bins.removeIf([&](const Bin& x) { return x.id == binId; });
        return {};
    });
}

EditResult Project::requestAddAsset(Asset asset) {
    return edit(QStringLiteral("Import %1").arg(asset.label), [&](ProjectState& s) -> QString {
        if (asset.kind == AssetKind::Generated) return QStringLiteral("generated shots are added with their first take");
        if (!asset.path.isEmpty())
            if (QString why = unsafeBundlePathReason(asset.path); !why.isEmpty()) return why;
        if (!asset.hasVideo && !asset.hasAudio) return QStringLiteral("%1 has neither picture nor sound").arg(asset.label);
        if (asset.binId && !s.bin(asset.binId)) return QStringLiteral("no bin with id %1").arg(asset.binId);
        asset.id = allocateId();
        s.assets.append(asset);
        return {};
    });
}

EditResult Project::requestRemoveAsset(Id assetId) {
    return edit(QStringLiteral("Remove asset"), [&](ProjectState& s) -> QString {
        if (!s.asset(assetId)) return QStringLiteral("no asset with id %1").arg(assetId);
        int uses = 0;
        for (const Sequence& seq : s.sequences)
            for (const Track& t : seq.tracks)
                uses += int(std::count_if(t.clips.begin(), t.clips.end(), [&](const Clip& c) { return c.assetId == assetId; }));
        if (uses) return QStringLiteral("%1 is used by %2 clip(s); remove them first").arg(s.asset(assetId)->label).arg(uses);
        s.takes.removeIf([&](const Take& t) { return t.assetId == assetId; });
        s.assets.removeIf([&](const Asset& a) { return a.id == assetId; });
        return {};
    });
}

EditResult Project::requestMoveAsset(Id assetId, Id binId) {
    return edit(QStringLiteral("Move to bin"), [&](ProjectState& s) -> QString {
        Asset* a = s.asset(assetId);
        if (!a) return QStringLiteral("no asset with id %1").arg(assetId);
        if (binId && !s.bin(binId)) return QStringLiteral("no bin with id %1").arg(binId);
        a->binId = binId;
        return {};
    });
}

EditResult Project::requestRenameAsset(Id assetId, const QString& label) {
    return edit(QStringLiteral("Rename"), [&](ProjectState& s) -> QString {
        Asset* a = s.asset(assetId);
        if (!a) return QStringLiteral("no asset with id %1").arg(assetId);
        if (label.trimmed().isEmpty()) return QStringLiteral("a name cannot be empty");
        a->label = label.trimmed();
        return {};
    });
}

EditResult Project::requestSetRole(Id assetId, ReferenceRole role) {
    return edit(QStringLiteral("Set reference role"), [&](ProjectState& s) -> QString {
        Asset* a = s.asset(assetId);
        if (!a) return QStringLiteral("no asset with id %1").arg(assetId);
        a->role = role;
        return {};
    });
}

EditResult Project::requestReplaceMedia(Id assetId, const QString& path, double duration) {
    return edit(QStringLiteral("Replace media"), [&](ProjectState& s) -> QString {
        Asset* a = s.asset(assetId);
        if (!a || a->kind != AssetKind::Media) return QStringLiteral("no media asset with id %1").arg(assetId);
        if (QString why = unsafeBundlePathReason(path); !why.isEmpty()) return why;
        a->path = path;
        a->duration = duration;
        ++a->revision; // takes generated from the old media go stale
        return {};
    });
}

// --- generated shots and takes

namespace {
QString prepareTake(const ProjectState& s, Take& take) {
    if (!take.output.isEmpty())
        if (QString why = unsafeBundlePathReason(take.output); !why.isEmpty()) return why;
    if (take.duration <= 0) return QStringLiteral("a take needs a duration");
    if (take.created.isEmpty()) take.created = QDateTime::currentDateTimeUtc().toString(Qt::ISODate);
    if (take.inputsFingerprint.isEmpty()) take.inputsFingerprint = s.fingerprint(take.inputs);
    return {};
}
} // namespace

EditResult Project::requestAddGeneratedShot(Asset shot, Take firstTake) {
    return edit(QStringLiteral("Generate %1").arg(shot.label), [&](ProjectState& s) -> QString {
        if (QString why = prepareTake(s, firstTake); !why.isEmpty()) return why;
        if (shot.binId && !s.bin(shot.binId)) return QStringLiteral("no bin with id %1").arg(shot.binId);
        shot.kind = AssetKind::Generated;
        shot.path.clear();
        shot.id = allocateId();
        firstTake.id = allocateId();
        firstTake.assetId = shot.id;
        shot.activeTakeId = firstTake.id;
        if (shot.duration <= 0) shot.duration = firstTake.duration;
        s.assets.append(shot);
        s.takes.append(firstTake);
        return {};
    });
}

EditResult Project::requestAddTake(Take take) {
    return edit(QStringLiteral("New take"), [&](ProjectState& s) -> QString {
        Asset* a = s.asset(take.assetId);
        if (!a || a->kind != AssetKind::Generated) return QStringLiteral("takes belong to generated shots");
        if (take.parentTakeId && (!s.take(take.parentTakeId) || s.take(take.parentTakeId)->assetId != take.assetId))
            return QStringLiteral("the parent take is not a take of this shot");
        if (QString why = prepareTake(s, take); !why.isEmpty()) return why;
        take.id = allocateId();
        s.asset(take.assetId)->activeTakeId = take.id;
        s.takes.append(take);
        return {};
    });
}

EditResult Project::requestSwitchTake(Id clipId, Id takeId) {
    return edit(QStringLiteral("Switch take"), [&](ProjectState& s) -> QString {
        const Clip* c = s.clip(clipId);
        if (!c) return noClip(clipId);
        const Take* t = s.take(takeId);
        if (!t || t->assetId != c->assetId) return QStringLiteral("take %1 is not a take of this shot").arg(takeId);
        if (c->sourceOut() > s.sequenceOfTrack(s.trackOfClip(clipId)->id)->time.framesForSeconds(t->duration))
            return QStringLiteral("take %1 is shorter than the clip; trim the clip first").arg(takeId);
        for (Id id : withPartner(s, clipId)) s.clip(id)->takeId = takeId;
        return {};
    });
}

EditResult Project::requestSetActiveTake(Id assetId, Id takeId) {
    return edit(QStringLiteral("Choose take"), [&](ProjectState& s) -> QString {
        Asset* a = s.asset(assetId);
        if (!a || !s.take(takeId) || s.take(takeId)->assetId != assetId)
            return QStringLiteral("take %1 is not a take of this shot").arg(takeId);
        a->activeTakeId = takeId;
        return {};
    });
}

EditResult Project::requestNudgeAudio(Id clipId, double deltaMs) {
    return edit(QStringLiteral("Nudge audio"), [&](ProjectState& s) -> QString {
        if (!s.clip(clipId)) return noClip(clipId);
        if (!std::isfinite(deltaMs)) return QStringLiteral("the nudge is not a number");
        Clip* audio = nullptr;
        for (Id id : withPartner(s, clipId))
            if (s.trackOfClip(id)->kind == TrackKind::Audio) audio = s.clip(id);
        if (!audio) return QStringLiteral("the clip has no sound to nudge");
        const double delay = audio->audioDelayMs + deltaMs;
        if (std::abs(delay) > kMaxAudioDelayMs)
            return QStringLiteral("the sound would be %1 s off its picture; at most %2 s is allowed")
                .arg(delay / 1000, 0, 'f', 1)
                .arg(kMaxAudioDelayMs / 1000, 0, 'f', 0);
        audio->audioDelayMs = delay;
        return {};
    });
}

// --- sequences, tracks, markers

EditResult Project::requestAddSequence(const QString& name, Rational fps) {
    return edit(QStringLiteral("Add sequence"), [&](ProjectState& s) -> QString {
        if (!fps.isValid()) return QStringLiteral("the frame rate must be positive");
        if (name.trimmed().isEmpty()) return QStringLiteral("a sequence needs a name");
        Sequence seq;
        seq.id = allocateId();
        seq.name = name.trimmed();
        seq.time.fps = fps;
        seq.tracks.append(Track::named(allocateId(), TrackKind::Video, QStringLiteral("V1")));
        seq.tracks.append(Track::named(allocateId(), TrackKind::Audio, QStringLiteral("A1")));
        s.sequences.append(seq);
        return {};
    });
}

EditResult Project::requestRenameSequence(Id sequenceId, const QString& name) {
    return edit(QStringLiteral("Rename sequence"), [&](ProjectState& s) -> QString {
        Sequence* seq = s.sequence(sequenceId);
        if (!seq) return QStringLiteral("no sequence with id %1").arg(sequenceId);
        if (name.trimmed().isEmpty()) return QStringLiteral("a sequence needs a name");
        seq->name = name.trimmed();
        return {};
    });
}

EditResult Project::requestAddTrack(Id sequenceId, TrackKind kind, int indexInKind) {
    return edit(QStringLiteral("Add track"), [&](ProjectState& s) -> QString {
        Sequence* seq = s.sequence(sequenceId);
        if (!seq) return QStringLiteral("no sequence with id %1").arg(sequenceId);
        const QString prefix = kind == TrackKind::Video ? QStringLiteral("V") : QStringLiteral("A");
        int first = 0, count = 0;
        for (int i = 0; i < seq->tracks.size(); ++i)
            if (seq->tracks[i].kind == kind) {
                if (!count) first = i;
                ++count;
            }
        if (!count) first = kind == TrackKind::Video ? 0 : int(seq->tracks.size());
        const int at = first + ((indexInKind < 0 || indexInKind > count) ? count : indexInKind);
        QString name;
        for (int n = count + 1;; ++n) {
            name = prefix + QString::number(n);
            if (std::none_of(seq->tracks.begin(), seq->tracks.end(), [&](const Track& t) { return t.name == name; }))
                break;
        }
        seq->tracks.insert(at, Track::named(allocateId(), kind, name));
        return {};
    });
}

EditResult Project::requestRemoveTrack(Id trackId) {
    return edit(QStringLiteral("Remove track"), [&](ProjectState& s) -> QString {
        const Track* t = s.track(trackId);
        if (!t) return QStringLiteral("no track with id %1").arg(trackId);
        if (t->locked) return QStringLiteral("track %1 is locked").arg(t->name);
        const QList<Clip> clips = t->clips;
        for (const Clip& c : clips) removeClip(s, c.id);
        Sequence* seq = s.sequence(s.sequenceOfTrack(trackId)->id);
        seq->tracks.removeIf([&](const Track& x) { return x.id == trackId; });
        return {};
    });
}

EditResult Project::requestSetTrackLocked(Id trackId, bool locked) {
    return edit(locked ? QStringLiteral("Lock track") : QStringLiteral("Unlock track"), [&](ProjectState& s) -> QString {
        Track* t = s.track(trackId);
        if (!t) return QStringLiteral("no track with id %1").arg(trackId);
        t->locked = locked;
        return {};
    });
}

EditResult Project::requestSetTrackMuted(Id trackId, bool muted) {
    return edit(muted ? QStringLiteral("Mute track") : QStringLiteral("Unmute track"), [&](ProjectState& s) -> QString {
        Track* t = s.track(trackId);
        if (!t) return QStringLiteral("no track with id %1").arg(trackId);
        t->muted = muted;
        return {};
    });
}

namespace {
Marker* findMarker(ProjectState& s, Id markerId, Sequence** owner) {
    for (Sequence& seq : s.sequences)
        for (Marker& m : seq.markers)
            if (m.id == markerId) {
                *owner = &seq;
                return &m;
            }
    return nullptr;
}
void sortMarkers(Sequence& seq) {
    std::stable_sort(seq.markers.begin(), seq.markers.end(), [](const Marker& a, const Marker& b) { return a.frame < b.frame; });
}
} // namespace

EditResult Project::requestAddMarker(Id sequenceId, qint64 frame, const QString& name, const QString& color) {
    return edit(QStringLiteral("Add marker"), [&](ProjectState& s) -> QString {
        Sequence* seq = s.sequence(sequenceId);
        if (!seq) return QStringLiteral("no sequence with id %1").arg(sequenceId);
        if (frame < 0) return QStringLiteral("a marker cannot sit before the start");
        seq->markers.append(Marker{allocateId(), frame, name, color.isEmpty() ? QStringLiteral("#e0c040") : color});
        sortMarkers(*seq);
        return {};
    });
}

EditResult Project::requestMoveMarker(Id markerId, qint64 frame) {
    return edit(QStringLiteral("Move marker"), [&](ProjectState& s) -> QString {
        Sequence* seq = nullptr;
        Marker* m = findMarker(s, markerId, &seq);
        if (!m) return QStringLiteral("no marker with id %1").arg(markerId);
        if (frame < 0) return QStringLiteral("a marker cannot sit before the start");
        m->frame = frame;
        sortMarkers(*seq);
        return {};
    });
}

EditResult Project::requestRemoveMarker(Id markerId) {
    return edit(QStringLiteral("Remove marker"), [&](ProjectState& s) -> QString {
        Sequence* seq = nullptr;
        if (!findMarker(s, markerId, &seq)) return QStringLiteral("no marker with id %1").arg(markerId);
        seq->markers.removeIf([&](const Marker& m) { return m.id == markerId; });
        return {};
    });
}

// --- clips

EditResult Project::requestPlace(const Placement& p) {
    return edit(p.mode == PlaceMode::Insert ? QStringLiteral("Insert") : QStringLiteral("Overwrite"),
                [&](ProjectState& s) -> QString {
        const Asset* a = s.asset(p.assetId);
        if (!a) return QStringLiteral("no asset with id %1").arg(p.assetId);
        if (a->offline()) return QStringLiteral("%1 is offline").arg(a->label);
        const Id takeId = a->kind == AssetKind::Generated ? (p.takeId ? p.takeId : a->activeTakeId) : 0;
        if (a->kind == AssetKind::Generated && !s.take(takeId)) return QStringLiteral("%1 has no take").arg(a->label);
        const Id videoTrack = a->hasVideo ? p.videoTrackId : 0;
        const Id audioTrack = a->hasAudio ? p.audioTrackId : 0;
        if (!videoTrack && !audioTrack) return QStringLiteral("no chosen track can hold %1").arg(a->label);
        const Sequence* seq = s.sequenceOfTrack(videoTrack ? videoTrack : audioTrack);
        if (!seq) return QStringLiteral("no such track");
        if (videoTrack && audioTrack && s.sequenceOfTrack(audioTrack) != seq)
            return QStringLiteral("picture and sound must go to the same sequence");
        if ((videoTrack && s.track(videoTrack)->kind != TrackKind::Video) ||
            (audioTrack && s.track(audioTrack)->kind != TrackKind::Audio))
            return QStringLiteral("picture goes on a video track and sound on an audio track");
        if (p.position < 0 || p.sourceIn < 0) return QStringLiteral("positions cannot be negative");
        Clip probe{0, p.assetId, takeId};
        const qint64 available = s.sourceLengthFrames(probe, seq->time);
        const qint64 length = p.length < 0 ? available - p.sourceIn : p.length;
        if (length <= 0) return QStringLiteral("%1 has no frames to place from there").arg(a->label);
        const Id seqId = seq->id;
        if (p.mode == PlaceMode::Insert) {
            // Cut whatever straddles the insertion point on the target tracks, then ripple everything.
            QList<QPair<Id, Id>> cut; // (left half, right half)
            for (Id tid : {videoTrack, audioTrack}) {
                if (!tid) continue;
                Track& t = *s.track(tid);
                for (int i = 0; i < t.clips.size(); ++i)
                    if (t.clips[i].position < p.position && t.clips[i].end() > p.position) {
                        const Id left = t.clips[i].id;
                        cut.append({left, splitClipAt(s, t, i, p.position)});
                        break;
                    }
            }
            if (cut.size() == 2 && s.clip(cut[0].first)->linkedClipId == cut[1].first) {
                s.clip(cut[0].second)->linkedClipId = cut[1].second;
                s.clip(cut[1].second)->linkedClipId = cut[0].second;
            }
            shiftFrom(*s.sequence(seqId), p.position, length);
        }
        Clip v{allocateId(), p.assetId, takeId, p.position, p.sourceIn, length};
        Clip au{allocateId(), p.assetId, takeId, p.position, p.sourceIn, length};
        if (videoTrack && audioTrack) {
            v.linkedClipId = au.id;
            au.linkedClipId = v.id;
        }
        if (videoTrack) overwriteOnTrack(s, videoTrack, v);
        if (audioTrack) overwriteOnTrack(s, audioTrack, au);
        return {};
    });
}

EditResult Project::requestInsertAsset(Id assetId, qint64 position) {
    const Sequence& seq = sequence();
    Placement p;
    p.assetId = assetId;
    p.position = position;
    p.mode = PlaceMode::Insert;
    for (const Track& t : seq.tracks) {
        if (t.kind == TrackKind::Video && !p.videoTrackId) p.videoTrackId = t.id;
        if (t.kind == TrackKind::Audio && !p.audioTrackId) p.audioTrackId = t.id;
    }
    return requestPlace(p);
}

EditResult Project::requestMove(Id clipId, qint64 position, Id trackId) {
    return edit(QStringLiteral("Move"), [&](ProjectState& s) -> QString {
        const Clip* c = s.clip(clipId);
        if (!c) return noClip(clipId);
        if (position < 0) return QStringLiteral("a clip cannot start before zero");
        const Track* from = s.trackOfClip(clipId);
        const Id target = trackId ? trackId : from->id;
        const Track* to = s.track(target);
        if (!to) return QStringLiteral("no track with id %1").arg(trackId);
        if (to->kind != from->kind) return QStringLiteral("%1 cannot hold this clip").arg(to->name);
        if (s.sequenceOfTrack(target) != s.sequenceOfTrack(from->id))
            return QStringLiteral("clips move within their sequence");
        const qint64 delta = position - c->position;
        const QList<Id> group = withPartner(s, clipId);
        // Take the group out, shift it, and put it back only where it fits.
        QList<QPair<Id, Clip>> moved;
        for (Id id : group) {
            Clip x = *s.clip(id);
            const Id dest = id == clipId ? target : s.trackOfClip(id)->id;
            x.position += delta;
            if (x.position < 0) return QStringLiteral("the linked clip would start before zero");
            moved.append({dest, x});
        }
        for (Id id : group) {
            Track* t = s.trackOfClip(id);
            t->clips.removeAt(indexOfClip(*t, id));
        }
        for (const auto& [dest, x] : moved) {
            Track& t = *s.track(dest);
            if (!rangeFree(t, x.position, x.end(), {})) return QStringLiteral("%1 is occupied there").arg(t.name);
            t.clips.append(x);
            sortClips(t);
        }
        return {};
    });
}

EditResult Project::requestSplit(Id clipId, qint64 frame) {
    return edit(QStringLiteral("Split"), [&](ProjectState& s) -> QString {
        const Clip* c = s.clip(clipId);
        if (!c) return noClip(clipId);
        if (frame <= c->position || frame >= c->end()) return QStringLiteral("the split point is not inside the clip");
        Id rights[2] = {0, 0};
        int n = 0;
        for (Id id : withPartner(s, clipId)) {
            Track& t = *s.trackOfClip(id);
            const int i = indexOfClip(t, id);
            if (t.clips[i].position < frame && t.clips[i].end() > frame) rights[n++] = splitClipAt(s, t, i, frame);
        }
        if (n == 2) { // both halves of the pair stay linked
            s.clip(rights[0])->linkedClipId = rights[1];
            s.clip(rights[1])->linkedClipId = rights[0];
        } else if (Clip* left = s.clip(clipId); left->linkedClipId) {
            // The partner did not span the cut: it stays linked to whichever half it overlaps.
            const Clip* partner = s.clip(left->linkedClipId);
            if (partner->position >= frame) {
                s.clip(partner->id)->linkedClipId = rights[0];
                s.clip(rights[0])->linkedClipId = partner->id;
                s.clip(clipId)->linkedClipId = 0;
            }
        }
        return {};
    });
}

EditResult Project::requestTrim(Id clipId, Edge edge, qint64 frame) {
    return edit(QStringLiteral("Trim"), [&](ProjectState& s) -> QString {
        const Clip* c = s.clip(clipId);
        if (!c) return noClip(clipId);
        const qint64 oldStart = c->position, oldEnd = c->end();
        if (edge == Edge::In ? frame >= oldEnd : frame <= oldStart) return QStringLiteral("a clip cannot be trimmed to nothing");
        for (Id id : withPartner(s, clipId)) {
            Clip& x = *s.clip(id);
            if (edge == Edge::In && x.position == oldStart) {
                const qint64 d = frame - x.position;
                if (d >= x.length) return QStringLiteral("the linked clip would be trimmed to nothing");
                x.position += d;
                x.sourceIn += d;
                x.length -= d;
            } else if (edge == Edge::Out && x.end() == oldEnd) {
                if (frame <= x.position) return QStringLiteral("the linked clip would be trimmed to nothing");
                x.length = frame - x.position;
            }
        }
        return {};
    });
}

EditResult Project::requestRippleTrim(Id clipId, Edge edge, qint64 delta) {
    return edit(QStringLiteral("Ripple trim"), [&](ProjectState& s) -> QString {
        const Clip* c = s.clip(clipId);
        if (!c) return noClip(clipId);
        if (delta == 0) return QStringLiteral("nothing to trim");
        const qint64 boundary = c->end();
        const QList<Id> group = withPartner(s, clipId);
        const qint64 change = edge == Edge::Out ? delta : -delta; // how much longer the clip gets
        for (Id id : group) {
            Clip& x = *s.clip(id);
            const bool aligned = edge == Edge::Out ? x.end() == boundary : x.position == c->position;
            if (!aligned && id != clipId) continue;
            if (x.length + change <= 0) return QStringLiteral("a clip cannot be trimmed to nothing");
            if (edge == Edge::In) x.sourceIn += delta;
            x.length += change;
        }
        shiftFrom(*sequenceOfClip(s, clipId), boundary, change, group);
        return {};
    });
}

EditResult Project::requestRippleDelete(Id clipId) {
    return edit(QStringLiteral("Ripple delete"), [&](ProjectState& s) -> QString {
        if (!s.clip(clipId)) return noClip(clipId);
        const QList<Id> group = withPartner(s, clipId);
        qint64 start = s.clip(clipId)->position, end = s.clip(clipId)->end();
        for (Id id : group) {
            start = std::min(start, s.clip(id)->position);
            end = std::max(end, s.clip(id)->end());
        }
        Sequence* seq = sequenceOfClip(s, clipId);
        for (Id id : group) removeClip(s, id);
        // Close the gap on every track, but only if it is free there; otherwise the cut would shift
        // material that overlaps the range into itself.
        for (const Track& t : seq->tracks)
            if (!rangeFree(t, start, end, {}))
                return QStringLiteral("%1 has material in the gap; lift instead, or clear it first").arg(t.name);
        shiftFrom(*seq, end, start - end);
        return {};
    });
}

EditResult Project::requestLift(Id clipId) {
    return edit(QStringLiteral("Lift"), [&](ProjectState& s) -> QString {
        if (!s.clip(clipId)) return noClip(clipId);
        for (Id id : withPartner(s, clipId)) removeClip(s, id);
        return {};
    });
}

EditResult Project::requestSlip(Id clipId, qint64 delta) {
    return edit(QStringLiteral("Slip"), [&](ProjectState& s) -> QString {
        if (!s.clip(clipId)) return noClip(clipId);
        for (Id id : withPartner(s, clipId)) s.clip(id)->sourceIn += delta;
        return {}; // past either end of the media fails the consistency check
    });
}

EditResult Project::requestRoll(Id leftClipId, qint64 delta) {
    return edit(QStringLiteral("Roll"), [&](ProjectState& s) -> QString {
        const Clip* c = s.clip(leftClipId);
        if (!c) return noClip(leftClipId);
        const qint64 cut = c->end();
        int rolled = 0;
        for (Id id : withPartner(s, leftClipId)) {
            Track& t = *s.trackOfClip(id);
            const int i = indexOfClip(t, id);
            if (t.clips[i].end() != cut || i + 1 >= t.clips.size() || t.clips[i + 1].position != cut) {
                if (id == leftClipId) return QStringLiteral("no clip starts where this one ends");
                continue; // the partner has no cut here: it keeps its length
            }
            Clip& left = t.clips[i];
            Clip& right = t.clips[i + 1];
            if (left.length + delta <= 0 || right.length - delta <= 0)
                return QStringLiteral("the cut cannot roll past the end of a clip");
            left.length += delta;
            right.position += delta;
            right.sourceIn += delta;
            right.length -= delta;
            ++rolled;
        }
        return rolled ? QString() : QStringLiteral("nothing to roll");
    });
}

EditResult Project::requestLink(Id clipA, Id clipB) {
    return edit(QStringLiteral("Link"), [&](ProjectState& s) -> QString {
        Clip* a = s.clip(clipA);
        Clip* b = s.clip(clipB);
        if (!a || !b) return noClip(a ? clipB : clipA);
        if (a->linkedClipId || b->linkedClipId) return QStringLiteral("unlink the clips first");
        if (s.trackOfClip(clipA)->kind == s.trackOfClip(clipB)->kind)
            return QStringLiteral("a link pairs a picture clip with a sound clip");
        a->linkedClipId = clipB;
        s.clip(clipB)->linkedClipId = clipA; // consistency checks they share a sequence
        return {};
    });
}

EditResult Project::requestUnlink(Id clipId) {
    return edit(QStringLiteral("Unlink"), [&](ProjectState& s) -> QString {
        Clip* c = s.clip(clipId);
        if (!c) return noClip(clipId);
        if (!c->linkedClipId) return QStringLiteral("the clip is not linked");
        const Id partner = c->linkedClipId;
        c->linkedClipId = 0;
        s.clip(partner)->linkedClipId = 0;
        return {};
    });
}

EditResult Project::requestSetGain(Id clipId, double gainDb) {
    return edit(QStringLiteral("Clip gain"), [&](ProjectState& s) -> QString {
        Clip* c = s.clip(clipId);
        if (!c) return noClip(clipId);
        if (s.trackOfClip(clipId)->kind != TrackKind::Audio) return QStringLiteral("gain applies to sound clips");
        if (!std::isfinite(gainDb) || gainDb < -96 || gainDb > 24) return QStringLiteral("gain must be between -96 and +24 dB");
        s.clip(clipId)->gainDb = gainDb;
        return {};
    });
}

EditResult Project::requestSetFades(Id clipId, qint64 fadeIn, qint64 fadeOut) {
    return edit(QStringLiteral("Fades"), [&](ProjectState& s) -> QString {
        const Clip* c = s.clip(clipId);
        if (!c) return noClip(clipId);
        if (fadeIn < 0 || fadeOut < 0) return QStringLiteral("fades cannot be negative");
        if (fadeIn + fadeOut > c->length) return QStringLiteral("the fades are longer than the clip");
        for (Id id : withPartner(s, clipId)) {
            Clip& x = *s.clip(id);
            if (fadeIn + fadeOut > x.length) return QStringLiteral("the fades are longer than the linked clip");
            x.fadeIn = fadeIn;
            x.fadeOut = fadeOut;
        }
        return {};
    });
}

EditResult Project::requestSetDissolve(Id clipId, qint64 frames) {
    return edit(QStringLiteral("Cross-dissolve"), [&](ProjectState& s) -> QString {
        Clip* c = s.clip(clipId);
        if (!c) return noClip(clipId);
        const Track& t = *s.trackOfClip(clipId);
        if (t.kind != TrackKind::Video) return QStringLiteral("a cross-dissolve is between pictures");
        if (frames < 0) return QStringLiteral("a dissolve cannot be negative");
        if (frames > 0) {
            const int i = indexOfClip(t, clipId);
            if (i == 0 || t.clips[i - 1].end() != c->position)
                return QStringLiteral("a cross-dissolve needs a clip ending where this one starts");
            if (frames > std::min(c->length, t.clips[i - 1].length))
                return QStringLiteral("the dissolve is longer than one of its clips");
        }
        c->dissolveIn = frames;
        return {};
    });
}

EditResult Project::requestSetTrackMix(Id trackId, double gainDb, double pan) {
    return edit(QStringLiteral("Track mix"), [&](ProjectState& s) -> QString {
        Track* t = s.track(trackId);
        if (!t) return QStringLiteral("no track with id %1").arg(trackId);
        if (t->kind != TrackKind::Audio) return QStringLiteral("gain and pan apply to sound tracks");
        if (!std::isfinite(gainDb) || gainDb < -96 || gainDb > 24) return QStringLiteral("gain must be between -96 and +24 dB");
        if (!(pan >= -1 && pan <= 1)) return QStringLiteral("pan must be between -1 (left) and +1 (right)");
        t->gainDb = gainDb;
        t->pan = pan;
        return {};
    });
}

EditResult Project::requestSetTrackSolo(Id trackId, bool solo) {
    return edit(solo ? QStringLiteral("Solo track") : QStringLiteral("Unsolo track"), [&](ProjectState& s) -> QString {
        Track* t = s.track(trackId);
        if (!t) return QStringLiteral("no track with id %1").arg(trackId);
        if (t->kind != TrackKind::Audio) return QStringLiteral("solo applies to sound tracks");
        t->solo = solo;
        return {};
    });
}

EditResult Project::requestSetOpacity(Id clipId, double opacity) {
    return edit(QStringLiteral("Clip opacity"), [&](ProjectState& s) -> QString {
        Clip* c = s.clip(clipId);
        if (!c) return noClip(clipId);
        if (s.trackOfClip(clipId)->kind != TrackKind::Video) return QStringLiteral("opacity applies to picture clips");
        if (!(opacity >= 0 && opacity <= 1)) return QStringLiteral("opacity must be between 0 and 1");
        s.clip(clipId)->opacity = opacity;
        return {};
    });
}

// --- masks

EditResult Project::requestCreateMask(Id clipId) {
    return edit(QStringLiteral("New mask"), [&](ProjectState& s) -> QString {
        Clip* c = s.clip(clipId);
        if (!c) return noClip(clipId);
        if (s.trackOfClip(clipId)->kind != TrackKind::Video) return QStringLiteral("masks are painted on picture clips");
        if (c->maskId) return QStringLiteral("the clip already has a mask");
        Mask m;
        m.id = allocateId();
        m.clipId = clipId;
        s.clip(clipId)->maskId = m.id;
        s.masks.append(m);
        return {};
    });
}

namespace {

QString strokeError(const Stroke& stroke) {
    if (stroke.points.isEmpty()) return QStringLiteral("an empty stroke paints nothing");
    if (stroke.fill && stroke.points.size() < 3) return QStringLiteral("a fill needs at least three points");
    if (!(stroke.radius > 0 && stroke.radius <= 1)) return QStringLiteral("the brush radius must be in (0, 1]");
    if (!(stroke.hardness >= 0 && stroke.hardness <= 1)) return QStringLiteral("the brush hardness must be in [0, 1]");
    for (QPointF p : stroke.points)
        if (!std::isfinite(p.x()) || !std::isfinite(p.y())) return QStringLiteral("a stroke point is not a number");
    return {};
}

// The keyframe at `frame`, made if missing: a new keyframe starts from the shape the mask holds there, as the
// painter sees it (the keyframe before it, or the first one before any).
int ensureKeyframe(Mask& m, qint64 frame) {
    auto at = std::lower_bound(m.keyframes.begin(), m.keyframes.end(), frame,
                               [](const MaskKeyframe& k, qint64 f) { return k.frame < f; });
    if (at == m.keyframes.end() || at->frame != frame) {
        MaskKeyframe k;
        k.frame = frame;
        if (at != m.keyframes.begin()) {
            k.strokes = std::prev(at)->strokes;
            k.interpolation = std::prev(at)->interpolation;
        } else if (at != m.keyframes.end()) {
            k.strokes = at->strokes;
        }
        at = m.keyframes.insert(at, k);
    }
    return int(at - m.keyframes.begin());
}

} // namespace

EditResult Project::requestPaintStroke(Id maskId, qint64 sourceFrame, const Stroke& stroke) {
    return edit(stroke.erase ? QStringLiteral("Erase mask") : QStringLiteral("Paint mask"), [&](ProjectState& s) -> QString {
        Mask* m = s.mask(maskId);
        if (!m) return QStringLiteral("no mask with id %1").arg(maskId);
        if (QString why = strokeError(stroke); !why.isEmpty()) return why;
        m->keyframes[ensureKeyframe(*m, sourceFrame)].strokes.append(stroke);
        return {};
    });
}

EditResult Project::requestPaintStrokeRange(Id maskId, qint64 firstFrame, qint64 lastFrame, const Stroke& stroke) {
    return edit(stroke.erase ? QStringLiteral("Erase mask") : QStringLiteral("Paint mask"), [&](ProjectState& s) -> QString {
        Mask* m = s.mask(maskId);
        if (!m) return QStringLiteral("no mask with id %1").arg(maskId);
        if (QString why = strokeError(stroke); !why.isEmpty()) return why;
        if (firstFrame < 0 || lastFrame < firstFrame) return QStringLiteral("the frame range is empty");
        // The frame after the range keeps the mask as it was, so the stroke ends with the range; the range's
        // last frame holds the stroke (a Linear blend towards the unpainted frame would fade it out early).
        ensureKeyframe(*m, lastFrame + 1);
        ensureKeyframe(*m, firstFrame);
        m->keyframes[ensureKeyframe(*m, lastFrame)].interpolation = Interpolation::Hold;
        for (MaskKeyframe& k : m->keyframes)
            if (k.frame >= firstFrame && k.frame <= lastFrame) k.strokes.append(stroke);
        return {};
    });
}

EditResult Project::requestSetInterpolation(Id maskId, qint64 keyframe, Interpolation interpolation) {
    return edit(QStringLiteral("Mask interpolation"), [&](ProjectState& s) -> QString {
        Mask* m = s.mask(maskId);
        if (!m) return QStringLiteral("no mask with id %1").arg(maskId);
        for (MaskKeyframe& k : m->keyframes)
            if (k.frame == keyframe) {
                k.interpolation = interpolation;
                return {};
            }
        return QStringLiteral("no keyframe at frame %1").arg(keyframe);
    });
}

EditResult Project::requestRemoveKeyframe(Id maskId, qint64 keyframe) {
    return edit(QStringLiteral("Remove mask keyframe"), [&](ProjectState& s) -> QString {
        Mask* m = s.mask(maskId);
        if (!m) return QStringLiteral("no mask with id %1").arg(maskId);
        if (!m->keyframes.removeIf([&](const MaskKeyframe& k) { return k.frame == keyframe; }))
            return QStringLiteral("no keyframe at frame %1").arg(keyframe);
        return {};
    });
}

EditResult Project::requestSetFeather(Id maskId, double feather) {
    return edit(QStringLiteral("Mask feather"), [&](ProjectState& s) -> QString {
        Mask* m = s.mask(maskId);
        if (!m) return QStringLiteral("no mask with id %1").arg(maskId);
        if (!(feather >= 0 && feather <= 0.5)) return QStringLiteral("feather must be between 0 and half the frame height");
        m->feather = feather;
        return {};
    });
}

EditResult Project::requestRemoveMask(Id maskId) {
    return edit(QStringLiteral("Remove mask"), [&](ProjectState& s) -> QString {
        Mask* m = s.mask(maskId);
        if (!m) return QStringLiteral("no mask with id %1").arg(maskId);
        s.clip(m->clipId)->maskId = 0;
        s.masks.removeIf([&](const Mask& x) { return x.id == maskId; });
        return {};
    });
}

// --- snapping

qint64 Project::snap(Id sequenceId, qint64 frame, qint64 tolerance, std::optional<qint64> playhead,
                     const QList<Id>& ignore) const {
    const Sequence* seq = state_.sequence(sequenceId);
    if (!seq) return frame;
    qint64 best = frame, bestDistance = tolerance + 1;
    auto consider = [&](qint64 p) {
        const qint64 d = std::abs(p - frame);
        if (d < bestDistance) {
            best = p;
            bestDistance = d;
        }
    };
    for (const Track& t : seq->tracks)
        for (const Clip& c : t.clips)
            if (!ignore.contains(c.id)) {
                consider(c.position);
                consider(c.end());
            }
    for (const Marker& m : seq->markers) consider(m.frame);
    if (playhead) consider(*playhead);
    return best;
}

} // namespace tandem::timeline
