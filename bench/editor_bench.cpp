// The editor's interactive budgets, measured on the real widgets (run under Xvfb by bench/editor.sh so every
// repaint is also flushed to an X server):
//   brush: one mouse move of a mask stroke over a 1080p picture → the canvas and the viewer under it repainted
//          (budget 8 ms at the 95th percentile);
//   timeline: a full repaint of a timeline showing 200 clips with thumbnails and waveforms (budget 16 ms).
// Prints each figure with its ratio to the budget (≤ 1 meets it).
#include "timeline/project.h"
#include "ui/mask_canvas.h"
#include "ui/media_preview.h"
#include "ui/timeline_view.h"
#include "ui/viewer.h"

#include <QApplication>
#include <QElapsedTimer>
#include <QMouseEvent>
#include <QPainter>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <vector>

using namespace tandem;

namespace {

constexpr double kBrushBudgetMs = 8;
constexpr double kTimelineBudgetMs = 16;

struct Stats {
    double p50 = 0, p95 = 0, max = 0;
};

Stats summarise(std::vector<double> ms) {
    std::sort(ms.begin(), ms.end());
    auto at = [&](double q) { return ms[std::min(ms.size() - 1, size_t(q * double(ms.size())))]; };
    return {at(0.5), at(0.95), ms.back()};
}

void report(const char* what, const Stats& s, double budget) {
    std::printf("%-44s p50 %6.2f ms  p95 %6.2f ms  max %6.2f ms  budget %4.0f ms  p95/budget %.2f\n", what, s.p50, s.p95,
                s.max, budget, s.p95 / budget);
}

// A 1080p shot of 10 s with picture and sound (its file is never opened: these views draw from previews).
timeline::Id addShot(timeline::Project& p) {
    timeline::Asset a;
    a.path = QStringLiteral("media/shot.mp4");
    a.label = QStringLiteral("shot.mp4");
    a.hasVideo = a.hasAudio = true;
    a.width = 1920;
    a.height = 1080;
    a.fps = 32;
    a.duration = 10;
    return p.requestAddAsset(a).newId;
}

void send(QWidget& w, QEvent::Type type, QPointF at, Qt::MouseButtons buttons) {
    QMouseEvent e(type, at, w.mapToGlobal(at), type == QEvent::MouseMove ? Qt::NoButton : Qt::LeftButton, buttons, Qt::NoModifier);
    QCoreApplication::sendEvent(&w, &e);
}

void brushBench() {
    timeline::Project project;
    const timeline::Id asset = addShot(project);
    project.requestInsertAsset(asset, 0);
    const timeline::Id clip = project.sequence().tracks[0].clips[0].id;

    ui::Viewer viewer;
    viewer.resize(1920 + 18, 1080 + 24); // the picture fills 1920 × 1080 exactly (meters and timecode beside it)
    QImage frame(1920, 1080, QImage::Format_RGB888);
    frame.fill(QColor(60, 90, 140));
    viewer.setImage(frame);
    ui::MaskCanvas canvas(project, &viewer);
    canvas.setGeometry(viewer.rect());
    viewer.show();
    QCoreApplication::processEvents();
    canvas.setPictureRect(viewer.pictureRect());
    canvas.setTarget(clip, 0);
    canvas.setActive(true);
    canvas.setBrushRadius(40.0 / 1080); // an 80 px brush
    QCoreApplication::processEvents();

    std::vector<double> moves, commits;
    QElapsedTimer t;
    for (int stroke = 0; stroke < 8; ++stroke) {
        const double y0 = 150 + stroke * 100;
        send(canvas, QEvent::MouseButtonPress, QPointF(100, y0), Qt::LeftButton);
        QCoreApplication::processEvents();
        for (int i = 1; i <= 120; ++i) { // a quick, wavy stroke across the frame: 14 px per move
            const QPointF at(100 + i * 14.0, y0 + 40 * std::sin(i / 8.0));
            t.start();
            send(canvas, QEvent::MouseMove, at, Qt::LeftButton);
            QCoreApplication::processEvents(); // the update request: paint the dirty rectangle, flush it
            moves.push_back(double(t.nsecsElapsed()) / 1e6);
        }
        t.start();
        send(canvas, QEvent::MouseButtonRelease, QPointF(1780, y0), Qt::NoButton);
        QCoreApplication::processEvents();
        commits.push_back(double(t.nsecsElapsed()) / 1e6);
    }
    report("brush move → repaint (1080p picture)", summarise(moves), kBrushBudgetMs);
    const Stats c = summarise(commits);
    std::printf("%-44s p50 %6.2f ms  max %6.2f ms  (stroke into the project, mask re-rasterised; no budget)\n",
                "stroke release → undo entry + overlay", c.p50, c.max);
}

void timelineBench() {
    timeline::Project project;
    const timeline::Id asset = addShot(project);
    const timeline::Id v1 = project.sequence().tracks[0].id, a1 = project.sequence().tracks[1].id;
    for (int i = 0; i < 100; ++i) { // 100 linked pairs = 200 clips of 2 s
        const auto placed = project.requestPlace(
            timeline::Placement{asset, 0, v1, a1, qint64(i) * 64, qint64(i % 4) * 16, 64, timeline::PlaceMode::Overwrite});
        if (!placed.ok) std::fprintf(stderr, "cannot place clip %d: %s\n", i, qPrintable(placed.reason));
    }
    const auto& seq = project.sequence(); // after the edits: a reference into the current state
    QHash<timeline::Id, ui::MediaPreview> previews;
    ui::MediaPreview preview;
    preview.thumbnail = QImage(160, 90, QImage::Format_RGB888);
    preview.thumbnail.fill(QColor(180, 120, 60));
    for (int i = 0; i < 2000; ++i) preview.peaks.append(float(0.5 + 0.45 * std::sin(i / 15.0)));
    previews.insert(asset, preview);

    ui::TimelineView view(project, previews);
    view.resize(1920, 240);
    view.show();
    QCoreApplication::processEvents();
    view.fit();
    std::vector<double> paints;
    QElapsedTimer t;
    for (int i = 0; i < 200; ++i) {
        view.setPlayhead(i * 30, false);
        t.start();
        view.repaint(); // synchronous: the whole widget, every visible clip
        paints.push_back(double(t.nsecsElapsed()) / 1e6);
    }
    std::printf("timeline: %lld clips on screen at %.2f px/frame\n",
                qlonglong(seq.tracks[0].clips.size() + seq.tracks[1].clips.size()), view.pixelsPerFrame());
    report("timeline full repaint (200 clips)", summarise(paints), kTimelineBudgetMs);
}

} // namespace

int main(int argc, char** argv) {
    QApplication app(argc, argv);
    std::printf("platform: %s\n", qPrintable(QGuiApplication::platformName()));
    brushBench();
    timelineBench();
    return 0;
}
