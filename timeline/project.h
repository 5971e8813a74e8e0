// Design note: the creator's project and the only way to change it. Every edit is a `request…` that works
// on a copy of the state, validates the result (ProjectState::consistencyError, locked tracks), and then
// either replaces the state and records one undo entry, or changes nothing and says why (EditResult).
// An undo entry keeps the state before and after (Qt containers share everything the edit did not touch,
// so an entry costs about what the edit changed); undo and redo put a state back, so they are exact.
// `requestCompound` makes several requests one undo step, or none if any fails. Views read state() and
// listen for changes; the editor mirrors the history on a QUndoStack (ui/undo_bridge).
#pragma once

#include "timeline/state.h"

#include <QMap>

#include <functional>
#include <optional>

namespace tandem::timeline {

struct EditResult {
    bool ok = true;
    QString reason; // why nothing changed, when !ok
    Id newId = 0;   // the object a creating request made
    static EditResult failure(const QString& why) { return {false, why, 0}; }
    static EditResult created(Id id) { return {true, {}, id}; }
};

enum class PlaceMode { Insert, Overwrite }; // Insert pushes later clips right; Overwrite replaces the range
enum class Edge { In, Out };

// Where a request places media: an asset (or one of its takes) on a video and/or an audio track.
struct Placement {
    Id assetId = 0;
    Id takeId = 0;       // generated shots; 0 = the shot's active take
    Id videoTrackId = 0; // 0 = no picture
    Id audioTrackId = 0; // 0 = no sound
    qint64 position = 0;
    qint64 sourceIn = 0;
    qint64 length = -1; // -1 = to the end of the media
    PlaceMode mode = PlaceMode::Overwrite;
};

class Project {
public:
    explicit Project(const QString& name = QStringLiteral("Untitled"));
    explicit Project(ProjectState state); // a loaded project; the caller has validated it

    const ProjectState& state() const { return state_; }
    // Another project takes this one's place (File > Open): its history starts afresh; listeners stay.
    void replaceState(ProjectState state);
    // The first sequence (every project has at least one).
    const Sequence& sequence() const { return state_.sequences.front(); }
    const Asset* asset(Id id) const { return state_.asset(id); }
    QString consistencyError() const { return state_.consistencyError(); }

    // --- bins and assets
    EditResult requestAddBin(const QString& name, Id parentId = 0);
    EditResult requestRenameBin(Id binId, const QString& name);
    EditResult requestMoveBin(Id binId, Id parentId);
    EditResult requestRemoveBin(Id binId); // its contents move up to its parent
    EditResult requestAddAsset(Asset asset); // path must be bundle-relative
    EditResult requestRemoveAsset(Id assetId); // refused while a clip uses it
    EditResult requestMoveAsset(Id assetId, Id binId);
    EditResult requestRenameAsset(Id assetId, const QString& label);
    EditResult requestSetRole(Id assetId, ReferenceRole role);
    EditResult requestReplaceMedia(Id assetId, const QString& path, double duration);

    // --- generated shots and takes
    EditResult requestAddGeneratedShot(Asset shot, Take firstTake); // newId = the shot
    EditResult requestAddTake(Take take);                           // newId = the take; becomes active
    EditResult requestSwitchTake(Id clipId, Id takeId);             // the clip and its linked partner
    EditResult requestSetActiveTake(Id assetId, Id takeId);

    // --- sequences, tracks, markers
    EditResult requestAddSequence(const QString& name, Rational fps = {32, 1});
    EditResult requestRenameSequence(Id sequenceId, const QString& name);
    EditResult requestAddTrack(Id sequenceId, TrackKind kind, int indexInKind = -1);
    EditResult requestRemoveTrack(Id trackId);
    EditResult requestSetTrackLocked(Id trackId, bool locked);
    EditResult requestSetTrackMuted(Id trackId, bool muted);
    EditResult requestAddMarker(Id sequenceId, qint64 frame, const QString& name, const QString& color = {});
    EditResult requestMoveMarker(Id markerId, qint64 frame);
    EditResult requestRemoveMarker(Id markerId);

