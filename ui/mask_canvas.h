// Design note: the painting surface for a clip's repair mask — a transparent overlay laid exactly over the
// viewer. It shows the mask of the target clip at the shown source frame (rasterised from the project's
// strokes into a cached image at the picture rect's resolution) and turns drags into strokes.
// Data flow: drag → the stroke is drawn straight into the cached image → release → one Project request
// (compound: create the mask if needed, then paint) → the cached image is rebuilt from the project, so what
// the creator sees is always what the project holds. Undo/redo reach it through the change listener.
// Incremental repaint: a mouse move draws only the new segment into the cached image and asks Qt to repaint
// only that segment's bounding rect; paintEvent copies only the dirty part of the cache. Nothing is
// rasterised from the project while dragging, so a move costs about the same at any mask complexity.
#pragma once

#include "timeline/project.h"

#include <QColor>
#include <QImage>
#include <QList>
#include <QPointF>
#include <QWidget>

#include <optional>

namespace tandem::ui {

// The clip's mask id, creating an empty mask first when the clip has none (newId = the mask either way).
timeline::EditResult ensureClipMask(timeline::Project& project, timeline::Id clipId);

class MaskCanvas : public QWidget {
    Q_OBJECT
public:
    enum class Tool { Brush, Eraser, Lasso };
    enum class ApplyTo { Frame, Range };

    MaskCanvas(timeline::Project& project, QWidget* parent);
    ~MaskCanvas() override;

    // Where the viewer draws the picture, in this widget's coordinates.
    void setPictureRect(QRect r);
    // The clip and source frame shown; clipId 0 = none (the canvas then ignores the mouse).
    void setTarget(timeline::Id clipId, qint64 sourceFrame);
    // Painting mode: off draws nothing and lets the mouse through to the viewer.
    void setActive(bool active);
    bool isActive() const { return active_; }
    timeline::Id clipId() const { return clipId_; }
    qint64 sourceFrame() const { return sourceFrame_; }

    void setTool(Tool tool);
    void setBrushRadius(double fractionOfHeight);
    void setHardness(double hardness); // 0..1
    void setOverlayColor(QColor color);
    void setOverlayOpacity(double opacity); // 0..1
    void setOnionSkin(bool on);
    void setApplyTo(ApplyTo applyTo, qint64 firstSourceFrame, qint64 lastSourceFrame);

    // Whole-frame strokes, applied like a painted one (to the frame or the range).
    void fillFrame();
    void clearFrame();

    // The cached overlay: ARGB32_Premultiplied at the picture rect's size, alpha = coverage (null while
    // inactive or without a picture rect).
    const QImage& overlay() const { return overlay_; }
    // The target clip's mask, 0 if none.
    timeline::Id maskId() const;
    // A drag through `canvasPoints` (press, moves, release) by the same functions the mouse uses; like the
    // mouse it needs the canvas active, a target and a picture rect.
    void paintStrokeForTest(const QList<QPointF>& canvasPoints);

Q_SIGNALS:
    void statusMessage(const QString& message);
    void maskEdited(timeline::Id maskId);

protected:
    void paintEvent(QPaintEvent* event) override;
    void mousePressEvent(QMouseEvent* event) override;
    void mouseMoveEvent(QMouseEvent* event) override;
    void mouseReleaseEvent(QMouseEvent* event) override;
    void leaveEvent(QEvent* event) override;

private:
    // A drag: begin at the press, extend per move, end (commit) at the release.
    bool canPaint() const;
    void beginStroke(QPointF canvasPos);
    void extendStroke(QPointF canvasPos);
    void endStroke();
    void cancelStroke();
    void drawSegment(QPointF from, QPointF to); // picture coordinates, into the cached overlay
    timeline::Stroke strokeFromPath() const;

    // One undo step: create the mask if needed, then paint to the frame or the range.
    void commit(const timeline::Stroke& stroke);
    timeline::EditResult applyStroke(timeline::Id maskId, const timeline::Stroke& stroke);

    // The cached images, rebuilt from the project.
    std::optional<timeline::Mask> currentMask() const;
    void onProjectChanged();
    void rebuildOverlay();
    void rebuildOnion();

    void moveCursor(QPointF canvasPos);
    void updateMouseHandling();
    double radiusPixels() const;
    QPointF toPicture(QPointF canvasPos) const;
    QRect canvasRectAround(QPointF a, QPointF b, double margin) const; // picture points → canvas rect
    QRect cursorRect() const;
    void drawLassoPath(QPainter& painter) const;
    void drawBrushCursor(QPainter& painter) const;

    timeline::Project& project_;
    int listener_ = 0;
    QRect pictureRect_;
    timeline::Id clipId_ = 0;
    qint64 sourceFrame_ = 0;
    bool active_ = false;

    Tool tool_ = Tool::Brush;
    double radius_ = 0.02;
    double hardness_ = 1.0;
    QColor color_ = QColor(255, 48, 48);
    double opacity_ = 0.5;
    bool onionSkin_ = false;
    ApplyTo applyTo_ = ApplyTo::Frame;
    qint64 rangeFirst_ = 0, rangeLast_ = 0;

    QImage overlay_;                      // the current frame's mask, in color_
    QImage onion_;                        // neighbouring keyframes, in other hues
    std::optional<timeline::Mask> shown_; // the mask the cache was built from (to skip unrelated changes)
    bool committing_ = false;             // our own requests: rebuild once afterwards, not per request
    bool dragging_ = false;
    QList<QPointF> path_; // the drag, in picture coordinates
    std::optional<QPointF> cursor_; // canvas coordinates; none while outside
};

} // namespace tandem::ui
