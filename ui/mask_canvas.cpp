#include "ui/mask_canvas.h"

#include <QMouseEvent>
#include <QPaintEvent>
#include <QPainter>
#include <QPolygonF>
#include <QScopedValueRollback>

#include <algorithm>
#include <array>
#include <utility>

namespace tandem::ui {

using timeline::EditResult;
using timeline::Id;
using timeline::Mask;
using timeline::Stroke;

namespace {

constexpr double kOnionOpacity = 0.25; // of the overlay's opacity: context, not the thing being painted
constexpr int kOnionHueShift = 120;    // degrees; the previous keyframe one way round, the next the other

// The premultiplied pixel of `color` for every coverage 0..255, so turning coverage into pixels is a look-up.
std::array<QRgb, 256> premultipliedRamp(QColor color) {
    std::array<QRgb, 256> ramp{};
    for (int a = 0; a < 256; ++a)
        ramp[size_t(a)] = qPremultiply(qRgba(color.red(), color.green(), color.blue(), a));
    return ramp;
}

QImage transparentImage(QSize size) {
    QImage image(size, QImage::Format_ARGB32_Premultiplied);
    image.fill(Qt::transparent);
    return image;
}

// Coverage as the alpha of an image in `color`.
QImage coverageImage(const timeline::MaskRaster& raster, QColor color) {
    QImage image(raster.width, raster.height, QImage::Format_ARGB32_Premultiplied);
    const auto ramp = premultipliedRamp(color);
    const auto* coverage = reinterpret_cast<const uchar*>(raster.coverage.constData());
    for (int y = 0; y < raster.height; ++y) {
        auto* line = reinterpret_cast<QRgb*>(image.scanLine(y));
        const uchar* row = coverage + qsizetype(y) * raster.width;
        for (int x = 0; x < raster.width; ++x) line[x] = ramp[row[x]];
    }
    return image;
}

// The same coverage (alpha) in another colour.
void recolour(QImage& image, QColor color) {
    const auto ramp = premultipliedRamp(color);
    for (int y = 0; y < image.height(); ++y) {
        auto* line = reinterpret_cast<QRgb*>(image.scanLine(y));
        for (int x = 0; x < image.width(); ++x) line[x] = ramp[size_t(qAlpha(line[x]))];
    }
}

// A clearly different, still vivid colour (greys have no hue: they start from blue).
QColor shiftedHue(QColor color, int degrees) {
    const int hue = color.hsvHue() < 0 ? 220 : color.hsvHue();
    return QColor::fromHsv((hue + degrees + 360) % 360, std::max(color.hsvSaturation(), 160),
                           std::max(color.value(), 160));
}

// The keyframes either side of `frame`, not counting one at `frame` itself.
std::pair<std::optional<qint64>, std::optional<qint64>> neighbourKeyframes(const Mask& mask, qint64 frame) {
    std::optional<qint64> previous, next;
    for (const timeline::MaskKeyframe& k : mask.keyframes) {
        if (k.frame < frame) previous = k.frame;
        if (k.frame > frame && !next) next = k.frame;
    }
    return {previous, next};
}

// A filled polygon over the four frame corners: paints (or erases) everything.
Stroke wholeFrameStroke(bool erase) {
    Stroke s;
    s.points = {QPointF(0, 0), QPointF(1, 0), QPointF(1, 1), QPointF(0, 1)};
    s.fill = true;
    s.erase = erase;
    return s;
}

} // namespace

EditResult ensureClipMask(timeline::Project& project, Id clipId) {
    const timeline::Clip* clip = project.state().clip(clipId);
    if (!clip) return EditResult::failure(MaskCanvas::tr("There is no clip to paint a mask on"));
    if (clip->maskId) return EditResult::created(clip->maskId);
    return project.requestCreateMask(clipId);
}

MaskCanvas::MaskCanvas(timeline::Project& project, QWidget* parent) : QWidget(parent), project_(project) {
    setFocusPolicy(Qt::NoFocus);
    setCursor(Qt::CrossCursor);
    updateMouseHandling();
    listener_ = project_.addChangeListener([this] { onProjectChanged(); });
}

MaskCanvas::~MaskCanvas() { project_.removeChangeListener(listener_); }

// --- target and settings

void MaskCanvas::setPictureRect(QRect r) {
    if (r == pictureRect_) return;
    const bool resized = r.size() != pictureRect_.size();
    pictureRect_ = r;
    if (resized) { // the cache is at picture resolution; a move alone keeps it
        cancelStroke();
        rebuildOverlay();
    }
    update();
}

void MaskCanvas::setTarget(Id clipId, qint64 sourceFrame) {
    if (clipId == clipId_ && sourceFrame == sourceFrame_) return;
    cancelStroke();
    clipId_ = clipId;
    sourceFrame_ = sourceFrame;
    updateMouseHandling();
    rebuildOverlay();
}

void MaskCanvas::setActive(bool active) {
    if (active == active_) return;
    active_ = active;
    cancelStroke();
    if (!active_) cursor_.reset();
    updateMouseHandling();
    rebuildOverlay(); // while inactive the cache is dropped: playback need not rasterise masks
}

void MaskCanvas::setTool(Tool tool) {
    update(cursorRect());
    tool_ = tool;
    update(cursorRect());
}

void MaskCanvas::setBrushRadius(double fractionOfHeight) {
    update(cursorRect());
    radius_ = std::clamp(fractionOfHeight, 1e-4, 1.0);
    update(cursorRect());
}

void MaskCanvas::setHardness(double hardness) { hardness_ = std::clamp(hardness, 0.0, 1.0); }

void MaskCanvas::setOverlayColor(QColor color) {
    if (!color.isValid()) return;
    color.setAlpha(255); // the overlay's alpha is the coverage; transparency comes from the opacity
    if (color == color_) return;
    color_ = color;
    if (!overlay_.isNull()) recolour(overlay_, color_);
    rebuildOnion();
    update();
}

void MaskCanvas::setOverlayOpacity(double opacity) {
    opacity_ = std::clamp(opacity, 0.0, 1.0);
    update();
}

void MaskCanvas::setOnionSkin(bool on) {
    if (on == onionSkin_) return;
    onionSkin_ = on;
    rebuildOnion();
    update();
}

void MaskCanvas::setApplyTo(ApplyTo applyTo, qint64 firstSourceFrame, qint64 lastSourceFrame) {
    applyTo_ = applyTo;
    rangeFirst_ = firstSourceFrame;
    rangeLast_ = lastSourceFrame;
}

// --- actions

void MaskCanvas::fillFrame() { commit(wholeFrameStroke(false)); }

void MaskCanvas::clearFrame() { commit(wholeFrameStroke(true)); }

Id MaskCanvas::maskId() const {
    const timeline::Clip* clip = project_.state().clip(clipId_);
    return clip ? clip->maskId : 0;
}

void MaskCanvas::paintStrokeForTest(const QList<QPointF>& canvasPoints) {
    if (canvasPoints.isEmpty()) return;
    beginStroke(canvasPoints.first());
    for (qsizetype i = 1; i < canvasPoints.size(); ++i) extendStroke(canvasPoints[i]);
    endStroke();
}

// --- events

void MaskCanvas::paintEvent(QPaintEvent* event) {
    if (!active_ || !clipId_) return;
    QPainter painter(this);
    painter.setClipRegion(event->region());
    // Only the dirty part of the cache is copied: during a drag that is one segment's rect.
    const QRect dirty = event->rect() & pictureRect_;
    if (!dirty.isEmpty() && !overlay_.isNull()) {
        const QRect source = dirty.translated(-pictureRect_.topLeft());
        if (onionSkin_ && !onion_.isNull()) {
            painter.setOpacity(opacity_ * kOnionOpacity);
            painter.drawImage(dirty, onion_, source);
        }
        painter.setOpacity(opacity_);
        painter.drawImage(dirty, overlay_, source);
        painter.setOpacity(1.0);
    }
    drawLassoPath(painter);
    drawBrushCursor(painter);
}

void MaskCanvas::mousePressEvent(QMouseEvent* event) {
    if (event->button() == Qt::LeftButton) beginStroke(event->position());
}

void MaskCanvas::mouseMoveEvent(QMouseEvent* event) {
    moveCursor(event->position());
    extendStroke(event->position());
}

void MaskCanvas::mouseReleaseEvent(QMouseEvent* event) {
    if (event->button() == Qt::LeftButton) endStroke();
}

void MaskCanvas::leaveEvent(QEvent*) {
    update(cursorRect());
    cursor_.reset();
}

// --- the drag

bool MaskCanvas::canPaint() const { return active_ && clipId_ != 0 && !overlay_.isNull(); }

void MaskCanvas::beginStroke(QPointF canvasPos) {
    if (!canPaint()) return;
    dragging_ = true;
    const QPointF p = toPicture(canvasPos);
    path_ = {p};
    if (tool_ != Tool::Lasso) drawSegment(p, p);
}

void MaskCanvas::extendStroke(QPointF canvasPos) {
    if (!dragging_) return;
    const QPointF from = path_.last();
    const QPointF to = toPicture(canvasPos);
    if (to == from) return;
    path_.append(to);
    if (tool_ == Tool::Lasso)
        update(canvasRectAround(from, to, 2)); // the outline is drawn by paintEvent; filled on release
    else
        drawSegment(from, to);
}

void MaskCanvas::endStroke() {
    if (!dragging_) return;
    const bool enclosesArea = tool_ != Tool::Lasso || path_.size() >= 3;
    const Stroke stroke = strokeFromPath();
    cancelStroke();
    if (enclosesArea)
        commit(stroke);
    else
        update(); // drop the outline of a lasso too short to fill
}

void MaskCanvas::cancelStroke() {
    dragging_ = false;
    path_.clear();
}

// The preview is hard-edged whatever the hardness; the rebuild after the release shows the true edge.
void MaskCanvas::drawSegment(QPointF from, QPointF to) {
    const bool erase = tool_ == Tool::Eraser;
    QPainter painter(&overlay_);
    painter.setRenderHint(QPainter::Antialiasing);
    if (erase) painter.setCompositionMode(QPainter::CompositionMode_Source);
    painter.setPen(QPen(erase ? QColor(Qt::transparent) : color_, 2 * radiusPixels(), Qt::SolidLine,
                        Qt::RoundCap, Qt::RoundJoin));
    if (from == to)
        painter.drawPoint(from); // a click: one round dab
    else
        painter.drawLine(from, to);
    painter.end();
    update(canvasRectAround(from, to, radiusPixels() + 2));
}

Stroke MaskCanvas::strokeFromPath() const {
    Stroke s;
    const double w = pictureRect_.width(), h = pictureRect_.height();
    for (QPointF p : path_) s.points.append(QPointF(p.x() / w, p.y() / h));
    s.radius = radius_;
    s.hardness = hardness_;
    s.erase = tool_ == Tool::Eraser;
    s.fill = tool_ == Tool::Lasso;
    return s;
}

// --- committing

void MaskCanvas::commit(const Stroke& stroke) {
    Id maskId = 0;
    EditResult result;
    {
        // Our own requests change the project twice (create, paint); rebuild once, below.
        QScopedValueRollback<bool> quiet(committing_, true);
        const QString text = stroke.erase ? tr("Erase mask") : tr("Paint mask");
        result = project_.requestCompound(text, [&]() -> EditResult {
            const EditResult mask = ensureClipMask(project_, clipId_);
            if (!mask.ok) return mask;
            maskId = mask.newId;
            return applyStroke(maskId, stroke);
        });
    }
    rebuildOverlay(); // on failure too: the preview drawn during the drag must go
    if (!result.ok)
        Q_EMIT statusMessage(result.reason);
    else
        Q_EMIT maskEdited(maskId);
}

EditResult MaskCanvas::applyStroke(Id maskId, const Stroke& stroke) {
    if (applyTo_ == ApplyTo::Range)
        return project_.requestPaintStrokeRange(maskId, rangeFirst_, rangeLast_, stroke);
    return project_.requestPaintStroke(maskId, sourceFrame_, stroke);
}

// --- the cache

std::optional<Mask> MaskCanvas::currentMask() const {
    const Mask* mask = project_.state().mask(maskId());
    return mask ? std::optional<Mask>(*mask) : std::nullopt;
}

void MaskCanvas::onProjectChanged() {
    if (committing_ || !active_) return;
    if (currentMask() != shown_) rebuildOverlay(); // undo, redo, panel edits; other edits cost nothing
}

void MaskCanvas::rebuildOverlay() {
    shown_ = currentMask();
    overlay_ = QImage();
    if (active_ && !pictureRect_.isEmpty()) {
        const int w = pictureRect_.width(), h = pictureRect_.height();
        overlay_ = shown_ ? coverageImage(timeline::rasteriseMask(*shown_, sourceFrame_, w, h), color_)
                          : transparentImage(pictureRect_.size());
    }
    rebuildOnion();
    update();
}

void MaskCanvas::rebuildOnion() {
    onion_ = QImage();
    if (!onionSkin_ || !shown_ || overlay_.isNull()) return;
    const auto [previous, next] = neighbourKeyframes(*shown_, sourceFrame_);
    if (!previous && !next) return;
    onion_ = transparentImage(overlay_.size());
    const int w = onion_.width(), h = onion_.height();
    QPainter painter(&onion_);
    if (previous)
        painter.drawImage(0, 0, coverageImage(timeline::rasteriseMask(*shown_, *previous, w, h),
                                              shiftedHue(color_, kOnionHueShift)));
    if (next)
        painter.drawImage(0, 0, coverageImage(timeline::rasteriseMask(*shown_, *next, w, h),
                                              shiftedHue(color_, -kOnionHueShift)));
}

// --- helpers

void MaskCanvas::moveCursor(QPointF canvasPos) {
    update(cursorRect());
    cursor_ = canvasPos;
    update(cursorRect());
}

void MaskCanvas::updateMouseHandling() {
    const bool takesMouse = active_ && clipId_ != 0;
    setAttribute(Qt::WA_TransparentForMouseEvents, !takesMouse);
    setMouseTracking(takesMouse); // for the brush-size circle
}

double MaskCanvas::radiusPixels() const { return radius_ * pictureRect_.height(); }

QPointF MaskCanvas::toPicture(QPointF canvasPos) const { return canvasPos - QPointF(pictureRect_.topLeft()); }

QRect MaskCanvas::canvasRectAround(QPointF a, QPointF b, double margin) const {
    return QRectF(a, b).normalized().adjusted(-margin, -margin, margin, margin).toAlignedRect().translated(
        pictureRect_.topLeft());
}

QRect MaskCanvas::cursorRect() const {
    if (!cursor_) return {};
    const double r = (tool_ == Tool::Lasso ? 3.0 : radiusPixels()) + 3.0;
    return QRectF(*cursor_ - QPointF(r, r), QSizeF(2 * r, 2 * r)).toAlignedRect();
}

void MaskCanvas::drawLassoPath(QPainter& painter) const {
    if (!dragging_ || tool_ != Tool::Lasso || path_.size() < 2) return;
    painter.setRenderHint(QPainter::Antialiasing);
    painter.setPen(QPen(color_, 1.5));
    painter.drawPolyline(QPolygonF(path_).translated(QPointF(pictureRect_.topLeft())));
}

// A dark ring under a light one, visible over any picture.
void MaskCanvas::drawBrushCursor(QPainter& painter) const {
    if (!cursor_) return;
    const double r = tool_ == Tool::Lasso ? 2.0 : radiusPixels();
    painter.setRenderHint(QPainter::Antialiasing);
    painter.setBrush(Qt::NoBrush);
    painter.setPen(QPen(QColor(0, 0, 0, 160), 3));
    painter.drawEllipse(*cursor_, r, r);
    painter.setPen(QPen(QColor(255, 255, 255, 220), 1));
    painter.drawEllipse(*cursor_, r, r);
}

} // namespace tandem::ui
