// Design note: the editor's main window. It owns the project and every view of it: the program viewer (centre)
// with the mask canvas over it, and dockable panels — bins, source viewer, timeline, generation, takes, mask
// tools, job queue — whose layout is remembered between sessions. Opening media probes it with render/ (off
// the UI thread for drops and imports, with progress), brings it into the project's bundle, adds an asset
// (timeline/) and places it. Generation goes through EngineJobs (a worker thread and the engine process);
// finished takes come back as project requests. Projects open and save as bundles; edits are autosaved.
// Data flow: user action → Project request → views repaint from the project → Playback re-mixes.
#pragma once

#include "timeline/autosave.h"
#include "timeline/project.h"
#include "ui/engine_jobs.h"
#include "ui/media_preview.h"
#include "ui/preferences.h"
#include "ui/undo_bridge.h"

#include <QFutureWatcher>
#include <QHash>
#include <QMainWindow>
#include <QTemporaryDir>

#include <functional>
#include <memory>
#include <optional>

class QDockWidget;
class QLabel;
class QMenu;
class QPushButton;
class QSettings;

namespace tandem::ui {

class BinsPanel;
class ExportDialog;
class GenerationPanel;
class JobPanel;
class MaskCanvas;
class MaskPanel;
class Playback;
class SourceViewer;
class SyncPanel;
class TakesPanel;
class TimelineView;
class Viewer;

struct MainWindowOptions {
    bool useAudioDevice = true;
    // Asked when an opened project has autosaved edits newer than its last save; true = recover them.
    // Unset: a dialog asks the user.
    std::function<bool(const QDateTime& saved, const QDateTime& autosaved)> askRecovery;
    QString modelDir;     // the generation model (its known prompt words are shown under Model)
    // Where installed models are looked for (Model menu); empty: the XDG data folders (installed_models.h).
    QStringList modelSearchDirs;
    QString settingsFile; // an INI file for preferences and layout (tests); empty: the user's settings
    std::optional<EngineSettings> engine; // overrides the engine the preferences describe (tests)
};

// One file brought into the bundle, ready to become an asset (made off the UI thread).
struct ImportedMedia {
    QString source;
    timeline::Asset asset;
    MediaPreview preview;
    QString error; // why it could not be imported; the rest is empty then
};

class MainWindow : public QMainWindow {
    Q_OBJECT
public:
    explicit MainWindow(const MainWindowOptions& options = {}, QWidget* parent = nullptr);
    ~MainWindow() override;

    // Imports a media file and appends it to the sequence. Returns false (and says why in `error`) when the
    // file cannot be read; the project is then unchanged.
    bool openMedia(const QString& path, QString* error = nullptr);
    // Imports files in the background, one after another, into `binId`; with placeAt >= 0 each is also
    // inserted on the timeline from that frame on. Progress shows under the bins.
    void importFiles(const QStringList& paths, timeline::Id binId = 0, qint64 placeAt = -1);
    bool importing() const { return importTotal_ > 0; }

    // Opens a project bundle (NAME.tandem), offering autosaved edits when there are newer ones. On failure
    // the current project stays open and `error` says why.
    bool openProject(const QString& path, QString* error = nullptr);
    // Saves to `path` (a bundle; ".tandem" is added), or where the project was opened or last saved.
    bool saveProject(const QString& path = {}, QString* error = nullptr);

