#include "app/screenshot_tour.h"

#include "ui/export_dialog.h"
#include "ui/generation_panel.h"
#include "ui/main_window.h"
#include "ui/mask_canvas.h"
#include "ui/mask_panel.h"
#include "ui/sync_panel.h"
#include "ui/playback.h"
#include "ui/timeline_view.h"
#include "ui/viewer.h"

#include <QCheckBox>
#include <QCoreApplication>
#include <QDir>
#include <QDockWidget>
#include <QElapsedTimer>
#include <QPushButton>
#include <QTemporaryDir>
#include <QThread>

#include <cstdio>

namespace tandem::app {

namespace {

// Lets the window lay out and paint (and the engine report) for a moment.
void settle(int ms) {
    QElapsedTimer t;
    t.start();
    while (t.elapsed() < ms) {
        QCoreApplication::processEvents(QEventLoop::AllEvents, 20);
        QThread::msleep(10);
    }
}

bool save(QWidget& widget, const QString& dir, const QString& name) {
    const QString file = dir + QLatin1Char('/') + name + QStringLiteral(".png");
    const bool ok = widget.grab().save(file);
    std::fprintf(ok ? stdout : stderr, ok ? "saved %s\n" : "tandem: cannot save %s\n", qPrintable(file));
    return ok;
}

void sequenceStep(ui::MainWindow& w) {
    w.timelineView().fit();
    const auto& clips = w.project().sequence().tracks.front().clips;
    if (!clips.isEmpty()) w.timelineView().select(clips.front().id);
    w.playback().seekToFrame(w.project().sequence().duration() / 3);
    w.timelineView().addMarkerAtPlayhead();
    if (auto* safe = w.findChild<QCheckBox*>(QStringLiteral("safeAreas"))) safe->setChecked(true);
}

// Two strokes over the picture: a creator marking what to repair.
void maskStep(ui::MainWindow& w) {
    w.dock(QStringLiteral("maskDock"))->raise();
    if (auto* toggle = w.maskPanel().findChild<QPushButton*>(QStringLiteral("maskPaintToggle")); toggle && !toggle->isChecked())
        toggle->click();
    settle(200);
    const QRect pic = w.viewer().pictureRect();
    auto at = [&](double x, double y) { return QPointF(pic.left() + pic.width() * x, pic.top() + pic.height() * y); };
    w.maskCanvas().setBrushRadius(0.06);
    w.maskCanvas().paintStrokeForTest({at(0.30, 0.35), at(0.42, 0.30), at(0.55, 0.34), at(0.62, 0.45)});
    w.maskCanvas().paintStrokeForTest({at(0.32, 0.48), at(0.45, 0.52), at(0.60, 0.55)});
}

// An inpaint of the masked clip, caught while the engine works on it.
bool generationStep(ui::MainWindow& w, const QString& dir) {
    w.dock(QStringLiteral("generateDock"))->raise();
    ui::GenerationSpec spec;
    spec.task = QStringLiteral("inpaint");
    spec.prompt = QStringLiteral("a red circle with a glowing halo bounces; a face says <S>bama tilo<E>");
    spec.sourceClipId = w.maskCanvas().clipId();
    spec.steps = 60;
    spec.placement = ui::TakePlacement::ReplaceClip;
    w.generationPanel().setSpec(spec);
    w.generationPanel().setSourceClip(spec.sourceClipId);
    QString error;
    const QString id = w.submitGeneration(&error);
    if (id.isEmpty()) {
        std::fprintf(stderr, "tandem: the tour's generation was refused: %s\n", qPrintable(error));
        return false;
    }
    QElapsedTimer t;
    t.start();
    while (t.elapsed() < 120000 && w.jobs().job(id)->step < 3 && !w.jobs().job(id)->finished()) settle(100);
    const bool ok = save(w, dir, QStringLiteral("generation"));
    w.jobs().cancel(id);
    return ok;
}

// The talking shot's lip-sync measured: filmstrip of mouths, waveform, the two curves, offset and drift.
bool syncStep(ui::MainWindow& w, const QString& dir) {
    const auto& clips = w.project().sequence().tracks.front().clips;
    if (clips.isEmpty()) return false;
    w.timelineView().select(clips.front().id);
    w.dock(QStringLiteral("syncDock"))->raise();
    w.syncPanel().analyse();
    QElapsedTimer t;
    t.start();
    while (t.elapsed() < 60000 && w.syncPanel().busy()) settle(100);
    settle(300);
    return save(w, dir, QStringLiteral("lip-sync"));
}

bool exportStep(ui::MainWindow& w, const QString& dir) {
    QTemporaryDir out;
    ui::ExportDialog* dialog = w.openExportDialog();
    dialog->setOutputPath(out.filePath(QStringLiteral("short.mp4")));
    dialog->startExport();
    settle(700);
    const bool ok = save(*dialog, dir, QStringLiteral("export-dialog"));
    dialog->cancelExport();
    settle(200);
    dialog->close();
    return ok;
}

} // namespace

int runScreenshotTour(ui::MainWindow& w, const QString& dir) {
    QDir().mkpath(dir);
    bool ok = true;
    sequenceStep(w);
    settle(800);
    ok &= save(w, dir, QStringLiteral("main-window"));
    maskStep(w);
    settle(300);
    ok &= save(w, dir, QStringLiteral("mask-painting"));
    ok &= generationStep(w, dir);
    ok &= syncStep(w, dir);
    ok &= exportStep(w, dir);
    return ok ? 0 : 1;
}

} // namespace tandem::app
