#include "ui/timeline_view.h"

#include <QMouseEvent>
#include <QPainter>

#include <algorithm>

namespace tandem::ui {

using timeline::TrackKind;

TimelineView::TimelineView(const timeline::Project& project, const QHash<timeline::Id, MediaPreview>& previews,
                           QWidget* parent)
    : QWidget(parent), project_(project), previews_(previews) {
    setMinimumHeight(kRulerHeight + 2 * kTrackHeight + 8);
    setMouseTracking(false);
}

void TimelineView::setPlayhead(qint64 frame) {
    if (frame == playhead_) return;
    playhead_ = frame;
    update();
}

QRect TimelineView::clipRect(int trackIndex, const timeline::Clip& clip) const {
    const int x = kHeaderWidth + int(clip.position * pixelsPerFrame_);
    const int w = std::max(2, int(clip.length * pixelsPerFrame_));
    return {x, kRulerHeight + trackIndex * kTrackHeight + 2, w, kTrackHeight - 4};
}

qint64 TimelineView::frameAt(int x) const {
    return std::max<qint64>(0, qint64((x - kHeaderWidth) / pixelsPerFrame_));
}

void TimelineView::paintEvent(QPaintEvent*) {
    QPainter p(this);
    p.fillRect(rect(), QColor(0x23, 0x25, 0x29));
    const auto& seq = project_.sequence();
    const double fps = seq.time.fps.toDouble();

    // Ruler: a tick per second, labelled.
    p.fillRect(QRect(0, 0, width(), kRulerHeight), QColor(0x30, 0x33, 0x38));
    p.setPen(QColor(0xb0, 0xb4, 0xba));
    for (int s = 0;; ++s) {
        const int x = kHeaderWidth + int(s * fps * pixelsPerFrame_);
        if (x > width()) break;
        p.drawLine(x, kRulerHeight - 6, x, kRulerHeight);
        p.drawText(x + 3, kRulerHeight - 8, QStringLiteral("%1s").arg(s));
    }

    for (int i = 0; i < seq.tracks.size(); ++i) {
        const auto& track = seq.tracks[i];
        const QRect row(0, kRulerHeight + i * kTrackHeight, width(), kTrackHeight);
        p.fillRect(row.adjusted(0, 0, 0, -1), i % 2 ? QColor(0x2a, 0x2c, 0x31) : QColor(0x2d, 0x30, 0x35));
        p.setPen(QColor(0xd0, 0xd3, 0xd8));
        p.drawText(QRect(6, row.top(), kHeaderWidth - 6, row.height()), Qt::AlignVCenter, track.name);
        for (const auto& clip : track.clips) {
            const QRect r = clipRect(i, clip);
            const bool video = track.kind == TrackKind::Video;
            p.fillRect(r, video ? QColor(0x3b, 0x6e, 0xa8) : QColor(0x3f, 0x8f, 0x5a));
            const auto found = previews_.constFind(clip.assetId);
            const MediaPreview* preview = found != previews_.constEnd() ? &found.value() : nullptr;
            if (video && preview && !preview->thumbnail.isNull()) {
                const QImage thumb = preview->thumbnail.scaledToHeight(r.height() - 16, Qt::SmoothTransformation);
                for (int x = r.left(); x < r.right(); x += thumb.width() + 2)
                    p.drawImage(QPoint(x, r.top() + 14), thumb, QRect(0, 0, std::min(thumb.width(), r.right() - x), thumb.height()));
            } else if (!video && preview && !preview->peaks.isEmpty()) {
                p.setPen(QColor(0xc8, 0xf0, 0xd0));
                const int mid = r.center().y() + 6, half = (r.height() - 16) / 2;
                for (int x = r.left(); x <= r.right(); ++x) {
                    const int bin = int(double(x - r.left()) / r.width() * preview->peaks.size());
                    const int h = int(preview->peaks[std::min<int>(bin, preview->peaks.size() - 1)] * half);
                    p.drawLine(x, mid - h, x, mid + h);
                }
            }
            p.setPen(Qt::white);
            const timeline::Asset* a = project_.asset(clip.assetId);
            p.drawText(r.adjusted(4, 1, -4, 0), Qt::AlignTop | Qt::AlignLeft, a ? a->label : QString());
            const timeline::Id chosen = selectedClip();
            const timeline::Clip* picked = chosen ? project_.state().clip(chosen) : nullptr;
            const bool selected = picked && (clip.id == chosen || clip.id == picked->linkedClipId);
            p.setPen(selected ? QPen(QColor(0xff, 0xc8, 0x3c), 2) : QPen(QColor(0x10, 0x10, 0x10)));
            p.drawRect(r.adjusted(0, 0, -1, -1));
        }
    }

    if (zoneOut_ > zoneIn_) {
        const int left = kHeaderWidth + int(zoneIn_ * pixelsPerFrame_), right = kHeaderWidth + int(zoneOut_ * pixelsPerFrame_);
        p.fillRect(QRect(left, 0, std::max(1, right - left), kRulerHeight), QColor(0x4c, 0x8d, 0xd6, 150));
    }
    const int x = kHeaderWidth + int(playhead_ * pixelsPerFrame_);
    p.setPen(QPen(QColor(0xff, 0x55, 0x44), 2));
    p.drawLine(x, 0, x, height());
}

timeline::Id TimelineView::clipAt(QPoint point) const {
    const auto& tracks = project_.sequence().tracks;
    for (int i = 0; i < tracks.size(); ++i)
        for (const auto& clip : tracks[i].clips)
            if (clipRect(i, clip).contains(point)) return clip.id;
    return 0;
}

timeline::Id TimelineView::selectedClip() const { return project_.state().clip(selected_) ? selected_ : 0; }

void TimelineView::setZone(qint64 in, qint64 out) {
    zoneIn_ = in;
    zoneOut_ = out;
    update();
}

void TimelineView::select(timeline::Id clipId) {
    selected_ = clipId;
    update();
}

void TimelineView::mousePressEvent(QMouseEvent* e) {
    if (e->position().x() < kHeaderWidth) return;
    select(clipAt(e->position().toPoint()));
    Q_EMIT seekRequested(frameAt(int(e->position().x())));
}

void TimelineView::mouseMoveEvent(QMouseEvent* e) {
    if (e->buttons() & Qt::LeftButton) Q_EMIT scrubRequested(frameAt(int(e->position().x())));
}

} // namespace tandem::ui
