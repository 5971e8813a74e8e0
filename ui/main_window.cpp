#include "ui/main_window.h"

#include "model/installed_models.h"
#include "render/media_error.h"
#include "render/probe.h"
#include "render/video_decoder.h"
#include "timeline/bundle.h"
#include "timeline/mlt.h"
#include "timeline/paths.h"
#include "ui/bins_panel.h"
#include "ui/export_dialog.h"
#include "ui/generation_panel.h"
#include "ui/job_panel.h"
#include "ui/mask_canvas.h"
#include "ui/mask_panel.h"
#include "ui/media_asset.h"
#include "ui/model_words_dialog.h"
#include "ui/playback.h"
#include "ui/source_viewer.h"
#include "ui/sync_panel.h"
#include "ui/takes_panel.h"
#include "ui/timeline_view.h"
#include "ui/viewer.h"

#include <QActionGroup>
#include <QCheckBox>
#include <QCloseEvent>
#include <QDialog>
#include <QDockWidget>
#include <QFileDialog>
#include <QFileInfo>
#include <QHBoxLayout>
#include <QKeyEvent>
#include <QLabel>
#include <QMenuBar>
#include <QMessageBox>
#include <QPushButton>
#include <QScrollArea>
#include <QSettings>
#include <QStatusBar>
#include <QStyle>
#include <QVBoxLayout>
#include <QtConcurrent/QtConcurrentRun>

#include <cmath>