    const timeline::Project& project() const { return project_; }
    timeline::Project& project() { return project_; } // edits made here reach every view, as the UI's own
    QUndoStack& undoStack() { return undo_->stack(); }
    // The folder the project's media live in (an untitled project's scratch bundle until it is saved).
    QString bundleDir() const { return bundleDir_.isEmpty() ? scratch_.path() : bundleDir_; }
    Playback& playback() { return *playback_; }
    ExportDialog* openExportDialog(); // File ▸ Export: a snapshot of the project at this moment; non-modal
    // File ▸ Export ▸ Shotcut / Kdenlive project: the sequence as MLT XML at `path`, its media beside it.
    // Returns what MLT cannot say as Tandem plays it (empty when nothing), or nullopt with `error`.
    std::optional<QStringList> exportEditorProject(const QString& path, QString* error);
    // The In/Out zone, frames [first, second); empty (second <= first) when not both marked.
    std::pair<qint64, qint64> zone() const { return {markIn_, markOut_}; }
    TimelineView& timelineView() { return *timeline_; }
    Viewer& viewer() { return *viewer_; }
    MaskCanvas& maskCanvas() { return *maskCanvas_; }
    MaskPanel& maskPanel() { return *maskPanel_; }
    BinsPanel& bins() { return *bins_; }
    SourceViewer& sourceViewer() { return *source_; }
    GenerationPanel& generationPanel() { return *generation_; }
    TakesPanel& takesPanel() { return *takes_; }
    JobPanel& jobPanel() { return *jobPanel_; }
    SyncPanel& syncPanel() { return *sync_; }
    EngineJobs& jobs() { return *jobs_; }
    // What the bins and the timeline draw for an asset (its thumbnail and waveform); none when unreadable.
    const MediaPreview* preview(timeline::Id assetId) const {
        const auto it = previews_.constFind(assetId);
        return it == previews_.constEnd() ? nullptr : &*it;
    }
    QDockWidget* dock(const QString& objectName) const;
    // Generate in the generation panel: the form's spec at the playhead, queued on the engine.
    QString submitGeneration(QString* error = nullptr);
    void stepFrames(qint64 delta); // ← → (frame), Shift+← → (one second)
    QStringList recentProjectList() const;

protected:
    void keyPressEvent(QKeyEvent*) override;
    void closeEvent(QCloseEvent*) override;

private Q_SLOTS:
    void showStatusMessage(const QString& message); // every panel's statusMessage(QString)

private:
    void buildCentre();
    void buildDocks();
    void buildMenus();
    void connectViews();
    QDockWidget* addPanel(QWidget* panel, const QString& title, const QString& name, Qt::DockWidgetArea area);
    void restoreLayout();
    void saveLayout();
    void chooseMedia();
    void chooseProject();
    void chooseSaveLocation();
    void chooseEditorProjectExport();
    void showPreferences();
    void applyEngineSettings();
    void fillRecentMenu(QMenu* menu);
    void rebuildPreviews();
    bool refreshGeneratedPreviews();
    QString waveformCache() const; // the bundle's cache/waveforms
    void startAutosave();          // for the bundle the project now lives in
    void updateTitle();
    void showModelWords();
    void fillModelMenu(QMenu* menu);
    void chooseModel(const QString& path);
    void splitAtPlayhead();           // S
    void removeSelected(bool ripple); // Delete lifts, Shift+Delete ripple-deletes
    void markIn();                    // I: the zone starts at the playhead
    void markOut();                   // O: the zone ends after the playhead's frame
    void showFrame(qint64 frame);
    void followSelection();           // the panels that act on "the clip" follow the timeline's selection
    void updateMaskTarget();
    QRect clipPictureRect(const timeline::Clip& clip) const;
    void placeFromSource(timeline::Id assetId, qint64 sourceIn, qint64 length, bool overwrite);
    void compareTakes(timeline::Id a, timeline::Id b);
    void queueDub(timeline::Id clipId); // the lip-sync panel's "regenerate the picture"
    void startNextImport();
    void finishImport(const ImportedMedia& imported);
    bool addImported(const ImportedMedia& imported, timeline::Id binId, qint64 placeAt, QString* error);
    void say(const QString& message);

    timeline::Project project_;
    QTemporaryDir scratch_; // an untitled project's media, until it is saved somewhere
    QString bundleDir_;     // where the project was opened from or saved to; empty while untitled
    std::unique_ptr<timeline::Autosaver> autosave_;
    std::function<bool(const QDateTime&, const QDateTime&)> askRecovery_;
    std::unique_ptr<QSettings> settings_;
    Preferences prefs_;
    std::optional<EngineSettings> engineOverride_;
    UndoBridge* undo_ = nullptr;
    QHash<timeline::Id, MediaPreview> previews_;
    QHash<timeline::Id, QString> previewTakes_; // generated shots: the take file each preview was built from
    Viewer* viewer_ = nullptr;
    MaskCanvas* maskCanvas_ = nullptr;
    TimelineView* timeline_ = nullptr;
    BinsPanel* bins_ = nullptr;
    SourceViewer* source_ = nullptr;
    GenerationPanel* generation_ = nullptr;
    TakesPanel* takes_ = nullptr;
    MaskPanel* maskPanel_ = nullptr;
    JobPanel* jobPanel_ = nullptr;
    SyncPanel* sync_ = nullptr;
    EngineJobs* jobs_ = nullptr;
    QList<QDockWidget*> docks_;
    QByteArray defaultLayout_;
    qint64 markIn_ = 0, markOut_ = 0; // the In/Out zone (view state, like the playhead)
    Playback* playback_ = nullptr;
    QPushButton* playButton_ = nullptr;
    QLabel* status_ = nullptr;
    QString modelDir_;
    QString builtInModelDir_;
    QStringList modelSearchDirs_;
    // Background import: the files still to do, where they go, and the one being read now.
    struct PendingImport {
        QString path;
        timeline::Id binId = 0;
        qint64 placeAt = -1;
        int projectGeneration = 0; // the project it was asked for
    };
    int projectGeneration_ = 0; // counts projects opened in this window: late work for an old one is dropped
    QList<PendingImport> importQueue_;
    std::optional<PendingImport> importing_;
    qint64 importNextFrame_ = -1;
    int importDone_ = 0, importTotal_ = 0;
    QFutureWatcher<ImportedMedia> importWatcher_;
};

} // namespace tandem::ui
