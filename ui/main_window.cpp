#include "ui/main_window.h"

#include "render/media_error.h"
#include "render/probe.h"
#include "timeline/bundle.h"
#include "timeline/paths.h"
#include "ui/export_dialog.h"
#include "ui/media_asset.h"
#include "ui/model_words_dialog.h"
#include "ui/playback.h"
#include "ui/timeline_view.h"
#include "ui/viewer.h"

#include <QDockWidget>
#include <QFileDialog>
#include <QFileInfo>
#include <QHBoxLayout>
#include <QKeyEvent>
#include <QLabel>
#include <QMenuBar>
#include <QMessageBox>
#include <QPushButton>
#include <QStatusBar>
#include <QVBoxLayout>

#include <cmath>

namespace tandem::ui {

MainWindow::MainWindow(const MainWindowOptions& options, QWidget* parent) : QMainWindow(parent) {
    resize(1280, 800);

    auto* centre = new QWidget(this);
    auto* layout = new QVBoxLayout(centre);
    viewer_ = new Viewer(centre);
    layout->addWidget(viewer_, 1);
    auto* transport = new QHBoxLayout();
    playButton_ = new QPushButton(tr("Play"), centre);
    playButton_->setObjectName(QStringLiteral("playButton"));
    transport->addStretch();
    transport->addWidget(playButton_);
    transport->addStretch();
    layout->addLayout(transport);
    setCentralWidget(centre);

    timeline_ = new TimelineView(project_, previews_, this);
    auto* dock = new QDockWidget(tr("Timeline"), this);
    dock->setObjectName(QStringLiteral("timelineDock"));
    dock->setWidget(timeline_);
    addDockWidget(Qt::BottomDockWidgetArea, dock);

    playback_ = new Playback(project_, options.useAudioDevice, this);
    playback_->setMediaResolver([this](const QString& path) { return timeline::resolveInBundle(bundleDir(), path); });
    undo_ = new UndoBridge(project_, this);
    project_.addChangeListener([this] {
        playback_->rebuild();
        timeline_->update();
    });
    connect(playButton_, &QPushButton::clicked, playback_, &Playback::togglePlay);
    connect(playback_, &Playback::stateChanged, this,
            [this](bool playing) { playButton_->setText(playing ? tr("Pause") : tr("Play")); });
    connect(playback_, &Playback::frameShown, this, [this](qint64 frame, const QImage& image) {
        viewer_->setImage(image);
        showFrame(frame);
    });
    connect(timeline_, &TimelineView::seekRequested, playback_, &Playback::seekToFrame);
    connect(timeline_, &TimelineView::scrubRequested, playback_, &Playback::scrubToFrame);

    QMenu* file = menuBar()->addMenu(tr("&File"));
    file->addAction(tr("&Open media…"), QKeySequence::Open, this, &MainWindow::chooseMedia);
    file->addAction(tr("Open &project…"), QKeySequence(tr("Ctrl+Shift+O")), this, &MainWindow::chooseProject);
    file->addAction(tr("&Save project"), QKeySequence::Save, this, [this] {
        if (bundleDir_.isEmpty()) return chooseSaveLocation();
        QString error;
        if (!saveProject({}, &error)) QMessageBox::warning(this, tr("Cannot save"), error);
    });
    file->addAction(tr("Save project &as…"), QKeySequence::SaveAs, this, &MainWindow::chooseSaveLocation);
    file->addSeparator();
    file->addAction(tr("&Export…"), QKeySequence(tr("Ctrl+E")), this, &MainWindow::openExportDialog);
    file->addSeparator();
    file->addAction(tr("&Quit"), QKeySequence::Quit, this, &QWidget::close);
    QMenu* edit = menuBar()->addMenu(tr("&Edit"));
    QAction* undo = undo_->stack().createUndoAction(this, tr("&Undo"));
    undo->setShortcut(QKeySequence::Undo);
    QAction* redo = undo_->stack().createRedoAction(this, tr("&Redo"));
    redo->setShortcut(QKeySequence::Redo);
    edit->addAction(undo);
    edit->addAction(redo);
    modelDir_ = options.modelDir;
    askRecovery_ = options.askRecovery;
    updateTitle();
    QMenu* modelMenu = menuBar()->addMenu(tr("&Model"));
    modelMenu->addAction(tr("Prompt &words the model knows…"), this, &MainWindow::showModelWords);

    status_ = new QLabel(this);
    statusBar()->addPermanentWidget(status_);
    status_->setText(tr("Audio: not started"));
    showFrame(0);
}

MainWindow::~MainWindow() = default;

ExportDialog* MainWindow::openExportDialog() {
    auto* dialog = new ExportDialog(project_.state(), project_.sequence().id, bundleDir(), zone(), this);
    dialog->setAttribute(Qt::WA_DeleteOnClose);
    dialog->show();
    return dialog;
}

void MainWindow::showModelWords() {
    auto* dialog = new ModelWordsDialog(modelDir_, this);
    dialog->setAttribute(Qt::WA_DeleteOnClose);
    dialog->show();
}

bool MainWindow::openMedia(const QString& path, QString* error) {
    render::MediaInfo info;
    try {
        info = render::probe(path.toStdString());
    } catch (const render::MediaError& e) {
        if (error) *error = QString::fromStdString(e.what());
        return false;
    }
    timeline::Asset asset;
    asset.label = QFileInfo(path).fileName();
    asset.originalName = QFileInfo(path).absoluteFilePath();
    describeMedia(info, asset);
    QString why;
    asset.path = timeline::adoptMediaFile(bundleDir(), path, &why);
    if (asset.path.isEmpty()) {
        if (error) *error = why;
        return false;
    }
    // Import and placement are one undo step: undo removes the clip and the asset together.
    const auto result = project_.requestCompound(tr("Open %1").arg(asset.label), [&] {
        const auto added = project_.requestAddAsset(asset);
        if (!added.ok) return added;
        previews_.insert(added.newId, buildPreview(timeline::resolveInBundle(bundleDir(), asset.path), waveformCache()));
        return project_.requestInsertAsset(added.newId, project_.sequence().duration());
    });
    if (!result.ok) {
        if (error) *error = result.reason;
        return false;
    }
    status_->setText(tr("Audio: %1").arg(playback_->audioStatus()));
    return true;
}

bool MainWindow::openProject(const QString& path, QString* error) {
    const QString bundle = timeline::bundlePathFor(path);
    const timeline::BundleStatus status = timeline::inspectBundle(bundle);
    if (!status.exists) {
        if (error) *error = tr("%1 is not a Tandem project (it has no project.json)").arg(bundle);
        return false;
    }
    auto source = timeline::BundleSource::Project;
    if (status.recoverable) {
        const bool recover = askRecovery_ ? askRecovery_(status.savedAt, status.autosavedAt)
                                          : QMessageBox::question(this, tr("Recover unsaved edits?"),
                                                                  tr("%1 has edits autosaved at %2 that were never saved "
                                                                     "(last saved %3). Recover them?")
                                                                      .arg(QFileInfo(bundle).fileName(),
                                                                           status.autosavedAt.toString(), status.savedAt.toString())) ==
                                                QMessageBox::Yes;
        QString why;
        if (recover) source = timeline::BundleSource::Recovery;
        else if (!timeline::discardRecovery(bundle, &why)) {
            if (error) *error = why;
            return false;
        }
    }
    QString why;
    std::optional<timeline::ProjectState> state = timeline::loadBundle(bundle, source, &why);
    if (!state && source == timeline::BundleSource::Recovery) {
        // A damaged recovery file must not lock the user out of the saved project: set it aside, open that.
        QString ignored;
        timeline::discardRecovery(bundle, &ignored);
        status_->setText(tr("The autosaved edits could not be read (%1); opened the saved project.").arg(why));
        state = timeline::loadBundle(bundle, timeline::BundleSource::Project, &why);
    }
    if (!state) {
        if (error) *error = why;
        return false;
    }
    autosave_.reset(); // the old project's autosave must not write into the new one
    bundleDir_ = bundle;
    project_.replaceState(std::move(*state));
    undo_->stack().clear();
    autosave_ = std::make_unique<timeline::Autosaver>(project_, bundleDir_);
    rebuildPreviews();
    updateTitle();
    return true;
}

bool MainWindow::saveProject(const QString& path, QString* error) {
    const QString target = path.isEmpty() ? bundleDir_ : timeline::bundlePathFor(path);
    if (target.isEmpty()) {
        if (error) *error = tr("the project has no place on disk yet; choose one with Save as");
        return false;
    }
    QString why;
    const bool moving = target != bundleDir_;
    // A new location gets the project's files first, so the saved project never names a missing file.
    if (moving && !timeline::copyBundleFiles(bundleDir(), target, &why)) {
        if (error) *error = why;
        return false;
    }
    if (!moving && autosave_) {
        if (!autosave_->save(&why)) {
            if (error) *error = why;
            return false;
        }
    } else {
        if (!timeline::saveBundle(target, project_.state(), &why)) {
            if (error) *error = why;
            return false;
        }
        autosave_.reset();
        bundleDir_ = target;
        autosave_ = std::make_unique<timeline::Autosaver>(project_, bundleDir_);
    }
    undo_->stack().setClean();
    updateTitle();
    return true;
}

QString MainWindow::waveformCache() const {
    return bundleDir() + QLatin1Char('/') + QLatin1String(timeline::kCacheDir) + QStringLiteral("/waveforms");
}

void MainWindow::rebuildPreviews() {
    previews_.clear();
    for (const auto& a : project_.state().assets)
        if (!a.path.isEmpty()) previews_.insert(a.id, buildPreview(timeline::resolveInBundle(bundleDir(), a.path), waveformCache()));
    playback_->rebuild();
    timeline_->update();
}

void MainWindow::updateTitle() {
    const QString name = bundleDir_.isEmpty() ? tr("Untitled") : QFileInfo(bundleDir_).completeBaseName();
    setWindowTitle(tr("%1 — Tandem").arg(name));
}

void MainWindow::chooseProject() {
    const QString path = QFileDialog::getExistingDirectory(this, tr("Open project (a .tandem folder)"));
    if (path.isEmpty()) return;
    QString error;
    if (!openProject(path, &error)) QMessageBox::warning(this, tr("Cannot open project"), error);
}

void MainWindow::chooseSaveLocation() {
    const QString path = QFileDialog::getSaveFileName(this, tr("Save project as"), QString(), tr("Tandem project (*.tandem)"));
    if (path.isEmpty()) return;
    QString error;
    if (!saveProject(path, &error)) QMessageBox::warning(this, tr("Cannot save"), error);
}

void MainWindow::chooseMedia() {
    const QString path = QFileDialog::getOpenFileName(this, tr("Open media"));
    if (path.isEmpty()) return;
    QString error;
    if (!openMedia(path, &error)) QMessageBox::warning(this, tr("Cannot open media"), error);
}

void MainWindow::showFrame(qint64 frame) {
    const auto& time = project_.sequence().time;
    const int fps = int(std::lround(time.fps.toDouble()));
    const qint64 total = project_.sequence().duration();
    auto tc = [&](qint64 f) {
        const qint64 s = f / fps;
        auto two = [](qint64 v) { return QStringLiteral("%1").arg(v, 2, 10, QLatin1Char('0')); };
        return QStringLiteral("%1:%2:%3:%4").arg(two(s / 3600), two(s / 60 % 60), two(s % 60), two(f % fps));
    };
    viewer_->setTimecode(QStringLiteral("%1 / %2").arg(tc(frame), tc(total)));
    timeline_->setPlayhead(frame);
}

void MainWindow::splitAtPlayhead() {
    // The selected clip if the playhead is inside it; else every clip under the playhead — one undo step.
    const qint64 at = timeline_->playhead();
    QList<timeline::Id> targets;
    const timeline::Clip* selected = project_.state().clip(timeline_->selectedClip());
    if (selected && selected->position < at && selected->end() > at) {
        targets.append(selected->id);
    } else {
        for (const auto& track : project_.sequence().tracks)
            for (const auto& clip : track.clips)
                if (clip.position < at && clip.end() > at) targets.append(clip.id);
    }
    if (targets.isEmpty()) return;
    const auto result = project_.requestCompound(tr("Split"), [&] {
        timeline::EditResult last{true, {}, 0};
        for (timeline::Id id : targets) {
            const timeline::Clip* c = project_.state().clip(id);
            if (!c || c->position >= at || c->end() <= at) continue; // split already with its partner
            last = project_.requestSplit(id, at);
            if (!last.ok) return last;
        }
        return last;
    });
    if (!result.ok) status_->setText(result.reason);
}

void MainWindow::markIn() {
    markIn_ = timeline_->playhead();
    if (markOut_ <= markIn_) markOut_ = project_.sequence().duration(); // to the end until O says otherwise
    timeline_->setZone(markIn_, markOut_);
}

void MainWindow::markOut() {
    markOut_ = timeline_->playhead() + 1; // the frame under the playhead is the last one in
    if (markIn_ >= markOut_) markIn_ = 0;
    timeline_->setZone(markIn_, markOut_);
}

void MainWindow::removeSelected(bool ripple) {
    const timeline::Id id = timeline_->selectedClip();
    if (!id) return;
    const auto result = ripple ? project_.requestRippleDelete(id) : project_.requestLift(id);
    if (!result.ok) status_->setText(result.reason);
    timeline_->select(0);
}

void MainWindow::keyPressEvent(QKeyEvent* e) {
    switch (e->key()) {
    case Qt::Key_Space: playback_->togglePlay(); return;
    case Qt::Key_L: playback_->shuttleForward(); return;
    case Qt::Key_J: playback_->shuttleBackward(); return;
    case Qt::Key_K: playback_->stop(); return;
    case Qt::Key_S: splitAtPlayhead(); return;
    case Qt::Key_I: markIn(); return;
    case Qt::Key_O: markOut(); return;
    case Qt::Key_Delete:
    case Qt::Key_Backspace: removeSelected(e->modifiers() & Qt::ShiftModifier); return;
    default: break;
    }
    QMainWindow::keyPressEvent(e);
}

} // namespace tandem::ui
