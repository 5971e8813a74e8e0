// Design note: draws a sequence — a ruler, one row per track, clips with their thumbnail or waveform, and
// the playhead — and turns clicks into seek requests and a clip selection (a clicked clip, shown with its
// linked partner). It reads the project; it never edits it: the main window turns keys into requests.
#pragma once

#include "timeline/project.h"
#include "ui/media_preview.h"

#include <QHash>
#include <QWidget>

namespace tandem::ui {

class TimelineView : public QWidget {
    Q_OBJECT
public:
    TimelineView(const timeline::Project& project, const QHash<timeline::Id, MediaPreview>& previews,
                 QWidget* parent = nullptr);

    void setPlayhead(qint64 frame);
    qint64 playhead() const { return playhead_; }
    double pixelsPerFrame() const { return pixelsPerFrame_; }
    // Rectangle of a clip in widget coordinates (for tests and hit-testing).
    QRect clipRect(int trackIndex, const timeline::Clip& clip) const;
    QSize sizeHint() const override { return {900, 200}; }
    // The selected clip, 0 when none (or when an edit removed it).
    timeline::Id selectedClip() const;
    void select(timeline::Id clipId);
    // The In/Out zone shown on the ruler (frames [in, out)); out <= in hides it.
    void setZone(qint64 in, qint64 out);

Q_SIGNALS:
    void seekRequested(qint64 frame);
    void scrubRequested(qint64 frame); // the playhead dragged: show and sound each frame passed

protected:
    void paintEvent(QPaintEvent*) override;
    void mousePressEvent(QMouseEvent*) override;
    void mouseMoveEvent(QMouseEvent*) override;

private:
    static constexpr int kHeaderWidth = 60;
    static constexpr int kRulerHeight = 22;
    static constexpr int kTrackHeight = 64;
    const timeline::Project& project_;
    const QHash<timeline::Id, MediaPreview>& previews_;
    qint64 playhead_ = 0;
    timeline::Id selected_ = 0;
    qint64 zoneIn_ = 0, zoneOut_ = 0;
    timeline::Id clipAt(QPoint point) const;
    double pixelsPerFrame_ = 4.0;
    qint64 frameAt(int x) const;
};

} // namespace tandem::ui