namespace tandem::ui {

namespace {

// How long a status message stays before the bar shows the engine again.
constexpr int kMessageMs = 6000;

// Everything an import does that may take a while — probe, copy into the bundle, thumbnail and waveform —
// without touching the project, so it can run off the UI thread.
ImportedMedia importOne(const QString& path, const QString& bundleDir, const QString& waveformCache) {
    ImportedMedia out;
    out.source = path;
    render::MediaInfo info;
    try {
        info = render::probe(path.toStdString());
    } catch (const render::MediaError& e) {
        out.error = QString::fromStdString(e.what());
        return out;
    }
    out.asset.label = QFileInfo(path).fileName();
    out.asset.originalName = QFileInfo(path).absoluteFilePath();
    describeMedia(info, out.asset);
    out.asset.path = timeline::adoptMediaFile(bundleDir, path, &out.error);
    if (out.asset.path.isEmpty()) return out;
    out.error.clear();
    try { // on a worker thread: whatever goes wrong must come back as a reason, not escape the future
        out.preview = buildPreview(timeline::resolveInBundle(bundleDir, out.asset.path), waveformCache);
    } catch (const std::exception& e) {
        out.error = QString::fromStdString(e.what());
    }
    return out;
}

} // namespace

MainWindow::MainWindow(const MainWindowOptions& options, QWidget* parent) : QMainWindow(parent) {
    resize(1440, 900);
    settings_ = options.settingsFile.isEmpty() ? std::make_unique<QSettings>()
                                               : std::make_unique<QSettings>(options.settingsFile, QSettings::IniFormat);
    prefs_ = Preferences::load(*settings_);
    engineOverride_ = options.engine;
    modelDir_ = !prefs_.modelDir.isEmpty() ? prefs_.modelDir : options.modelDir;
    builtInModelDir_ = options.modelDir;
    modelSearchDirs_ = options.modelSearchDirs;
    askRecovery_ = options.askRecovery;

    const bool silent = !options.useAudioDevice || prefs_.audioOutput == QLatin1String("none");
    playback_ = new Playback(project_, render::AudioPlayerOptions{!silent, silent ? std::string() : prefs_.audioOutput.toStdString(), false},
                             size_t(prefs_.cacheMiB) << 20, this);
    playback_->setMediaResolver([this](const QString& path) { return timeline::resolveInBundle(bundleDir(), path); });
    undo_ = new UndoBridge(project_, this);
    jobs_ = new EngineJobs(project_, [this] { return bundleDir(); }, this);
    applyEngineSettings();

    buildCentre();
    buildDocks();
    buildMenus();
    connectViews();
    defaultLayout_ = saveState();
    restoreLayout();

    status_ = new QLabel(this);
    statusBar()->addPermanentWidget(status_);
    status_->setText(tr("Engine: %1").arg(jobs_->engineStatus()));
    updateTitle();
    showFrame(0);
}

MainWindow::~MainWindow() {
    // These panels listen to the project, which is destroyed before Qt deletes child widgets: they go first.
    // The job queue goes too, so the engine is stopped while the window still exists.
    delete maskPanel_;
    delete maskCanvas_;
    delete takes_;
    delete generation_;
    delete bins_;
    delete jobPanel_;
    delete sync_;
    delete jobs_;
}

void MainWindow::buildCentre() {
    auto* centre = new QWidget(this);
    auto* layout = new QVBoxLayout(centre);
    layout->setContentsMargins(4, 4, 4, 0);
    viewer_ = new Viewer(centre);
    viewer_->setLabel(tr("Program"));
    layout->addWidget(viewer_, 1);
    maskCanvas_ = new MaskCanvas(project_, viewer_);
    maskCanvas_->setGeometry(viewer_->rect());
    auto* transport = new QHBoxLayout();
    auto button = [&](const QString& text, const QString& name, const QString& tip) {
        auto* b = new QPushButton(text, centre);
        if (text.isEmpty()) b->setIcon(style()->standardIcon(name == QLatin1String("stepBack") ? QStyle::SP_MediaSkipBackward
                                                                                                 : QStyle::SP_MediaSkipForward));
        b->setObjectName(name);
        b->setToolTip(tip);
        b->setFocusPolicy(Qt::NoFocus); // keys stay with the window's transport shortcuts
        transport->addWidget(b);
        return b;
    };
    transport->addStretch();
    connect(button(QString(), QStringLiteral("stepBack"), tr("Previous frame (←)")), &QPushButton::clicked, this,
            [this] { stepFrames(-1); });
    playButton_ = button(tr("Play"), QStringLiteral("playButton"), tr("Play / pause (Space); J K L shuttle"));
    connect(button(QString(), QStringLiteral("stepForward"), tr("Next frame (→)")), &QPushButton::clicked, this,
            [this] { stepFrames(1); });
    transport->addStretch();
    auto* safe = new QCheckBox(tr("Safe areas"), centre);
    safe->setObjectName(QStringLiteral("safeAreas"));
    safe->setFocusPolicy(Qt::NoFocus);
    connect(safe, &QCheckBox::toggled, viewer_, &Viewer::setSafeAreas);
    transport->addWidget(safe);
    layout->addLayout(transport);
    setCentralWidget(centre);
}

QDockWidget* MainWindow::addPanel(QWidget* panel, const QString& title, const QString& name, Qt::DockWidgetArea area) {
    auto* d = new QDockWidget(title, this);
    d->setObjectName(name);
    d->setWidget(panel);
    addDockWidget(area, d);
    docks_.append(d);
    return d;
}

QDockWidget* MainWindow::dock(const QString& objectName) const {
    for (QDockWidget* d : docks_)
        if (d->objectName() == objectName) return d;
    return nullptr;
}

void MainWindow::buildDocks() {
    setDockNestingEnabled(true);
    timeline_ = new TimelineView(project_, previews_, this);
    bins_ = new BinsPanel(project_, previews_, this);
    source_ = new SourceViewer(this);
    generation_ = new GenerationPanel(project_, this);
    generation_->setModelDir(modelDir_);
    takes_ = new TakesPanel(project_, this);
    maskPanel_ = new MaskPanel(*maskCanvas_, project_, this);
    jobPanel_ = new JobPanel(*jobs_, this);
    sync_ = new SyncPanel(project_, [this](const QString& path) { return timeline::resolveInBundle(bundleDir(), path); }, this);

    auto* timelineScroll = new QScrollArea(this); // more tracks than fit scroll up and down; time scrolls inside
    timelineScroll->setWidget(timeline_);
    timelineScroll->setWidgetResizable(true);
    timelineScroll->setFrameShape(QFrame::NoFrame);
    timelineScroll->setHorizontalScrollBarPolicy(Qt::ScrollBarAlwaysOff);
    addPanel(timelineScroll, tr("Timeline"), QStringLiteral("timelineDock"), Qt::BottomDockWidgetArea);
    QDockWidget* binsDock = addPanel(bins_, tr("Bins"), QStringLiteral("binsDock"), Qt::LeftDockWidgetArea);
    QDockWidget* sourceDock = addPanel(source_, tr("Source"), QStringLiteral("sourceDock"), Qt::LeftDockWidgetArea);
    tabifyDockWidget(binsDock, sourceDock);
    binsDock->raise();
    QDockWidget* genDock = addPanel(generation_, tr("Generate"), QStringLiteral("generateDock"), Qt::RightDockWidgetArea);
    QDockWidget* maskDock = addPanel(maskPanel_, tr("Mask"), QStringLiteral("maskDock"), Qt::RightDockWidgetArea);
    QDockWidget* takesDock = addPanel(takes_, tr("Takes"), QStringLiteral("takesDock"), Qt::RightDockWidgetArea);
    tabifyDockWidget(genDock, maskDock);
    tabifyDockWidget(genDock, takesDock);
    QDockWidget* syncDock = addPanel(sync_, tr("Lip-sync"), QStringLiteral("syncDock"), Qt::RightDockWidgetArea);
    tabifyDockWidget(genDock, syncDock);
    genDock->raise();
    addPanel(jobPanel_, tr("Jobs"), QStringLiteral("jobsDock"), Qt::RightDockWidgetArea);
    resizeDocks({binsDock, genDock}, {400, 360}, Qt::Horizontal);
}

void MainWindow::buildMenus() {
    QMenu* file = menuBar()->addMenu(tr("&File"));
    file->addAction(tr("&Import media…"), QKeySequence::Open, this, &MainWindow::chooseMedia);
    file->addAction(tr("Open &project…"), QKeySequence(tr("Ctrl+Shift+O")), this, &MainWindow::chooseProject);
    QMenu* recent = file->addMenu(tr("Open &recent"));
    recent->setObjectName(QStringLiteral("recentMenu"));
    connect(recent, &QMenu::aboutToShow, this, [this, recent] { fillRecentMenu(recent); });
    file->addAction(tr("&Save project"), QKeySequence::Save, this, [this] {
        if (bundleDir_.isEmpty()) return chooseSaveLocation();
        QString error;
        if (!saveProject({}, &error)) QMessageBox::warning(this, tr("Cannot save"), error);
    });
    file->addAction(tr("Save project &as…"), QKeySequence::SaveAs, this, &MainWindow::chooseSaveLocation);
    file->addSeparator();
    QMenu* exportMenu = file->addMenu(tr("&Export"));
    exportMenu->setObjectName(QStringLiteral("exportMenu"));
    exportMenu->addAction(tr("&Movie…"), QKeySequence(tr("Ctrl+E")), this, &MainWindow::openExportDialog);
    exportMenu->addAction(tr("&Shotcut / Kdenlive project (MLT)…"), this, &MainWindow::chooseEditorProjectExport);
    file->addSeparator();
    file->addAction(tr("Pre&ferences…"), QKeySequence::Preferences, this, &MainWindow::showPreferences);
    file->addAction(tr("&Quit"), QKeySequence::Quit, this, &QWidget::close);

    QMenu* edit = menuBar()->addMenu(tr("&Edit"));
    QAction* undo = undo_->stack().createUndoAction(this, tr("&Undo"));
    undo->setShortcut(QKeySequence::Undo);
    QAction* redo = undo_->stack().createRedoAction(this, tr("&Redo"));
    redo->setShortcuts({QKeySequence(tr("Ctrl+Shift+Z")), QKeySequence(tr("Ctrl+Y"))});
    edit->addAction(undo);
    edit->addAction(redo);
    edit->addSeparator();
    edit->addAction(tr("Add &marker"), this, [this] { timeline_->addMarkerAtPlayhead(); });

    QMenu* modelMenu = menuBar()->addMenu(tr("&Model"));
    modelMenu->setObjectName(QStringLiteral("modelMenu"));
    connect(modelMenu, &QMenu::aboutToShow, this, [this, modelMenu] { fillModelMenu(modelMenu); });

    QMenu* window = menuBar()->addMenu(tr("&Window"));
    for (QDockWidget* d : docks_) window->addAction(d->toggleViewAction());
    window->addSeparator();
    window->addAction(tr("&Reset layout"), this, [this] { restoreState(defaultLayout_); });
}

void MainWindow::connectViews() {
    project_.addChangeListener([this] {
        // A take that landed, was switched to or came back with an undo shows its own frames and sound.
        if (refreshGeneratedPreviews()) bins_->refreshPreviews();
        playback_->rebuild();
        timeline_->refresh();
        followSelection();
    });
    connect(playButton_, &QPushButton::clicked, playback_, &Playback::togglePlay);
    connect(playback_, &Playback::stateChanged, this, [this](bool playing) { playButton_->setText(playing ? tr("Pause") : tr("Play")); });
    connect(playback_, &Playback::frameShown, this, [this](qint64 frame, const QImage& image) {
        viewer_->setImage(image);
        const auto [left, right] = playback_->levelsAt(frame);
        viewer_->setLevels(left, right);
        showFrame(frame);
    });
    connect(viewer_, &Viewer::pictureRectChanged, this, [this] {
        maskCanvas_->setGeometry(viewer_->rect());
        updateMaskTarget();
    });
    connect(timeline_, &TimelineView::seekRequested, playback_, &Playback::seekToFrame);
    connect(timeline_, &TimelineView::scrubRequested, playback_, &Playback::scrubToFrame);
    connect(timeline_, &TimelineView::selectionChanged, this, &MainWindow::followSelection);
    connect(timeline_, &TimelineView::filesDropped, this, [this](const QStringList& paths, qint64 frame) { importFiles(paths, 0, frame); });
    connect(bins_, &BinsPanel::filesDropped, this, [this](const QStringList& paths, timeline::Id bin) { importFiles(paths, bin); });
    connect(bins_, &BinsPanel::useAsReference, generation_, &GenerationPanel::addReference);
    connect(bins_, &BinsPanel::assetActivated, this, [this](timeline::Id id) {
        const timeline::Asset* a = project_.asset(id);
        if (!a) return;
        const QString path = a->kind == timeline::AssetKind::Generated && project_.state().take(a->activeTakeId)
                                 ? project_.state().take(a->activeTakeId)->output
                                 : a->path;
        source_->setAsset(*a, timeline::resolveInBundle(bundleDir(), path), project_.sequence().time.fps.toDouble());
        dock(QStringLiteral("sourceDock"))->raise();
    });
    connect(source_, &SourceViewer::placeRequested, this, &MainWindow::placeFromSource);
    connect(generation_, &GenerationPanel::generateRequested, this, [this] {
        QString error;
        if (submitGeneration(&error).isEmpty()) QMessageBox::information(this, tr("Cannot generate yet"), error);
    });
    connect(jobs_, &EngineJobs::engineStatusChanged, this, [this](const QString& s) { status_->setText(tr("Engine: %1").arg(s)); });
    connect(jobs_, &EngineJobs::takeLanded, this, [this](const QString&, timeline::Id clip) {
        timeline_->select(clip);
        say(tr("A new take is on the timeline."));
    });
    connect(jobPanel_, &JobPanel::retryWithChangesRequested, this, [this](const QString& id) {
        if (const JobInfo* j = jobs_->job(id)) generation_->setSpec(j->spec);
        dock(QStringLiteral("generateDock"))->raise();
    });
    connect(takes_, &TakesPanel::compareRequested, this, &MainWindow::compareTakes);
    connect(sync_, &SyncPanel::dubRequested, this, &MainWindow::queueDub);
    for (QObject* source : {static_cast<QObject*>(timeline_), static_cast<QObject*>(bins_), static_cast<QObject*>(generation_),
                            static_cast<QObject*>(takes_), static_cast<QObject*>(maskPanel_), static_cast<QObject*>(maskCanvas_),
                            static_cast<QObject*>(jobPanel_), static_cast<QObject*>(jobs_), static_cast<QObject*>(sync_)})
        connect(source, SIGNAL(statusMessage(QString)), this, SLOT(showStatusMessage(QString)));
    connect(&importWatcher_, &QFutureWatcher<ImportedMedia>::finished, this, [this] { finishImport(importWatcher_.result()); });
}

void MainWindow::say(const QString& message) { statusBar()->showMessage(message, kMessageMs); }

void MainWindow::showStatusMessage(const QString& message) { say(message); }

// --- layout, preferences, recent projects

void MainWindow::restoreLayout() {
    restoreGeometry(settings_->value(QStringLiteral("window/geometry")).toByteArray());
    restoreState(settings_->value(QStringLiteral("window/state")).toByteArray());
}

void MainWindow::saveLayout() {
    settings_->setValue(QStringLiteral("window/geometry"), saveGeometry());
    settings_->setValue(QStringLiteral("window/state"), saveState());
    settings_->sync();
}

void MainWindow::closeEvent(QCloseEvent* e) {
    if (!undo_->stack().isClean() && isVisible()) {
        const auto answer = QMessageBox::question(this, tr("Save changes?"),
                                                  tr("%1 has changes that were never saved.").arg(windowTitle()),
                                                  QMessageBox::Save | QMessageBox::Discard | QMessageBox::Cancel);
        if (answer == QMessageBox::Cancel) return e->ignore();
        if (answer == QMessageBox::Save) {
            QString error;
            if (bundleDir_.isEmpty()) chooseSaveLocation();
            else if (!saveProject({}, &error)) QMessageBox::warning(this, tr("Cannot save"), error);
            if (!undo_->stack().isClean()) return e->ignore(); // not saved: stay open
        }
    }
    if (autosave_) {
        QString ignored; // edits of the last seconds reach the recovery file before the window goes
        autosave_->flush(&ignored);
    }
    saveLayout();
    QMainWindow::closeEvent(e);
}

void MainWindow::applyEngineSettings() {
    EngineSettings engine = jobs_->engine();
    engine.device = prefs_.engineDevice;
    engine.remote = prefs_.engineRemote;
    if (!prefs_.modelDir.isEmpty()) engine.modelDir = prefs_.modelDir;
    else if (!modelDir_.isEmpty()) engine.modelDir = modelDir_;
    jobs_->setEngine(engineOverride_ ? *engineOverride_ : engine);
}

void MainWindow::showPreferences() {
    PreferencesDialog dialog(prefs_, this);
    if (dialog.exec() != QDialog::Accepted) return;
    prefs_ = dialog.preferences();
    prefs_.save(*settings_);
    if (!prefs_.modelDir.isEmpty()) {
        modelDir_ = prefs_.modelDir;
        generation_->setModelDir(modelDir_);
    }
    applyEngineSettings();
}

QStringList MainWindow::recentProjectList() const { return recentProjects(*settings_); }

void MainWindow::fillRecentMenu(QMenu* menu) {
    menu->clear();
    const QStringList list = recentProjects(*settings_);
    if (list.isEmpty()) menu->addAction(tr("(none yet)"))->setEnabled(false);
    for (const QString& path : list)
        menu->addAction(QFileInfo(path).completeBaseName(), this, [this, path] {
            QString error;
            if (!openProject(path, &error)) QMessageBox::warning(this, tr("Cannot open project"), error);
        })->setToolTip(path);
}

std::optional<QStringList> MainWindow::exportEditorProject(const QString& path, QString* error) {
    const auto exported = timeline::exportMltProject(project_.state(), project_.sequence().id, bundleDir(), path, error);
    if (!exported) return std::nullopt;
    return exported->warnings;
}

void MainWindow::chooseEditorProjectExport() {
    QString path = QFileDialog::getSaveFileName(this, tr("Export for Shotcut or Kdenlive"), QString(), tr("MLT project (*.mlt)"));
    if (path.isEmpty()) return;
    if (!path.endsWith(QLatin1String(".mlt"))) path += QStringLiteral(".mlt");
    QString error;
    const auto warnings = exportEditorProject(path, &error);
    if (!warnings) {
        QMessageBox::warning(this, tr("Cannot export"), error);
        return;
    }
    const QString media = QFileInfo(path).completeBaseName() + QStringLiteral("-media");
    say(tr("Wrote %1 with its media in %2/").arg(QFileInfo(path).fileName(), media));
    if (!warnings->isEmpty())
        QMessageBox::information(this, tr("Exported, with differences"),
                                 tr("Shotcut and Kdenlive will not play everything as Tandem does:\n\n• %1").arg(warnings->join(QStringLiteral("\n• "))));
}

ExportDialog* MainWindow::openExportDialog() {
    auto* dialog = new ExportDialog(project_.state(), project_.sequence().id, bundleDir(), zone(), this);
    dialog->setAttribute(Qt::WA_DeleteOnClose);
    dialog->show();
    return dialog;
}

// The installed models (installed_models.h), the one in use checked, then the prompt words. Filled each
// time the menu opens, so a model copied into the data folder shows up without a restart.
void MainWindow::fillModelMenu(QMenu* menu) {
    menu->clear();
    std::vector<std::string> dirs;
    for (const QString& d : modelSearchDirs_) dirs.push_back(d.toStdString());
    if (modelSearchDirs_.isEmpty()) dirs = model::modelSearchDirs();
    auto* group = new QActionGroup(menu);
    const auto models = model::installedModels(dirs, builtInModelDir_.toStdString());
    for (const auto& m : models) {
        const QString path = QString::fromStdString(m.path);
        QAction* a = menu->addAction(m.ltx ? tr("%1 — LTX-2.3").arg(QString::fromStdString(m.name))
                                           : QString::fromStdString(m.name));
        a->setCheckable(true);
        a->setChecked(QFileInfo(path) == QFileInfo(modelDir_));
        a->setToolTip(path);
        a->setData(path);
        group->addAction(a);
        connect(a, &QAction::triggered, this, [this, path] { chooseModel(path); });
    }
    if (models.size() <= 1)
        menu->addAction(tr("(more models go in %1)")
                            .arg(QString::fromStdString(dirs.empty() ? std::string() : dirs.front())))
            ->setEnabled(false);
    menu->addSeparator();
    menu->addAction(tr("Prompt &words the model knows…"), this, &MainWindow::showModelWords);
}

void MainWindow::chooseModel(const QString& path) {
    prefs_.modelDir = path;
    prefs_.save(*settings_);
    modelDir_ = path;
    generation_->setModelDir(modelDir_);
    applyEngineSettings(); // the engine restarts with it once no job is running
    say(tr("Model: %1").arg(QFileInfo(path).fileName()));
}

void MainWindow::showModelWords() {
    auto* dialog = new ModelWordsDialog(modelDir_, this);
    dialog->setAttribute(Qt::WA_DeleteOnClose);
    dialog->show();
}

// --- media

bool MainWindow::addImported(const ImportedMedia& imported, timeline::Id binId, qint64 placeAt, QString* error) {
    if (!imported.error.isEmpty()) {
        if (error) *error = imported.error;
        return false;
    }
    timeline::Asset asset = imported.asset;
    asset.binId = project_.state().bin(binId) ? binId : 0;
    // Import and placement are one undo step: undo removes the clip and the asset together.
    const auto result = project_.requestCompound(tr("Import %1").arg(asset.label), [&] {
        const auto added = project_.requestAddAsset(asset);
        if (!added.ok || placeAt < 0) return added;
        previews_.insert(added.newId, imported.preview);
        return project_.requestInsertAsset(added.newId, placeAt);
    });
    if (!result.ok) {
        if (error) *error = result.reason;
        return false;
    }
    if (placeAt < 0) previews_.insert(project_.state().assets.back().id, imported.preview);
    bins_->refreshPreviews();
    return true;
}

bool MainWindow::openMedia(const QString& path, QString* error) {
    const bool ok = addImported(importOne(path, bundleDir(), waveformCache()), 0, project_.sequence().duration(), error);
    if (ok) say(tr("Audio: %1").arg(playback_->audioStatus()));
    return ok;
}

void MainWindow::importFiles(const QStringList& paths, timeline::Id binId, qint64 placeAt) {
    for (const QString& p : paths) importQueue_.append({p, binId, placeAt, projectGeneration_});
    importTotal_ += int(paths.size());
    if (!importing_) startNextImport();
}

void MainWindow::startNextImport() {
    if (importQueue_.isEmpty()) {
        importing_.reset();
        importDone_ = importTotal_ = 0;
        importNextFrame_ = -1;
        bins_->setImportProgress(0, 0, {});
        return;
    }
    importing_ = importQueue_.takeFirst();
    bins_->setImportProgress(importDone_, importTotal_, QFileInfo(importing_->path).fileName());
    importWatcher_.setFuture(QtConcurrent::run(importOne, importing_->path, bundleDir(), waveformCache()));
}

void MainWindow::finishImport(const ImportedMedia& imported) {
    if (importing_->projectGeneration != projectGeneration_) { // its project was closed meanwhile
        say(tr("%1 was not imported: its project was closed.").arg(QFileInfo(imported.source).fileName()));
        ++importDone_;
        return startNextImport();
    }
    // Files dropped together on the timeline go one after another from the drop point.
    qint64 at = importing_->placeAt;
    if (at >= 0 && importNextFrame_ >= 0) at = importNextFrame_;
    QString why;
    if (!addImported(imported, importing_->binId, at, &why)) say(tr("Cannot import %1: %2").arg(QFileInfo(imported.source).fileName(), why));
    else if (at >= 0) importNextFrame_ = at + project_.sequence().time.framesForSeconds(imported.asset.duration);
    ++importDone_;
    startNextImport();
}

void MainWindow::placeFromSource(timeline::Id assetId, qint64 sourceIn, qint64 length, bool overwrite) {
    const timeline::Asset* a = project_.asset(assetId);
    if (!a) return;
    timeline::Placement p;
    p.assetId = assetId;
    for (const auto& t : project_.sequence().tracks) {
        if (t.kind == timeline::TrackKind::Video && !p.videoTrackId && a->hasVideo) p.videoTrackId = t.id;
        if (t.kind == timeline::TrackKind::Audio && !p.audioTrackId && a->hasAudio) p.audioTrackId = t.id;
    }
    p.position = timeline_->playhead();
    p.sourceIn = sourceIn;
    p.length = length;
    p.mode = overwrite ? timeline::PlaceMode::Overwrite : timeline::PlaceMode::Insert;
    const auto r = project_.requestPlace(p);
    if (!r.ok) say(r.reason);
}

// --- projects

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
        say(tr("The autosaved edits could not be read (%1); opened the saved project.").arg(why));
        state = timeline::loadBundle(bundle, timeline::BundleSource::Project, &why);
    }
    if (!state) {
        if (error) *error = why;
        return false;
    }
    if (autosave_) {
        QString ignored; // the old project's pending edits go to its recovery file, not into the void
        autosave_->flush(&ignored);
    }
    autosave_.reset(); // the old project's autosave must not write into the new one
    jobs_->projectReplaced();
    ++projectGeneration_;
    bundleDir_ = bundle;
    project_.replaceState(std::move(*state));
    undo_->stack().clear();
    startAutosave();
    addRecentProject(*settings_, bundleDir_);
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
        startAutosave();
    }
    undo_->stack().setClean();
    addRecentProject(*settings_, bundleDir_);
    updateTitle();
    return true;
}