    // --- clips
    EditResult requestPlace(const Placement& p); // newId = the video clip if any, else the audio clip
    // The whole asset on the first sequence's first video/audio tracks, inserted at `position`.
    EditResult requestInsertAsset(Id assetId, qint64 position);
    EditResult requestMove(Id clipId, qint64 position, Id trackId = 0); // the linked partner follows
    EditResult requestSplit(Id clipId, qint64 frame);                   // both of a linked pair
    EditResult requestTrim(Id clipId, Edge edge, qint64 frame);         // leaves a gap, never moves others
    EditResult requestRippleTrim(Id clipId, Edge edge, qint64 delta);   // later clips follow the edge
    EditResult requestRippleDelete(Id clipId);
    EditResult requestLift(Id clipId);
    EditResult requestSlip(Id clipId, qint64 delta);
    EditResult requestRoll(Id leftClipId, qint64 delta); // moves the cut between it and the clip after it
    EditResult requestLink(Id clipA, Id clipB);
    EditResult requestUnlink(Id clipId);
    EditResult requestSetGain(Id clipId, double gainDb);
    EditResult requestSetOpacity(Id clipId, double opacity);
    EditResult requestSetFades(Id clipId, qint64 fadeIn, qint64 fadeOut); // frames; the linked partner too
    EditResult requestSetDissolve(Id clipId, qint64 frames); // from the clip before it, centred on the cut
    EditResult requestSetTrackMix(Id trackId, double gainDb, double pan); // audio tracks
    EditResult requestSetTrackSolo(Id trackId, bool solo);
    // Lip-sync: the sound of the clip's pair (the clip if it is audio, else its linked audio clip) plays
    // deltaMs later (negative: earlier); the picture stays.
    EditResult requestNudgeAudio(Id clipId, double deltaMs);

    // --- masks
    EditResult requestCreateMask(Id clipId); // newId = the mask
    EditResult requestPaintStroke(Id maskId, qint64 sourceFrame, const Stroke& stroke);
    // The stroke on every source frame in [first, last]: the keyframes there get it, and the mask after the
    // range stays as it was (a keyframe at last + 1 keeps the earlier shape).
    EditResult requestPaintStrokeRange(Id maskId, qint64 firstFrame, qint64 lastFrame, const Stroke& stroke);
    EditResult requestSetInterpolation(Id maskId, qint64 keyframe, Interpolation interpolation);
    EditResult requestRemoveKeyframe(Id maskId, qint64 keyframe);
    EditResult requestSetFeather(Id maskId, double feather);
    EditResult requestRemoveMask(Id maskId);

    // Several requests as one undo step; if `body` fails, everything it did is undone and nothing recorded.
    EditResult requestCompound(const QString& text, const std::function<EditResult()>& body);

    // The snap target nearest `frame` within `tolerance`: clip edges (except `ignore`'s), the playhead,
    // markers. Returns `frame` when nothing is close.
    qint64 snap(Id sequenceId, qint64 frame, qint64 tolerance, std::optional<qint64> playhead = {},
                const QList<Id>& ignore = {}) const;

    // --- history
    bool canUndo() const { return index_ > 0; }
    bool canRedo() const { return index_ < history_.size(); }
    bool undo();
    bool redo();
    QString undoText() const { return canUndo() ? history_[index_ - 1].text : QString(); }
    QString redoText() const { return canRedo() ? history_[index_].text : QString(); }
    int historyIndex() const { return index_; }
    int historySize() const { return int(history_.size()); }
    // Counts every change (edit, undo, redo); autosave and views compare it with what they last saw.
    quint64 revision() const { return revision_; }

    // Listeners are called after every change (edit, undo, redo); the handle removes one again.
    int addChangeListener(std::function<void()> listener);
    void removeChangeListener(int handle) { onChange_.remove(handle); }
    // Called with the undo text whenever a new undo entry is recorded.
    void setRecordListener(std::function<void(const QString&)> listener) { onRecorded_ = std::move(listener); }

private:
    struct Entry {
        QString text;
        ProjectState before, after;
    };
    ProjectState state_;
    QList<Entry> history_;
    int index_ = 0;
    int compoundDepth_ = 0;
    quint64 revision_ = 0;
    Id nextId_ = 1; // never goes back, not even on undo: an id is never reused within a session
    QMap<int, std::function<void()>> onChange_;
    int nextListener_ = 1;
    std::function<void(const QString&)> onRecorded_;

    Id allocateId() { return nextId_++; }
    // Applies `change` to a copy; commits it if it succeeds and leaves the project consistent.
    EditResult edit(const QString& text, const std::function<QString(ProjectState&)>& change);
    EditResult commit(ProjectState next, const QString& text);
    void changed();

    // Clip-level helpers working on a state copy.
    void overwriteOnTrack(ProjectState& s, Id trackId, const Clip& clip);
    void clearRange(ProjectState& s, Id trackId, qint64 start, qint64 end);
    Id splitClipAt(ProjectState& s, Track& track, int index, qint64 frame);
    void removeClip(ProjectState& s, Id clipId);
};

} // namespace tandem::timeline
