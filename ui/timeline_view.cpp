#include "ui/timeline_view.h"

#include "ui/bins_panel.h"

#include <QDragEnterEvent>
#include <QFontMetrics>
#include <QHelpEvent>
#include <QKeyEvent>
#include <QMimeData>
#include <QMouseEvent>
#include <QPainter>
#include <QToolTip>
#include <QUrl>
#include <QWheelEvent>

#include <algorithm>
#include <cmath>
#include <limits>

namespace tandem::ui {

using timeline::Clip;
using timeline::Edge;
using timeline::EditResult;
using timeline::Id;
using timeline::Track;
using timeline::TrackKind;

namespace {

constexpr int kEdgePixels = 6;      // how near a clip's edge a press trims instead of moving
constexpr double kSnapPixels = 8.0; // how far on screen snapping reaches
constexpr int kDragThreshold = 3;   // pixels a press must travel before it edits anything
constexpr double kZoomStep = 1.4;
constexpr double kWheelScrollPixels = 80.0; // per wheel notch
constexpr int kLabelGap = 14;               // least space between two ruler labels
constexpr qint64 kNoLimit = std::numeric_limits<qint64>::max() / 4;

const QColor kBackground(0x23, 0x25, 0x29);
const QColor kRowEven(0x2d, 0x30, 0x35), kRowOdd(0x2a, 0x2c, 0x31);
const QColor kHeaderFill(0x26, 0x28, 0x2d), kRulerFill(0x30, 0x33, 0x38);
const QColor kText(0xd0, 0xd3, 0xd8), kDimText(0x80, 0x84, 0x8a), kRulerText(0xb0, 0xb4, 0xba);
const QColor kVideoClip(0x3b, 0x6e, 0xa8), kAudioClip(0x3f, 0x8f, 0x5a), kClipBorder(0x10, 0x10, 0x10);
const QColor kSelection(0xff, 0xc8, 0x3c), kWaveform(0xc8, 0xf0, 0xd0);
const QColor kZone(0x4c, 0x8d, 0xd6, 150), kPlayheadColor(0xff, 0x55, 0x44);
const QColor kGhostFill(0xff, 0xff, 0xff, 55), kGhostLine(0xff, 0xff, 0xff, 200),
    kSnapColor(0x40, 0xe0, 0xff);
const QColor kTakeBadge(0x20, 0x22, 0x26, 220), kStale(0xd0, 0x30, 0x30), kMaskTag(0x8a, 0x4c, 0xc8);
const QColor kMuteOn(0xe0, 0x90, 0x30), kLockOn(0xc8, 0x48, 0x48), kToggleOff(0x3a, 0x3d, 0x43);
const QColor kMarkerDefault(0xe0, 0xc0, 0x40), kLabelFill(0x15, 0x16, 0x19, 230);

QStringList localFilesIn(const QMimeData* mime) {
    QStringList paths;
    if (!mime || !mime->hasUrls()) return paths;
    for (const QUrl& url : mime->urls())
        if (url.isLocalFile()) paths.append(url.toLocalFile());
    return paths;
}

const timeline::Marker* findMarker(const timeline::Sequence& seq, Id markerId) {
    for (const auto& m : seq.markers)
        if (m.id == markerId) return &m;
    return nullptr;
}

QColor markerColor(const timeline::Marker& m) {
    const QColor c(m.color);
    return c.isValid() ? c : kMarkerDefault;
}

qint64 bounded(qint64 value, qint64 low, qint64 high) {
    return std::max(low, std::min(value, high));
}

QString signedFrames(qint64 frames) {
    return (frames > 0 ? QStringLiteral("+") : QString()) + QString::number(frames) + QStringLiteral(" f");
}

void drawFlag(QPainter& p, int x, int top, const QColor& color) {
    const QPolygon flag({QPoint(x, top), QPoint(x + 9, top + 4), QPoint(x, top + 8)});
    p.setPen(color.darker(160));
    p.setBrush(color);
    p.drawPolygon(flag);
    p.drawLine(x, top, x, top + 11);
    p.setBrush(Qt::NoBrush);
}

void drawToggle(QPainter& p, const QRect& box, const QString& letter, bool on, const QColor& onColor) {
    p.fillRect(box, on ? onColor : kToggleOff);
    p.setPen(on ? Qt::white : kDimText);
    p.drawText(box, Qt::AlignCenter, letter);
}

// Ruler spacing: whole frames below a second, then round numbers of seconds. Each comes with how many
// minor ticks divide it.
struct RulerStep {
    qint64 frames = 0;  // the step in frames, when below a second
    qint64 seconds = 0; // the step in seconds otherwise
    int minorDivisions = 1;
};

RulerStep chooseRulerStep(double fps, double pixelsPerFrame, int minSpacing) {
    static const std::pair<qint64, int> frameSteps[] = {{1, 1}, {2, 2}, {5, 5}, {10, 5}};
    static const std::pair<qint64, int> secondSteps[] = {{1, 4},   {2, 2},    {5, 5},    {10, 5},  {15, 3},
                                                         {30, 6},  {60, 6},   {120, 4},  {300, 5}, {600, 5},
                                                         {900, 3}, {1800, 6}, {3600, 6}, {7200, 4}};
    for (const auto& [frames, minor] : frameSteps)
        if (double(frames) < fps && double(frames) * pixelsPerFrame >= minSpacing) return {frames, 0, minor};
    for (const auto& [seconds, minor] : secondSteps)
        if (double(seconds) * fps * pixelsPerFrame >= minSpacing) return {0, seconds, minor};
    return {0, 7200, 4};
}

} // namespace

TimelineView::TimelineView(timeline::Project& project, const QHash<Id, MediaPreview>& previews,
                           QWidget* parent)
    : QWidget(parent), project_(project), previews_(previews) {
    refresh();
    setMouseTracking(true); // the cursor shows where a press would trim
    setFocusPolicy(Qt::ClickFocus);
    setAcceptDrops(true);
    smallFont_ = font();
    if (smallFont_.pointSizeF() > 0)
        smallFont_.setPointSizeF(std::max(6.0, smallFont_.pointSizeF() * 0.8));
    else
        smallFont_.setPixelSize(9);
}

// --- playhead, zoom and scroll

void TimelineView::setPlayhead(qint64 frame, bool followPlayhead) {
    if (frame == playhead_) return;
    const qint64 previous = playhead_;
    const qint64 scrolled = scrollOffset_;
    playhead_ = frame;
    if (followPlayhead) keepPlayheadVisible();
    if (scrollOffset_ != scrolled) return; // the whole view is repainting anyway
    // Only the strips under the old and new playhead change: playback repaints stay cheap.
    updatePlayheadStrip(previous);
    updatePlayheadStrip(frame);
}

void TimelineView::updatePlayheadStrip(qint64 frame) {
    update(QRect(xForFrame(frame) - 8, 0, 17, height()));
}

void TimelineView::keepPlayheadVisible() {
    const qint64 span = visibleFrames();
    if (span <= 0) return;
    // Page like a tape: the playhead re-enters near the left edge.
    if (playhead_ < scrollOffset_ || playhead_ >= scrollOffset_ + span)
        setScrollOffset(playhead_ - span / 10);
}

void TimelineView::setPixelsPerFrame(double pixelsPerFrame) {
    const double clamped = std::clamp(pixelsPerFrame, kMinZoom, kMaxZoom);
    if (clamped == pixelsPerFrame_) return;
    pixelsPerFrame_ = clamped;
    update();
}

void TimelineView::setScrollOffset(qint64 frame) {
    const qint64 limit = std::max(sequence().duration(), playhead_);
    frame = std::clamp<qint64>(frame, 0, limit);
    if (frame == scrollOffset_) return;
    scrollOffset_ = frame;
    update();
}

void TimelineView::zoomIn() {
    zoomAroundPlayhead(kZoomStep);
}
void TimelineView::zoomOut() {
    zoomAroundPlayhead(1.0 / kZoomStep);
}

void TimelineView::fit() {
    const int available = trackArea().width() - 10;
    if (available <= 0) return;
    const qint64 length = std::max<qint64>(sequence().duration(), sequence().time.framesForSeconds(1.0));
    pixelsPerFrame_ = std::clamp(double(available) / double(std::max<qint64>(1, length)), kMinZoom, kMaxZoom);
    scrollOffset_ = 0;
    update();
}

void TimelineView::zoomAroundPlayhead(double factor) {
    const int x = xForFrame(playhead_);
    const bool visible = x >= kHeaderWidth && x < width();
    // An off-screen playhead is brought to the middle.
    zoomAround(pixelsPerFrame_ * factor, double(playhead_),
               visible ? x : kHeaderWidth + trackArea().width() / 2);
}

void TimelineView::zoomAround(double pixelsPerFrame, double anchorFrame, int anchorX) {
    pixelsPerFrame_ = std::clamp(pixelsPerFrame, kMinZoom, kMaxZoom);
    const double left = anchorFrame - double(anchorX - kHeaderWidth) / pixelsPerFrame_;
    const qint64 limit = std::max(sequence().duration(), playhead_);
    scrollOffset_ = std::clamp<qint64>(std::llround(left), 0, limit);
    update();
}

void TimelineView::scrollByPixels(double pixels) {
    qint64 frames = std::llround(pixels / pixelsPerFrame_);
    if (frames == 0 && pixels != 0) frames = pixels > 0 ? 1 : -1;
    setScrollOffset(scrollOffset_ + frames);
}

void TimelineView::setSnapping(bool on) {
    snapping_ = on;
    update();
}

Id TimelineView::selectedClip() const {
    return project_.state().clip(selected_) ? selected_ : 0;
}

void TimelineView::refresh() {
    const int tracks = std::max(2, int(project_.sequence().tracks.size()));
    setMinimumHeight(kRulerHeight + tracks * kTrackHeight + 8);
    update();
}

void TimelineView::select(Id clipId) {
    const bool changed = clipId != selected_;
    selected_ = clipId;
    update();
    if (changed) Q_EMIT selectionChanged(clipId);
}

void TimelineView::setZone(qint64 in, qint64 out) {
    zoneIn_ = in;
    zoneOut_ = out;
    update();
}

void TimelineView::addMarkerAtPlayhead() {
    const auto& markers = sequence().markers;
    auto taken = [&](const QString& name) {
        return std::any_of(markers.begin(), markers.end(),
                           [&](const timeline::Marker& m) { return m.name == name; });
    };
    qint64 n = markers.size() + 1;
    QString name = QStringLiteral("Marker %1").arg(n);
    while (taken(name))
        name = QStringLiteral("Marker %1").arg(++n);
    report(project_.requestAddMarker(sequence().id, playhead_, name));
}

// --- geometry

QRect TimelineView::trackArea() const {
    return {kHeaderWidth, kRulerHeight, std::max(0, width() - kHeaderWidth),
            std::max(0, height() - kRulerHeight)};
}

int TimelineView::xForFrame(qint64 frame) const {
    const double x = kHeaderWidth + std::floor(double(frame - scrollOffset_) * pixelsPerFrame_);
    return int(std::clamp(x, -1.0e7, 1.0e7)); // far-off frames stay far off without overflowing
}

double TimelineView::exactFrameAt(int x) const {
    return double(scrollOffset_) + double(x - kHeaderWidth) / pixelsPerFrame_;
}

qint64 TimelineView::frameAt(int x) const {
    return std::max<qint64>(0, qint64(std::floor(exactFrameAt(x))));
}

qint64 TimelineView::visibleFrames() const {
    return qint64(std::ceil(trackArea().width() / pixelsPerFrame_));
}

QRect TimelineView::frameRect(int trackIndex, qint64 position, qint64 length) const {
    const int left = xForFrame(position);
    const int w = std::max(2, xForFrame(position + length) - left);
    return {left, trackTop(trackIndex) + 2, w, kTrackHeight - 4};
}

QRect TimelineView::clipRect(int trackIndex, const Clip& clip) const {
    return frameRect(trackIndex, clip.position, clip.length);
}

int TimelineView::trackIndexAt(int y) const {
    if (y < kRulerHeight) return -1;
    const int i = (y - kRulerHeight) / kTrackHeight;
    return i < sequence().tracks.size() ? i : -1;
}

// Clips [first, second) of a track that overlap frames [first, last): clips are sorted and never overlap,
// so both their starts and their ends are sorted.
std::pair<int, int> TimelineView::clipIndexRange(const Track& track, qint64 first, qint64 last) const {
    const auto& clips = track.clips;
    const auto begin =
        std::partition_point(clips.begin(), clips.end(), [&](const Clip& c) { return c.end() <= first; });
    const auto end =
        std::partition_point(begin, clips.end(), [&](const Clip& c) { return c.position < last; });
    return {int(begin - clips.begin()), int(end - clips.begin())};
}

int TimelineView::trackIndexOf(Id clipId) const {
    const auto& tracks = sequence().tracks;
    for (int i = 0; i < tracks.size(); ++i)
        for (const Clip& c : tracks[i].clips)
            if (c.id == clipId) return i;
    return -1;
}

std::pair<Id, Id> TimelineView::selectionPair() const {
    const Clip* c = project_.state().clip(selected_);
    return c ? std::pair<Id, Id>{c->id, c->linkedClipId} : std::pair<Id, Id>{0, 0};
}

Id TimelineView::clipAt(QPoint point) const {
    const int i = trackIndexAt(point.y());
    if (i < 0 || point.x() < kHeaderWidth) return 0;
    const Track& track = sequence().tracks[i];
    // A clip is at least 2 px wide on screen, so look a few pixels either side.
    const auto [b, e] = clipIndexRange(track, qint64(std::floor(exactFrameAt(point.x() - 3))) - 1,
                                       qint64(std::ceil(exactFrameAt(point.x() + 3))) + 1);
    for (int k = b; k < e; ++k)
        if (clipRect(i, track.clips[k]).contains(point)) return track.clips[k].id;
    return 0;
}

std::optional<TimelineView::EdgeHit> TimelineView::edgeAt(QPoint point) const {
    const int i = trackIndexAt(point.y());
    if (i < 0 || point.x() < kHeaderWidth) return std::nullopt;
    const Track& track = sequence().tracks[i];
    const int x = point.x();
    const auto [b, e] = clipIndexRange(track, qint64(std::floor(exactFrameAt(x - kEdgePixels))) - 1,
                                       qint64(std::ceil(exactFrameAt(x + kEdgePixels))) + 1);
    std::optional<EdgeHit> best;
    int bestDistance = kEdgePixels + 1;
    bool bestInside = false;
    for (int k = b; k < e; ++k) {
        const Clip& c = track.clips[k];
        const QRect r = clipRect(i, c);
        const int reach = std::min(kEdgePixels, r.width() / 3); // narrow clips keep a body to grab
        const bool inside = x >= r.left() && x < r.left() + r.width();
        const Id before = k > 0 && track.clips[k - 1].end() == c.position ? track.clips[k - 1].id : 0;
        const Id after =
            k + 1 < track.clips.size() && track.clips[k + 1].position == c.end() ? track.clips[k + 1].id : 0;
        auto consider = [&](int edgeX, Edge edge, Id neighbour) {
            const int d = std::abs(x - edgeX);
            // At a cut both edges are equally near: the clip under the cursor wins.
            if (d > reach || d > bestDistance || (d == bestDistance && (bestInside || !inside))) return;
            best = EdgeHit{c.id, edge, neighbour};
            bestDistance = d;
            bestInside = inside;
        };
        consider(r.left(), Edge::In, before);
        consider(r.left() + r.width(), Edge::Out, after);
    }
    return best;
}

QRect TimelineView::markerFlagRect(qint64 frame) const {
    return {xForFrame(frame), kRulerHeight - 12, 10, 12};
}

Id TimelineView::markerAt(QPoint point) const {
    if (point.y() >= kRulerHeight || point.x() < kHeaderWidth) return 0;
    const auto& markers = sequence().markers;
    for (auto it = markers.crbegin(); it != markers.crend(); ++it) // the flag drawn last is on top
        if (markerFlagRect(it->frame).adjusted(-3, -3, 2, 2).contains(point)) return it->id;
    return 0;
}

QRect TimelineView::muteToggleRect(int trackIndex) const {
    return {6, trackTop(trackIndex) + kTrackHeight - 22, 18, 16};
}

QRect TimelineView::lockToggleRect(int trackIndex) const {
    return {28, trackTop(trackIndex) + kTrackHeight - 22, 18, 16};
}

QString TimelineView::timecode(qint64 frame, bool withFrames) const {
    const auto& time = sequence().time;
    const qint64 whole = qint64(std::floor(time.secondsForFrames(frame) + 1e-9));
    QString text = QStringLiteral("%1:%2")
                       .arg(whole / 60, 2, 10, QLatin1Char('0'))
                       .arg(whole % 60, 2, 10, QLatin1Char('0'));
    if (withFrames)
        text +=
            QStringLiteral(":%1").arg(frame - time.framesForSeconds(double(whole)), 2, 10, QLatin1Char('0'));
    return text;
}

// --- derived data

void TimelineView::refreshClipInfo() const {
    const quint64 revision = project_.revision();
    if (clipInfoRevision_ == revision) return;
    clipInfoRevision_ = revision;
    clipInfo_.clear();
    const auto& state = project_.state();
    QHash<Id, int> takesOfAsset, takeNumber; // a take's number counts its asset's takes in state order
    for (const auto& take : state.takes)
        takeNumber.insert(take.id, ++takesOfAsset[take.assetId]);
    QHash<Id, QString> labels;
    for (const auto& asset : state.assets)
        labels.insert(asset.id, asset.label);
    for (const Track& track : sequence().tracks)
        for (const Clip& c : track.clips) {
            ClipInfo info;
            info.label = labels.value(c.assetId);
            if (c.takeId) {
                info.takeBadge = QStringLiteral("T%1/%2")
                                     .arg(takeNumber.value(c.takeId))
                                     .arg(takesOfAsset.value(c.assetId));
                info.stale = state.isStale(c); // hashes the take's inputs: once per change, not per paint
            }
            info.sourceFrames = state.sourceLengthFrames(c, sequence().time);
            clipInfo_.insert(c.id, info);
        }
}

const TimelineView::ClipInfo& TimelineView::infoOf(const Clip& clip) const {
    static const ClipInfo none;
    refreshClipInfo();
    const auto found = clipInfo_.constFind(clip.id);
    return found != clipInfo_.constEnd() ? found.value() : none;
}

QPixmap TimelineView::thumbnailFor(Id assetId, int height) const {
    const auto found = previews_.constFind(assetId);
    if (found == previews_.constEnd() || found->thumbnail.isNull() || height <= 0) return {};
    const qint64 key = found->thumbnail.cacheKey();
    ScaledThumb& slot = thumbCache_[{assetId, height}];
    if (slot.pixmap.isNull() || slot.sourceKey != key) { // new or replaced preview: scale once
        slot.sourceKey = key;
        slot.pixmap = QPixmap::fromImage(found->thumbnail.scaledToHeight(height, Qt::SmoothTransformation));
    }
    return slot.pixmap;
}

qint64 TimelineView::assetFrames(Id assetId) const {
    const auto& state = project_.state();
    const timeline::Asset* a = state.asset(assetId);
    if (!a) return 0;
    double seconds = a->duration;
    if (a->kind == timeline::AssetKind::Generated)
        if (const timeline::Take* t = state.take(a->activeTakeId)) seconds = t->duration;
    return sequence().time.framesForSeconds(seconds);
}

QString TimelineView::toolTipAt(QPoint point) const {
    if (const Id markerId = markerAt(point)) {
        const timeline::Marker* m = findMarker(sequence(), markerId);
        return QStringLiteral("%1 — %2").arg(m->name, timecode(m->frame, true));
    }
    const Clip* c = project_.state().clip(clipAt(point));
    if (!c) return {};
    const ClipInfo& info = infoOf(*c);
    QString text =
        QStringLiteral("%1\n%2 – %3").arg(info.label, timecode(c->position, true), timecode(c->end(), true));
    if (!info.takeBadge.isEmpty()) text += QStringLiteral("\nTake %1").arg(info.takeBadge.mid(1));
    if (info.stale) text += QStringLiteral("\nStale: its inputs changed since this take was made");
    if (c->maskId) text += QStringLiteral("\nHas a repair mask");
    return text;
}

// --- painting

void TimelineView::paintEvent(QPaintEvent* e) {
    QPainter p(this);
    const QRect dirty = e->rect();
    refreshClipInfo();
    p.fillRect(dirty, kBackground);
    const QRect content(kHeaderWidth, 0, std::max(0, width() - kHeaderWidth), height());
    p.setClipRect(content.intersected(dirty));
    const auto& tracks = sequence().tracks;
    for (int i = 0; i < tracks.size(); ++i)
        if (QRect(kHeaderWidth, trackTop(i), content.width(), kTrackHeight).intersects(dirty))
            paintTrack(p, i, dirty);
    paintRuler(p, dirty);
    paintMarkers(p, dirty);
    paintDragGhost(p);
    paintDropPreview(p);
    paintPlayhead(p);
    p.setClipping(false);
    paintHeaders(p, dirty);
}

void TimelineView::paintRuler(QPainter& p, const QRect& dirty) const {
    const QRect ruler(kHeaderWidth, 0, std::max(0, width() - kHeaderWidth), kRulerHeight);
    if (!ruler.intersects(dirty)) return;
    p.fillRect(ruler.intersected(dirty), kRulerFill);
    if (zoneOut_ > zoneIn_) {
        const int left = xForFrame(zoneIn_), right = xForFrame(zoneOut_);
        p.fillRect(QRect(left, 0, std::max(1, right - left), kRulerHeight), kZone);
    }
    // Start a label's width early: a label that begins left of the dirty rect may reach into it.
    const int labelWidth = QFontMetrics(font()).horizontalAdvance(QStringLiteral("00:00:00")) + kLabelGap;
    paintRulerTicks(p, frameAt(std::max(kHeaderWidth, dirty.left() - labelWidth)),
                    qint64(std::ceil(exactFrameAt(dirty.right() + 1))));
    p.setPen(kClipBorder);
    p.drawLine(kHeaderWidth, kRulerHeight - 1, width(), kRulerHeight - 1);
}

void TimelineView::paintRulerTicks(QPainter& p, qint64 first, qint64 last) const {
    const auto& time = sequence().time;
    const double fps = time.fps.toDouble();
    const int minSpacing = QFontMetrics(font()).horizontalAdvance(QStringLiteral("00:00:00")) + kLabelGap;
    const RulerStep step = chooseRulerStep(fps, pixelsPerFrame_, minSpacing);
    const double stepFrames = step.frames ? double(step.frames) : double(step.seconds) * fps;
    if (stepFrames <= 0) return;
    auto tickFrame = [&](qint64 k) {
        return step.frames ? k * step.frames : time.framesForSeconds(double(k * step.seconds));
    };
    const double minorSpacing = stepFrames * pixelsPerFrame_ / step.minorDivisions;
    p.setPen(kRulerText);
    for (qint64 k = std::max<qint64>(0, qint64(double(first) / stepFrames) - 1);; ++k) {
        const qint64 frame = tickFrame(k);
        if (frame > last) break;
        const int x = xForFrame(frame);
        p.drawLine(x, kRulerHeight - 9, x, kRulerHeight - 1);
        p.drawText(x + 3, 12, timecode(frame, step.frames != 0));
        if (step.minorDivisions < 2 || minorSpacing < 4) continue;
        for (int j = 1; j < step.minorDivisions; ++j) {
            const int mx = x + int(j * minorSpacing);
            p.drawLine(mx, kRulerHeight - 4, mx, kRulerHeight - 1);
        }
    }
}

void TimelineView::paintHeaders(QPainter& p, const QRect& dirty) const {
    const QRect column(0, 0, kHeaderWidth, height());
    if (!column.intersects(dirty)) return;
    p.fillRect(column, kHeaderFill);
    // The ruler's corner says whether snapping is on ('N').
    p.setFont(smallFont_);
    p.setPen(snapping_ ? kSnapColor : kDimText);
    p.drawText(QRect(6, 0, kHeaderWidth - 8, kRulerHeight), Qt::AlignVCenter | Qt::AlignLeft,
               snapping_ ? QStringLiteral("SNAP") : QStringLiteral("snap off"));
    const auto& tracks = sequence().tracks;
    for (int i = 0; i < tracks.size(); ++i) {
        const QRect row(0, trackTop(i), kHeaderWidth, kTrackHeight);
        if (!row.intersects(dirty)) continue;
        p.setFont(font());
        p.setPen(kText);
        p.drawText(row.adjusted(6, 4, -4, 0), Qt::AlignLeft | Qt::AlignTop | Qt::TextSingleLine,
                   tracks[i].name);
        p.setFont(smallFont_);
        drawToggle(p, muteToggleRect(i), QStringLiteral("M"), tracks[i].muted, kMuteOn);
        drawToggle(p, lockToggleRect(i), QStringLiteral("L"), tracks[i].locked, kLockOn);
        p.setPen(kClipBorder);
        p.drawLine(0, row.bottom(), kHeaderWidth, row.bottom());
    }
    p.setFont(font());
    p.setPen(kClipBorder);
    p.drawLine(kHeaderWidth - 1, 0, kHeaderWidth - 1, height());
}

void TimelineView::paintTrack(QPainter& p, int trackIndex, const QRect& dirty) const {
    const Track& track = sequence().tracks[trackIndex];
    const QRect row(kHeaderWidth, trackTop(trackIndex), std::max(0, width() - kHeaderWidth), kTrackHeight);
    p.fillRect(row.adjusted(0, 0, 0, -1).intersected(dirty), trackIndex % 2 ? kRowOdd : kRowEven);
    const int left = std::max(kHeaderWidth, dirty.left());
    const auto [b, e] = clipIndexRange(track, qint64(std::floor(exactFrameAt(left - 2))) - 1,
                                       qint64(std::ceil(exactFrameAt(dirty.right() + 1))) + 1);
    const auto [chosen, partner] = selectionPair();
    for (int k = b; k < e; ++k) {
        const Clip& clip = track.clips[k];
        const bool selected = chosen && (clip.id == chosen || clip.id == partner);
        paintClip(p, track, clip, clipRect(trackIndex, clip), dirty, selected);
    }
}

void TimelineView::paintClip(QPainter& p, const Track& track, const Clip& clip, const QRect& r,
                             const QRect& dirty, bool selected) const {
    const QRect shown = r.intersected(dirty).intersected(trackArea());
    if (shown.isEmpty()) return;
    const bool video = track.kind == TrackKind::Video;
    QColor fill = video ? kVideoClip : kAudioClip;
    if (track.locked || track.muted) fill = fill.darker(150);
    p.fillRect(shown, fill);
    if (video)
        paintThumbnails(p, clip, r, shown);
    else
        paintWaveform(p, clip, r, shown);
    if (r.width() > 24) {
        // The label stays readable when the clip's start is scrolled out of view.
        const int labelLeft = std::max(r.left(), kHeaderWidth) + 4;
        p.setPen(Qt::white);
        p.drawText(QRect(labelLeft, r.top() + 1, r.left() + r.width() - labelLeft - 4, 14),
                   Qt::AlignTop | Qt::AlignLeft | Qt::TextSingleLine, infoOf(clip).label);
    }
    paintBadges(p, clip, r);
    p.setPen(selected ? QPen(kSelection, 2) : QPen(kClipBorder));
    p.setBrush(Qt::NoBrush);
    p.drawRect(r.adjusted(0, 0, -1, -1));
}

void TimelineView::paintThumbnails(QPainter& p, const Clip& clip, const QRect& r, const QRect& shown) const {
    const QPixmap thumb = thumbnailFor(clip.assetId, r.height() - 16);
    if (thumb.isNull()) return;
    const int pitch = thumb.width() + 2, top = r.top() + 14, clipRight = r.left() + r.width();
    // Only the tiles that reach into the shown part are drawn, however long the clip.
    const int firstTile = std::max(0, (shown.left() - r.left()) / pitch);
    for (int x = r.left() + firstTile * pitch; x <= shown.right(); x += pitch) {
        const int w = std::min(thumb.width(), clipRight - x);
        if (w <= 0) break;
        p.drawPixmap(QPoint(x, top), thumb, QRect(0, 0, w, thumb.height()));
    }
}

void TimelineView::paintWaveform(QPainter& p, const Clip& clip, const QRect& r, const QRect& shown) const {
    const auto found = previews_.constFind(clip.assetId);
    if (found == previews_.constEnd() || found->peaks.isEmpty()) return;
    const QVector<float>& peaks = found->peaks;
    const int bins = int(peaks.size());
    // The peaks cover the whole media; the clip shows source frames [sourceIn, sourceOut).
    const qint64 media = infoOf(clip).sourceFrames;
    const double binsPerFrame =
        double(bins) / double(media > 0 ? media : std::max<qint64>(1, clip.sourceOut()));
    const double framesPerPixel = 1.0 / pixelsPerFrame_;
    const int mid = r.top() + 8 + (r.height() - 8) / 2, half = (r.height() - 16) / 2;
    QVector<QLine> lines;
    lines.reserve(shown.width());
    for (int x = shown.left(); x <= shown.right(); ++x) {
        const double frame = double(clip.sourceIn) + (x - r.left()) * framesPerPixel;
        const int b0 = std::clamp(int(frame * binsPerFrame), 0, bins - 1);
        const int b1 = std::clamp(int((frame + framesPerPixel) * binsPerFrame), b0 + 1, bins);
        const float level = *std::max_element(peaks.begin() + b0, peaks.begin() + b1);
        const int h = int(level * float(half));
        lines.append(QLine(x, mid - h, x, mid + h));
    }
    p.setPen(kWaveform);
    p.drawLines(lines);
}

void TimelineView::paintBadges(QPainter& p, const Clip& clip, const QRect& r) const {
    const ClipInfo& info = infoOf(clip);
    if (info.takeBadge.isEmpty() && !info.stale && !clip.maskId) return;
    p.setFont(smallFont_);
    const QFontMetrics metrics(smallFont_);
    int right = r.left() + r.width() - 3;
    // Tags line up leftwards from the top-right corner, as long as they fit inside the clip.
    auto tag = [&](const QString& text, const QColor& background) {
        const int w = metrics.horizontalAdvance(text) + 6;
        const QRect box(right - w, r.top() + 2, w, metrics.height() + 1);
        if (box.left() < r.left() + 2) return;
        p.fillRect(box, background);
        p.setPen(Qt::white);
        p.drawText(box, Qt::AlignCenter, text);
        right = box.left() - 2;
    };
    if (!info.takeBadge.isEmpty()) tag(info.takeBadge, kTakeBadge);
    if (info.stale) tag(QStringLiteral("STALE"), kStale);
    if (clip.maskId) tag(QStringLiteral("M"), kMaskTag);
    p.setFont(font());
}

void TimelineView::paintMarkers(QPainter& p, const QRect& dirty) const {
    for (const auto& m : sequence().markers) {
        const int x = xForFrame(m.frame);
        if (x < kHeaderWidth - 12 || x > dirty.right() + 1 || x + 12 < dirty.left()) continue;
        const QColor color = markerColor(m);
        QColor line = color;
        line.setAlpha(110);
        p.setPen(QPen(line, 1, Qt::DashLine));
        p.drawLine(x, kRulerHeight, x, height());
        drawFlag(p, x, kRulerHeight - 12, color);
    }
}

void TimelineView::paintDragGhost(QPainter& p) const {
    if (!drag_.active) return;
    for (const Ghost& g : dragGhosts()) {
        if (g.track < 0) continue;
        const QRect r = frameRect(g.track, g.position, g.length);
        p.fillRect(r, kGhostFill);
        p.setPen(QPen(kGhostLine, 1, Qt::DashLine));
        p.drawRect(r.adjusted(0, 0, -1, -1));
    }
    if (drag_.gesture == Gesture::MoveMarker)
        if (const timeline::Marker* m = findMarker(sequence(), drag_.clipId))
            drawFlag(p, xForFrame(m->frame + drag_.delta), kRulerHeight - 12, markerColor(*m).lighter(130));
    if (drag_.snapLine) {
        const int x = xForFrame(*drag_.snapLine);
        p.setPen(QPen(kSnapColor, 1));
        p.drawLine(x, 0, x, height());
    }
    paintLabelBox(p, drag_.cursor, dragLabel());
}

void TimelineView::paintDropPreview(QPainter& p) const {
    if (!drop_) return;
    if (drop_->track >= 0 && drop_->length > 0) {
        const QRect r = frameRect(drop_->track, drop_->frame, drop_->length);
        p.fillRect(r, kGhostFill);
        p.setPen(QPen(kGhostLine, 1, Qt::DashLine));
        p.drawRect(r.adjusted(0, 0, -1, -1));
    }
    const int x = xForFrame(drop_->frame);
    p.setPen(QPen(kSnapColor, 2));
    p.drawLine(x, 0, x, height());
}

void TimelineView::paintPlayhead(QPainter& p) const {
    const int x = xForFrame(playhead_);
    if (x < kHeaderWidth - 8 || x > width() + 8) return;
    p.setPen(QPen(kPlayheadColor, 2));
    p.drawLine(x, 0, x, height());
    p.setPen(Qt::NoPen);
    p.setBrush(kPlayheadColor);
    p.drawPolygon(QPolygon({QPoint(x - 6, 0), QPoint(x + 6, 0), QPoint(x, 8)}));
    p.setBrush(Qt::NoBrush);
}

void TimelineView::paintLabelBox(QPainter& p, QPoint at, const QString& text) const {
    if (text.isEmpty()) return;
    const QFontMetrics metrics(smallFont_);
    QRect box(0, 0, metrics.horizontalAdvance(text) + 10, metrics.height() + 4);
    box.moveTopLeft(at + QPoint(12, -box.height() - 8));
    if (box.top() < 0) box.moveTop(at.y() + 16);
    if (box.right() >= width()) box.moveRight(width() - 1);
    if (box.left() < kHeaderWidth) box.moveLeft(kHeaderWidth);
    p.setFont(smallFont_);
    p.fillRect(box, kLabelFill);
    p.setPen(kGhostLine);
    p.drawRect(box.adjusted(0, 0, -1, -1));
    p.drawText(box, Qt::AlignCenter, text);
    p.setFont(font());
}

// --- gestures: the press decides what the drag does; moves preview it; the release commits it

void TimelineView::beginGesture(QPoint pos, Qt::KeyboardModifiers mods) {
    drag_ = Drag{};
    drag_.origin = drag_.cursor = pos;
    drag_.originFrame = exactFrameAt(pos.x());
    if (pos.x() < kHeaderWidth) {
        beginHeaderClick(pos);
    } else if (pos.y() < kRulerHeight) {
        beginRulerGesture(pos);
    } else {
        beginClipGesture(pos, mods);
    }
}

void TimelineView::beginHeaderClick(QPoint pos) {
    const int i = trackIndexAt(pos.y());
    if (i < 0) return;
    const Track& track = sequence().tracks[i];
    if (muteToggleRect(i).contains(pos))
        report(project_.requestSetTrackMuted(track.id, !track.muted));
    else if (lockToggleRect(i).contains(pos))
        report(project_.requestSetTrackLocked(track.id, !track.locked));
}

void TimelineView::beginRulerGesture(QPoint pos) {
    if (const Id marker = markerAt(pos)) {
        drag_.gesture = Gesture::MoveMarker;
        drag_.clipId = marker;
        return;
    }
    beginScrub(pos);
}

void TimelineView::beginScrub(QPoint pos) {
    drag_.gesture = Gesture::Scrub;
    select(0);
    Q_EMIT seekRequested(frameAt(pos.x()));
}

void TimelineView::beginClipGesture(QPoint pos, Qt::KeyboardModifiers mods) {
    const auto edge = edgeAt(pos);
    const Id clipId = edge ? edge->clipId : clipAt(pos);
    if (!clipId) return beginScrub(pos);
    select(clipId);
    drag_.clipId = clipId;
    drag_.track = drag_.targetTrack = trackIndexAt(pos.y());
    if (edge && (mods & Qt::ShiftModifier) && edge->neighbourId) {
        // A roll moves the cut between the two clips, whichever side of it was grabbed.
        const bool out = edge->edge == Edge::Out;
        drag_.gesture = Gesture::Roll;
        drag_.clipId = out ? edge->clipId : edge->neighbourId;
        drag_.otherId = out ? edge->neighbourId : edge->clipId;
    } else if (edge) {
        drag_.gesture = (mods & Qt::ControlModifier) ? Gesture::RippleTrim : Gesture::Trim;
        drag_.edge = edge->edge;
    } else {
        drag_.gesture = (mods & Qt::AltModifier) ? Gesture::Slip : Gesture::Move;
    }
}

void TimelineView::continueGesture(QPoint pos) {
    drag_.cursor = pos;
    if (drag_.gesture == Gesture::None) return;
    if (drag_.gesture == Gesture::Scrub) {
        // Held inside the view, so scrubbing never makes the view page away under the mouse.
        Q_EMIT scrubRequested(
            frameAt(std::clamp(pos.x(), kHeaderWidth, std::max(kHeaderWidth, width() - 1))));
        return;
    }
    if (!drag_.active && (pos - drag_.origin).manhattanLength() < kDragThreshold) return;
    drag_.active = true;
    drag_.snapLine.reset();
    const qint64 raw = std::llround(exactFrameAt(pos.x()) - drag_.originFrame);
    switch (drag_.gesture) {
    case Gesture::Move:
        updateMove(raw, pos);
        break;
    case Gesture::Trim:
    case Gesture::RippleTrim:
        updateTrim(raw);
        break;
    case Gesture::Roll:
        updateRoll(raw);
        break;
    case Gesture::Slip:
        updateSlip(raw);
        break;
    case Gesture::MoveMarker:
        updateMarkerMove(raw);
        break;
    default:
        break;
    }
    update();
}

void TimelineView::endGesture() {
    EditResult result;
    if (drag_.active) {
        result = commitDrag();
    } else if (drag_.gesture == Gesture::MoveMarker) { // a click on a flag goes to its marker
        if (const timeline::Marker* m = findMarker(sequence(), drag_.clipId)) Q_EMIT seekRequested(m->frame);
    }
    drag_ = Drag{};
    report(result);
}

QList<Id> TimelineView::withPartner(Id clipId) const {
    QList<Id> ids{clipId};
    const Clip* c = project_.state().clip(clipId);
    if (c && c->linkedClipId) ids.append(c->linkedClipId);
    return ids;
}

qint64 TimelineView::snapTolerance() const {
    return std::llround(kSnapPixels / pixelsPerFrame_);
}

std::optional<qint64> TimelineView::snapTarget(qint64 frame, const QList<Id>& ignore) const {
    if (!snapping_) return std::nullopt;
    const qint64 snapped = project_.snap(sequence().id, frame, snapTolerance(), playhead_, ignore);
    return snapped != frame ? std::optional<qint64>(snapped) : std::nullopt;
}

void TimelineView::updateMove(qint64 rawDelta, QPoint pos) {
    const auto& state = project_.state();
    const Clip* c = state.clip(drag_.clipId);
    const int own = trackIndexOf(drag_.clipId);
    if (!c || own < 0) return;
    const auto& tracks = sequence().tracks;
    const int under = trackIndexAt(pos.y());
    drag_.targetTrack = under >= 0 && tracks[under].kind == tracks[own].kind ? under : own;
    qint64 lowest = -c->position; // neither the clip nor its partner may start before zero
    if (const Clip* partner = state.clip(c->linkedClipId)) lowest = std::max(lowest, -partner->position);
    qint64 delta = std::max(rawDelta, lowest);
    // Snap whichever end of the clip lands nearer a target.
    const QList<Id> ignore = withPartner(c->id);
    const qint64 start = c->position + delta, end = c->end() + delta;
    const auto atStart = snapTarget(start, ignore), atEnd = snapTarget(end, ignore);
    if (atStart && (!atEnd || std::abs(*atStart - start) <= std::abs(*atEnd - end))) {
        delta += *atStart - start;
        drag_.snapLine = atStart;
    } else if (atEnd) {
        delta += *atEnd - end;
        drag_.snapLine = atEnd;
    }
    drag_.delta = std::max(delta, lowest);
}

void TimelineView::updateTrim(qint64 rawDelta) {
    const Clip* c = project_.state().clip(drag_.clipId);
    if (!c) return;
    const qint64 edgeFrame = drag_.edge == Edge::In ? c->position : c->end();
    qint64 delta = rawDelta;
    if (const auto target = snapTarget(edgeFrame + rawDelta, withPartner(c->id))) {
        delta = *target - edgeFrame;
        drag_.snapLine = target;
    }
    drag_.delta = clampTrimDelta(*c, drag_.edge, delta, drag_.gesture == Gesture::RippleTrim);
    if (drag_.delta != delta) drag_.snapLine.reset(); // stopped short of the target
}

std::pair<qint64, qint64> TimelineView::freeRangeAround(const Clip& clip) const {
    const int i = trackIndexOf(clip.id);
    if (i < 0) return {0, kNoLimit};
    const auto& clips = sequence().tracks[i].clips;
    qint64 previousEnd = 0, nextStart = kNoLimit;
    for (const Clip& other : clips) {
        if (other.end() <= clip.position) previousEnd = std::max(previousEnd, other.end());
        if (other.position >= clip.end()) nextStart = std::min(nextStart, other.position);
    }
    return {previousEnd, nextStart};
}

// How far an edge may go: not past the media's ends, not through the clip, and (a plain trim, which moves
// nothing else) not into its neighbours.
qint64 TimelineView::clampTrimDelta(const Clip& clip, Edge edge, qint64 delta, bool ripple) const {
    const qint64 media = infoOf(clip).sourceFrames;
    const auto [previousEnd, nextStart] =
        ripple ? std::pair<qint64, qint64>{0, kNoLimit} : freeRangeAround(clip);
    if (edge == Edge::In) {
        qint64 low = -clip.sourceIn;
        if (!ripple) low = std::max(low, previousEnd - clip.position);
        return bounded(delta, low, clip.length - 1);
    }
    qint64 high = media > 0 ? media - clip.sourceOut() : kNoLimit;
    high = std::min(high, nextStart - clip.end());
    return bounded(delta, 1 - clip.length, high);
}

void TimelineView::updateRoll(qint64 rawDelta) {
    const auto& state = project_.state();
    const Clip* left = state.clip(drag_.clipId);
    const Clip* right = state.clip(drag_.otherId);
    if (!left || !right) return;
    const qint64 cut = left->end();
    qint64 delta = rawDelta;
    if (const auto target = snapTarget(cut + rawDelta, withPartner(left->id) + withPartner(right->id))) {
        delta = *target - cut;
        drag_.snapLine = target;
    }
    const qint64 leftMedia = infoOf(*left).sourceFrames;
    const qint64 low = std::max(1 - left->length, -right->sourceIn);
    const qint64 high = std::min(right->length - 1, leftMedia > 0 ? leftMedia - left->sourceOut() : kNoLimit);
    drag_.delta = bounded(delta, low, high);
    if (drag_.delta != delta) drag_.snapLine.reset();
}

void TimelineView::updateSlip(qint64 rawDelta) {
    const Clip* c = project_.state().clip(drag_.clipId);
    if (!c) return;
    const qint64 media = infoOf(*c).sourceFrames;
    // The media follows the mouse: dragging right brings earlier material into the clip.
    drag_.delta = bounded(-rawDelta, -c->sourceIn, media > 0 ? media - c->sourceOut() : kNoLimit);
}

void TimelineView::updateMarkerMove(qint64 rawDelta) {
    const timeline::Marker* m = findMarker(sequence(), drag_.clipId);
    if (!m) return;
    qint64 frame = std::max<qint64>(0, m->frame + rawDelta);
    // The marker's own flag is a snap target too; it must not hold the marker in place.
    if (const auto target = snapTarget(frame, {}); target && *target != m->frame) {
        frame = *target;
        drag_.snapLine = target;
    }
    drag_.delta = frame - m->frame;
}

EditResult TimelineView::commitDrag() {
    if (drag_.delta == 0 && !(drag_.gesture == Gesture::Move && drag_.targetTrack != drag_.track)) return {};
    if (drag_.gesture == Gesture::MoveMarker) {
        const timeline::Marker* m = findMarker(sequence(), drag_.clipId);
        return m ? project_.requestMoveMarker(m->id, m->frame + drag_.delta) : EditResult{};
    }
    const Clip* c = project_.state().clip(drag_.clipId);
    if (!c) return {}; // the clip went away mid-drag (an undo): nothing to do
    switch (drag_.gesture) {
    case Gesture::Move: {
        const auto& tracks = sequence().tracks;
        const Id target =
            drag_.targetTrack >= 0 && drag_.targetTrack < tracks.size() ? tracks[drag_.targetTrack].id : 0;
        return project_.requestMove(c->id, c->position + drag_.delta, target);
    }
    case Gesture::Trim:
        return project_.requestTrim(c->id, drag_.edge,
                                    (drag_.edge == Edge::In ? c->position : c->end()) + drag_.delta);
    case Gesture::RippleTrim:
        return project_.requestRippleTrim(c->id, drag_.edge, drag_.delta);
    case Gesture::Roll:
        return project_.requestRoll(c->id, drag_.delta);
    case Gesture::Slip:
        return project_.requestSlip(c->id, drag_.delta);
    default:
        return {};
    }
}

// What the release would make, drawn over the clips as they are.
QList<TimelineView::Ghost> TimelineView::dragGhosts() const {
    QList<Ghost> ghosts;
    const auto& state = project_.state();
    const Clip* c = state.clip(drag_.clipId);
    if (!c) return ghosts;
    const qint64 d = drag_.delta;
    switch (drag_.gesture) {
    case Gesture::Move:
        for (Id id : withPartner(c->id)) {
            const Clip* x = state.clip(id);
            if (x)
                ghosts.append(
                    {id == c->id ? drag_.targetTrack : trackIndexOf(id), x->position + d, x->length});
        }
        break;
    case Gesture::Trim:
    case Gesture::RippleTrim:
        for (Id id : withPartner(c->id)) { // the partner follows when its edge lines up, as the request does
            const Clip* x = state.clip(id);
            if (!x) continue;
            if (drag_.edge == Edge::In && x->position == c->position)
                ghosts.append({trackIndexOf(id), x->position + d, x->length - d});
            else if (drag_.edge == Edge::Out && x->end() == c->end())
                ghosts.append({trackIndexOf(id), x->position, x->length + d});
        }
        break;
    case Gesture::Roll:
        ghosts.append({trackIndexOf(c->id), c->position, c->length + d});
        if (const Clip* right = state.clip(drag_.otherId))
            ghosts.append({trackIndexOf(right->id), right->position + d, right->length - d});
        break;
    case Gesture::Slip:
        ghosts.append({trackIndexOf(c->id), c->position, c->length});
        break;
    default:
        break;
    }
    return ghosts;
}

QString TimelineView::dragLabel() const {
    if (drag_.gesture == Gesture::MoveMarker) {
        const timeline::Marker* m = findMarker(sequence(), drag_.clipId);
        return m ? timecode(m->frame + drag_.delta, true) : QString();
    }
    const Clip* c = project_.state().clip(drag_.clipId);
    if (!c) return {};
    const qint64 d = drag_.delta;
    const qint64 edgeFrame = (drag_.edge == Edge::In ? c->position : c->end()) + d;
    switch (drag_.gesture) {
    case Gesture::Move:
        return QStringLiteral("%1  (%2)").arg(timecode(c->position + d, true), signedFrames(d));
    case Gesture::Trim:
        return QStringLiteral("%1 %2  (%3)")
            .arg(drag_.edge == Edge::In ? QStringLiteral("In") : QStringLiteral("Out"),
                 timecode(edgeFrame, true), signedFrames(d));
    case Gesture::RippleTrim:
        return QStringLiteral("Ripple %1").arg(signedFrames(d));
    case Gesture::Roll:
        return QStringLiteral("Roll %1  (%2)").arg(timecode(c->end() + d, true), signedFrames(d));
    case Gesture::Slip:
        return QStringLiteral("Source in %1 · out %2")
            .arg(timecode(c->sourceIn + d, true), timecode(c->sourceOut() + d, true));
    default:
        return {};
    }
}

void TimelineView::updateHoverCursor(QPoint pos) {
    if (edgeAt(pos))
        setCursor(Qt::SizeHorCursor);
    else if (markerAt(pos))
        setCursor(Qt::PointingHandCursor);
    else
        unsetCursor();
}

void TimelineView::report(const EditResult& result) {
    if (!result.ok) Q_EMIT statusMessage(result.reason);
    update();
}

bool TimelineView::dragForTest(QPoint from, QPoint to, Qt::KeyboardModifiers mods) {
    const quint64 before = project_.revision();
    beginGesture(from, mods);
    continueGesture(to);
    endGesture();
    return project_.revision() != before;
}

// --- events

bool TimelineView::event(QEvent* e) {
    if (e->type() != QEvent::ToolTip) return QWidget::event(e);
    const auto* help = static_cast<QHelpEvent*>(e);
    const QString text = toolTipAt(help->pos());
    if (text.isEmpty()) {
        QToolTip::hideText();
        e->ignore();
    } else {
        QToolTip::showText(help->globalPos(), text, this);
    }
    return true;
}

void TimelineView::mousePressEvent(QMouseEvent* e) {
    const QPoint pos = e->position().toPoint();
    if (e->button() == Qt::RightButton) {
        if (const Id marker = markerAt(pos)) return report(project_.requestRemoveMarker(marker));
        return QWidget::mousePressEvent(e);
    }
    if (e->button() != Qt::LeftButton) return QWidget::mousePressEvent(e);
    beginGesture(pos, e->modifiers());
}

void TimelineView::mouseMoveEvent(QMouseEvent* e) {
    const QPoint pos = e->position().toPoint();
    if (drag_.gesture == Gesture::None)
        updateHoverCursor(pos);
    else
        continueGesture(pos);
}

void TimelineView::mouseReleaseEvent(QMouseEvent* e) {
    if (e->button() == Qt::LeftButton && drag_.gesture != Gesture::None) endGesture();
}

void TimelineView::wheelEvent(QWheelEvent* e) {
    const QPoint angle = e->angleDelta();
    if (e->modifiers() & Qt::ControlModifier) {
        const int x = int(e->position().x());
        zoomAround(pixelsPerFrame_ * std::pow(kZoomStep, angle.y() / 120.0), exactFrameAt(x), x);
    } else {
        // Wheel down (or a sideways swipe to the right) goes later in the sequence.
        const int notches = angle.x() != 0 ? angle.x() : angle.y();
        scrollByPixels(-notches / 120.0 * kWheelScrollPixels);
    }
    e->accept();
}

void TimelineView::keyPressEvent(QKeyEvent* e) {
    // Transport and edit keys belong to the main window: only the view's own keys stop here.
    if (!(e->modifiers() & (Qt::ControlModifier | Qt::AltModifier | Qt::MetaModifier))) {
        switch (e->key()) {
        case Qt::Key_Plus:
        case Qt::Key_Equal:
            zoomIn();
            return;
        case Qt::Key_Minus:
            zoomOut();
            return;
        case Qt::Key_Backslash:
            fit();
            return;
        case Qt::Key_N:
            setSnapping(!snapping_);
            Q_EMIT statusMessage(snapping_ ? tr("Snapping on") : tr("Snapping off"));
            return;
        default:
            break;
        }
    }
    QWidget::keyPressEvent(e);
}

// --- drops

qint64 TimelineView::dropFrameAt(int x) const {
    const qint64 frame = frameAt(x);
    return snapTarget(frame, {}).value_or(frame);
}

void TimelineView::updateDropPreview(QPoint pos, const QMimeData* mime) {
    DropPreview preview;
    preview.frame = dropFrameAt(pos.x());
    preview.track = trackIndexAt(pos.y());
    for (Id id : assetIdsFromMime(mime))
        preview.length += assetFrames(id);
    drop_ = preview;
    update();
}

void TimelineView::dragEnterEvent(QDragEnterEvent* e) {
    const QMimeData* mime = e->mimeData();
    if (!mime->hasFormat(QString::fromLatin1(kAssetMimeType)) && localFilesIn(mime).isEmpty())
        return e->ignore();
    e->acceptProposedAction();
    updateDropPreview(e->position().toPoint(), mime);
}

void TimelineView::dragMoveEvent(QDragMoveEvent* e) {
    e->acceptProposedAction();
    updateDropPreview(e->position().toPoint(), e->mimeData());
}

void TimelineView::dragLeaveEvent(QDragLeaveEvent*) {
    drop_.reset();
    update();
}

void TimelineView::dropEvent(QDropEvent* e) {
    const QPoint pos = e->position().toPoint();
    const qint64 frame = dropFrameAt(pos.x());
    drop_.reset();
    update();
    if (const QList<Id> ids = assetIdsFromMime(e->mimeData()); !ids.isEmpty()) {
        placeDroppedAssets(ids, frame, trackIndexAt(pos.y()));
        return e->acceptProposedAction();
    }
    if (const QStringList paths = localFilesIn(e->mimeData()); !paths.isEmpty()) {
        Q_EMIT filesDropped(paths, frame);
        return e->acceptProposedAction();
    }
    e->ignore();
}

// Inserts the assets one after another from `frame`: pictures on the video track under the cursor (else
// the first), sound on the audio track under the cursor (else the first). One undo step for all of them.
void TimelineView::placeDroppedAssets(const QList<Id>& assetIds, qint64 frame, int trackIndex) {
    const auto& tracks = sequence().tracks;
    Id video = 0, audio = 0;
    for (const Track& t : tracks) {
        if (t.kind == TrackKind::Video && !video) video = t.id;
        if (t.kind == TrackKind::Audio && !audio) audio = t.id;
    }
    if (trackIndex >= 0)
        (tracks[trackIndex].kind == TrackKind::Video ? video : audio) = tracks[trackIndex].id;
    const QString text = assetIds.size() == 1 ? QStringLiteral("Insert")
                                              : QStringLiteral("Insert %1 clips").arg(assetIds.size());
    Id firstPlaced = 0;
    const EditResult result = project_.requestCompound(text, [&]() -> EditResult {
        qint64 at = frame;
        for (Id assetId : assetIds) {
            const timeline::Asset* asset = project_.asset(assetId);
            if (!asset) return EditResult::failure(QStringLiteral("no asset with id %1").arg(assetId));
            const timeline::Placement placement{assetId, 0, video, asset->hasAudio ? audio : 0,
                                                at,      0, -1,    timeline::PlaceMode::Insert};
            const EditResult placed = project_.requestPlace(placement);
            if (!placed.ok) return placed;
            if (!firstPlaced) firstPlaced = placed.newId;
            if (const Clip* c = project_.state().clip(placed.newId)) at = c->end();
        }
        return {};
    });
    report(result);
    if (result.ok && firstPlaced) select(firstPlaced);
}

} // namespace tandem::ui
