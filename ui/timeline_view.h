// Design note: the sequence editor. It draws the first sequence of the project — a ruler with the In/Out
// zone and marker flags, a header per track (name, mute and lock toggles), one row per track with clips
// (thumbnail or waveform, take badge, stale and mask tags) and the playhead — over a horizontal window of
// frames (scroll offset + zoom). Mouse gestures become edits: a press decides the gesture (move, trim,
// ripple trim, roll, slip, marker drag, scrub), moves only draw a ghost of the result, and the release makes
// exactly one Project request, so one gesture is one undo entry; a refused request changes nothing and its
// reason goes out as statusMessage. Drops of bin assets are placed through the project too; dropped files
// are handed to the owner (filesDropped), which imports them. The view keeps no copy of the project: it
// reads state() on every paint, caching only what is costly to derive (per-clip badges, keyed by the
// project's revision; scaled thumbnails, keyed by asset and height). The owner calls update() on change.
#pragma once

#include "timeline/project.h"
#include "ui/media_preview.h"

#include <QFont>
#include <QHash>
#include <QPixmap>
#include <QWidget>

#include <optional>

class QMimeData;

namespace tandem::ui {

class TimelineView : public QWidget {
    Q_OBJECT
public:
    TimelineView(timeline::Project& project, const QHash<timeline::Id, MediaPreview>& previews,
                 QWidget* parent = nullptr);

    // After the project changed: the view is as tall as its tracks (a scroll area around it scrolls them),
    // and repaints.
    void refresh();
    // Moves the playhead; with followPlayhead the view pages so the playhead stays visible (playback).
    void setPlayhead(qint64 frame, bool followPlayhead = true);
    qint64 playhead() const { return playhead_; }

    // --- the visible window: frames [scrollOffset, scrollOffset + width / pixelsPerFrame)
    double pixelsPerFrame() const { return pixelsPerFrame_; }
    void setPixelsPerFrame(double pixelsPerFrame); // clamped to [kMinZoom, kMaxZoom]; keeps the left edge
    qint64 scrollOffset() const { return scrollOffset_; }
    void setScrollOffset(qint64 frame);
    void zoomIn();  // around the playhead
    void zoomOut(); // around the playhead
    void fit();     // the whole sequence in view
    static constexpr double kMinZoom = 0.05, kMaxZoom = 40.0;

    // --- editing aids
    void setSnapping(bool on);
    bool snapping() const { return snapping_; }
    void addMarkerAtPlayhead();

    // --- geometry (widget coordinates; for tests and hit-testing)
    QRect clipRect(int trackIndex, const timeline::Clip& clip) const;
    qint64 frameAt(int x) const;   // the frame under x, never negative
    int trackIndexAt(int y) const; // -1 outside the track rows
    QSize sizeHint() const override { return {900, 200}; }

    // The selected clip, 0 when none (or when an edit removed it).
    timeline::Id selectedClip() const;
    void select(timeline::Id clipId);
    // The In/Out zone shown on the ruler (frames [in, out)); out <= in hides it.
    void setZone(qint64 in, qint64 out);

    // Runs a left-button press at `from`, a move to `to` and a release there, through the same code as the
    // mouse. Returns whether the gesture changed the project.
    bool dragForTest(QPoint from, QPoint to, Qt::KeyboardModifiers mods = {});

Q_SIGNALS:
    void seekRequested(qint64 frame);
    void scrubRequested(qint64 frame);       // the playhead dragged: show and sound each frame passed
    void statusMessage(const QString& text); // why an edit was refused; mode changes (snapping)
    void filesDropped(const QStringList& paths, qint64 frame); // local files dropped at a sequence frame
    void selectionChanged(timeline::Id clipId);                // 0 = nothing selected

protected:
    bool event(QEvent*) override; // tooltips for markers and clips
    void paintEvent(QPaintEvent*) override;
    void mousePressEvent(QMouseEvent*) override;
    void mouseMoveEvent(QMouseEvent*) override;
    void mouseReleaseEvent(QMouseEvent*) override;
    void wheelEvent(QWheelEvent*) override;
    void keyPressEvent(QKeyEvent*) override;
    void dragEnterEvent(QDragEnterEvent*) override;
    void dragMoveEvent(QDragMoveEvent*) override;
    void dragLeaveEvent(QDragLeaveEvent*) override;
    void dropEvent(QDropEvent*) override;

private:
    static constexpr int kHeaderWidth = 90;
    static constexpr int kRulerHeight = 26;
    static constexpr int kTrackHeight = 64;

    enum class Gesture { None, Scrub, Move, Trim, RippleTrim, Roll, Slip, MoveMarker };
    // One mouse gesture from press to release. `delta` is the edit the release would make, in frames,
    // already snapped and limited to what the media and neighbours allow.
    struct Drag {
        Gesture gesture = Gesture::None;
        QPoint origin, cursor;
        double originFrame = 0;   // exact frame under the press: stays right if the view scrolls meanwhile
        bool active = false;      // moved far enough to be a drag rather than a click
        timeline::Id clipId = 0;  // the clip (the left one of a roll), or the marker
        timeline::Id otherId = 0; // the right clip of a roll
        timeline::Edge edge = timeline::Edge::In;
        int track = -1, targetTrack = -1;
        qint64 delta = 0;
        std::optional<qint64> snapLine;
    };
    struct Ghost {
        int track;
        qint64 position, length;
    };
    struct EdgeHit {
        timeline::Id clipId = 0;
        timeline::Edge edge = timeline::Edge::In;
        timeline::Id neighbourId = 0; // the clip touching this edge on the other side, 0 if none
    };
    // What the painter needs per clip that costs lookups or hashing; rebuilt when the project changes.
    struct ClipInfo {
        QString label;
        QString takeBadge; // "T2/3"; empty for media clips
        bool stale = false;
        qint64 sourceFrames = 0; // the media's length in sequence frames; 0 when unknown
    };
    struct ScaledThumb {
        qint64 sourceKey = 0; // QImage::cacheKey of the preview it was made from
        QPixmap pixmap;
    };
    struct DropPreview {
        qint64 frame = 0, length = 0;
        int track = -1;
    };