void MainWindow::startAutosave() {
    autosave_ = std::make_unique<timeline::Autosaver>(project_, bundleDir_);
    // A bundle that cannot be written (read-only, full) must not fail silently: the edits go to the fallback
    // file and the user is told where; a write that fails everywhere is an error on the status bar.
    autosave_->setResultListener([this](bool ok, const QString& message) {
        if (!ok) say(tr("Autosave failed: %1").arg(message));
        else if (!message.isEmpty()) say(message);
    });
}

QString MainWindow::waveformCache() const {
    return bundleDir() + QLatin1Char('/') + QLatin1String(timeline::kCacheDir) + QStringLiteral("/waveforms");
}

void MainWindow::rebuildPreviews() {
    previews_.clear();
    previewTakes_.clear();
    for (const auto& a : project_.state().assets)
        if (a.kind != timeline::AssetKind::Generated && !a.path.isEmpty())
            previews_.insert(a.id, buildPreview(timeline::resolveInBundle(bundleDir(), a.path), waveformCache()));
    refreshGeneratedPreviews();
    bins_->refreshPreviews();
    playback_->rebuild();
    timeline_->refresh();
}

// Generated shots whose preview is not of their active take get one (a take is a few seconds: decoding its
// first frame and its sound is quick). True when any changed.
bool MainWindow::refreshGeneratedPreviews() {
    bool changed = false;
    for (const auto& a : project_.state().assets) {
        if (a.kind != timeline::AssetKind::Generated) continue;
        const timeline::Take* t = project_.state().take(a.activeTakeId);
        const QString path = t ? t->output : QString();
        if (path.isEmpty() || previewTakes_.value(a.id) == path) continue;
        previews_.insert(a.id, buildPreview(timeline::resolveInBundle(bundleDir(), path), waveformCache()));
        previewTakes_.insert(a.id, path);
        changed = true;
    }
    return changed;
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
    const QStringList paths = QFileDialog::getOpenFileNames(this, tr("Import media"));
    if (!paths.isEmpty()) importFiles(paths);
}

// --- playhead, selection and the panels that follow them

void MainWindow::showFrame(qint64 frame) {
    const auto& time = project_.sequence().time;
    const int fps = std::max(1, int(std::lround(time.fps.toDouble()))); // a rate below 0.5 fps still counts
    const qint64 total = project_.sequence().duration();
    auto tc = [&](qint64 f) {
        const qint64 s = f / fps;
        auto two = [](qint64 v) { return QStringLiteral("%1").arg(v, 2, 10, QLatin1Char('0')); };
        return QStringLiteral("%1:%2:%3:%4").arg(two(s / 3600), two(s / 60 % 60), two(s % 60), two(f % fps));
    };
    viewer_->setTimecode(QStringLiteral("%1 / %2").arg(tc(frame), tc(total)));
    timeline_->setPlayhead(frame);
    updateMaskTarget();
}

void MainWindow::stepFrames(qint64 delta) {
    if (playback_->playing()) playback_->pause();
    playback_->seekToFrame(std::max<qint64>(0, timeline_->playhead() + delta));
}

void MainWindow::followSelection() {
    const timeline::Id clip = timeline_->selectedClip();
    generation_->setSourceClip(clip);
    takes_->setClip(clip);
    sync_->setClip(clip);
    updateMaskTarget();
}

// The mask is painted on the selected video clip under the playhead — else the top video clip there.
void MainWindow::updateMaskTarget() {
    const qint64 at = timeline_->playhead();
    const auto& s = project_.state();
    auto covers = [&](const timeline::Clip* c) { return c && c->position <= at && c->end() > at; };
    const timeline::Clip* target = nullptr;
    if (const timeline::Clip* picked = s.clip(timeline_->selectedClip())) {
        const timeline::Track* t = s.trackOfClip(picked->id);
        if (t && t->kind == timeline::TrackKind::Audio) picked = s.clip(picked->linkedClipId);
        if (covers(picked)) target = picked;
    }
    if (!target)
        for (const auto& track : project_.sequence().tracks)
            if (track.kind == timeline::TrackKind::Video)
                for (const auto& c : track.clips)
                    if (covers(&c)) target = &c; // later video tracks are on top
    if (!target) return maskPanel_->setTarget(0, 0);
    maskCanvas_->setPictureRect(clipPictureRect(*target));
    maskPanel_->setClipRange(target->sourceIn, target->sourceIn + target->length - 1);
    maskPanel_->setTarget(target->id, target->sourceIn + (at - target->position));
}