    timeline::Project& project_;
    const QHash<timeline::Id, MediaPreview>& previews_;
    qint64 playhead_ = 0;
    timeline::Id selected_ = 0;
    qint64 zoneIn_ = 0, zoneOut_ = 0;
    double pixelsPerFrame_ = 4.0;
    qint64 scrollOffset_ = 0;
    bool snapping_ = true;
    Drag drag_;
    std::optional<DropPreview> drop_;
    QFont smallFont_;
    mutable QHash<timeline::Id, ClipInfo> clipInfo_;
    mutable std::optional<quint64> clipInfoRevision_;
    mutable QHash<QPair<timeline::Id, int>, ScaledThumb> thumbCache_;

    // geometry
    const timeline::Sequence& sequence() const { return project_.sequence(); }
    QRect trackArea() const;
    int trackTop(int trackIndex) const { return kRulerHeight + trackIndex * kTrackHeight; }
    int xForFrame(qint64 frame) const;
    double exactFrameAt(int x) const;
    QRect frameRect(int trackIndex, qint64 position, qint64 length) const;
    qint64 visibleFrames() const;
    std::pair<int, int> clipIndexRange(const timeline::Track& track, qint64 first, qint64 last) const;
    std::pair<timeline::Id, timeline::Id> selectionPair() const; // the selected clip and its partner
    int trackIndexOf(timeline::Id clipId) const;
    timeline::Id clipAt(QPoint point) const;
    std::optional<EdgeHit> edgeAt(QPoint point) const;
    timeline::Id markerAt(QPoint point) const;
    QRect markerFlagRect(qint64 frame) const;
    QRect muteToggleRect(int trackIndex) const;
    QRect lockToggleRect(int trackIndex) const;
    QString timecode(qint64 frame, bool withFrames) const;
    QString toolTipAt(QPoint point) const;

    // scrolling and zooming
    void zoomAround(double pixelsPerFrame, double anchorFrame, int anchorX);
    void zoomAroundPlayhead(double factor);
    void scrollByPixels(double pixels);
    void keepPlayheadVisible();
    void updatePlayheadStrip(qint64 frame);

    // derived data
    void refreshClipInfo() const;
    const ClipInfo& infoOf(const timeline::Clip& clip) const;
    QPixmap thumbnailFor(timeline::Id assetId, int height) const;
    qint64 assetFrames(timeline::Id assetId) const;

    // painting
    void paintRuler(QPainter& p, const QRect& dirty) const;
    void paintRulerTicks(QPainter& p, qint64 first, qint64 last) const;
    void paintHeaders(QPainter& p, const QRect& dirty) const;
    void paintTrack(QPainter& p, int trackIndex, const QRect& dirty) const;
    void paintClip(QPainter& p, const timeline::Track& track, const timeline::Clip& clip, const QRect& r,
                   const QRect& dirty, bool selected) const;
    void paintThumbnails(QPainter& p, const timeline::Clip& clip, const QRect& r, const QRect& shown) const;
    void paintWaveform(QPainter& p, const timeline::Clip& clip, const QRect& r, const QRect& shown) const;
    void paintBadges(QPainter& p, const timeline::Clip& clip, const QRect& r) const;
    void paintMarkers(QPainter& p, const QRect& dirty) const;
    void paintDragGhost(QPainter& p) const;
    void paintDropPreview(QPainter& p) const;
    void paintPlayhead(QPainter& p) const;
    void paintLabelBox(QPainter& p, QPoint at, const QString& text) const;

    // gestures
    void beginGesture(QPoint pos, Qt::KeyboardModifiers mods);
    void beginHeaderClick(QPoint pos);
    void beginRulerGesture(QPoint pos);
    void beginClipGesture(QPoint pos, Qt::KeyboardModifiers mods);
    void beginScrub(QPoint pos);
    void continueGesture(QPoint pos);
    void endGesture();
    void updateMove(qint64 rawDelta, QPoint pos);
    void updateTrim(qint64 rawDelta);
    void updateRoll(qint64 rawDelta);
    void updateSlip(qint64 rawDelta);
    void updateMarkerMove(qint64 rawDelta);
    timeline::EditResult commitDrag();
    QList<Ghost> dragGhosts() const;
    QString dragLabel() const;
    void updateHoverCursor(QPoint pos);

    // snapping and limits
    qint64 snapTolerance() const;
    std::optional<qint64> snapTarget(qint64 frame, const QList<timeline::Id>& ignore) const;
    QList<timeline::Id> withPartner(timeline::Id clipId) const;
    qint64 clampTrimDelta(const timeline::Clip& clip, timeline::Edge edge, qint64 delta, bool ripple) const;
    std::pair<qint64, qint64> freeRangeAround(const timeline::Clip& clip) const; // neighbours' end and start

    // drops
    qint64 dropFrameAt(int x) const;
    void updateDropPreview(QPoint pos, const QMimeData* mime);
    void placeDroppedAssets(const QList<timeline::Id>& assetIds, qint64 frame, int trackIndex);
    void report(const timeline::EditResult& result);
};

} // namespace tandem::ui