// Where a clip's own picture is in the viewer: the compositor fits it, centred, inside the sequence frame, and
// mask strokes are fractions of the clip's picture — not of the (possibly letterboxed) sequence frame.
QRect MainWindow::clipPictureRect(const timeline::Clip& clip) const {
    const QRect frame = viewer_->pictureRect();
    const timeline::Asset* a = project_.asset(clip.assetId);
    if (!a || a->width <= 0 || a->height <= 0) return frame;
    QRect r(QPoint(0, 0), QSize(a->width, a->height).scaled(frame.size(), Qt::KeepAspectRatio));
    r.moveCenter(frame.center());
    return r;
}

QString MainWindow::submitGeneration(QString* error) {
    GenerationSpec spec = generation_->spec();
    spec.playhead = timeline_->playhead();
    const QString id = jobs_->submit(spec, error);
    if (!id.isEmpty()) {
        jobPanel_->selectJob(id);
        say(tr("Queued %1 on the engine.").arg(jobs_->job(id)->title));
    }
    return id;
}

// A dub regenerates the clip's picture from its sound (the voice line), with the prompt in the generation
// panel describing the speaker; the take replaces the clip.
void MainWindow::queueDub(timeline::Id clipId) {
    GenerationSpec spec = generation_->spec();
    spec.task = QStringLiteral("dub");
    spec.sourceClipId = clipId;
    spec.placement = TakePlacement::ReplaceClip;
    spec.playhead = timeline_->playhead();
    QString error;
    const QString id = jobs_->submit(spec, &error);
    if (id.isEmpty()) return say(tr("Cannot dub: %1").arg(error));
    jobPanel_->selectJob(id);
    say(tr("Queued a dub of the clip: its picture will follow its sound."));
}

// Two takes of a shot side by side, at the playhead's moment of the clip (or their first frames).
void MainWindow::compareTakes(timeline::Id a, timeline::Id b) {
    const auto& s = project_.state();
    const timeline::Clip* clip = s.clip(takes_->clip());
    const double seconds = clip ? project_.sequence().time.secondsForFrames(clip->sourceIn + std::max<qint64>(0, timeline_->playhead() - clip->position)) : 0;
    auto frameOf = [&](timeline::Id takeId) -> QImage {
        const timeline::Take* t = s.take(takeId);
        if (!t) return {};
        try {
            render::VideoDecoder decoder(timeline::resolveInBundle(bundleDir(), t->output).toStdString());
            const render::Frame* f = decoder.frameAtTime(std::min(seconds, t->duration));
            return f ? QImage(f->rgb.data(), f->width, f->height, f->width * 3, QImage::Format_RGB888).copy() : QImage();
        } catch (const render::MediaError&) {
            return {};
        }
    };
    auto label = [&](timeline::Id takeId) {
        const timeline::Take* t = s.take(takeId);
        return t ? tr("%1 · seed %2 · %3").arg(t->task).arg(t->seed).arg(t->created) : QString();
    };
    auto* dialog = new QDialog(this);
    dialog->setObjectName(QStringLiteral("compareTakes"));
    dialog->setAttribute(Qt::WA_DeleteOnClose);
    dialog->setWindowTitle(tr("Compare takes"));
    auto* view = new TakeCompareView(dialog);
    view->setImages(frameOf(a), label(a), frameOf(b), label(b));
    (new QVBoxLayout(dialog))->addWidget(view);
    dialog->resize(900, 360);
    dialog->show();
}

// --- editing keys

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
    if (!result.ok) say(result.reason);
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
    if (!result.ok) say(result.reason);
    timeline_->select(0);
}

void MainWindow::keyPressEvent(QKeyEvent* e) {
    const bool shift = e->modifiers() & Qt::ShiftModifier;
    const qint64 second = std::max<qint64>(1, std::llround(project_.sequence().time.fps.toDouble()));
    switch (e->key()) {
    case Qt::Key_Space: playback_->togglePlay(); return;
    case Qt::Key_L: playback_->shuttleForward(); return;
    case Qt::Key_J: playback_->shuttleBackward(); return;
    case Qt::Key_K: playback_->stop(); return;
    case Qt::Key_S: splitAtPlayhead(); return;
    case Qt::Key_I: markIn(); return;
    case Qt::Key_O: markOut(); return;
    case Qt::Key_M: timeline_->addMarkerAtPlayhead(); return;
    case Qt::Key_Left: stepFrames(shift ? -second : -1); return;
    case Qt::Key_Right: stepFrames(shift ? second : 1); return;
    case Qt::Key_Home: playback_->seekToFrame(0); return;
    case Qt::Key_End: playback_->seekToFrame(project_.sequence().duration() - 1); return;
    case Qt::Key_Delete:
    case Qt::Key_Backspace: removeSelected(shift); return;
    default: break;
    }
    QMainWindow::keyPressEvent(e);
}

} // namespace tandem::ui
