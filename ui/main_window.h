// Design note: the editor's main window. It owns the project and the views of it: the viewer (centre), the
// timeline (a dock), transport controls, and the playback that connects them. Opening media probes it with
// render/, brings it into the project's bundle, adds an asset (timeline/), places it on the sequence and
// rebuilds playback. Projects open and save as bundles; once saved, edits are autosaved for recovery.
// Data flow: user action → Project request → views repaint from the project → Playback re-mixes.
#pragma once

#include "timeline/autosave.h"
#include "timeline/project.h"
#include "ui/media_preview.h"
#include "ui/undo_bridge.h"

#include <QHash>
#include <QMainWindow>
#include <QTemporaryDir>

#include <functional>
#include <memory>

class QLabel;
class QPushButton;

namespace tandem::ui {

class Playback;
class ExportDialog;
class TimelineView;
class Viewer;

struct MainWindowOptions {
    bool useAudioDevice = true;
    // Asked when an opened project has autosaved edits newer than its last save; true = recover them.
    // Unset: a dialog asks the user.
    std::function<bool(const QDateTime& saved, const QDateTime& autosaved)> askRecovery;
    QString modelDir; // the generation model (its known prompt words are shown under Model)
};

class MainWindow : public QMainWindow {
    Q_OBJECT
public:
    explicit MainWindow(const MainWindowOptions& options = {}, QWidget* parent = nullptr);
    ~MainWindow() override;

    // Imports a media file and appends it to the sequence. Returns false (and says why in `error`) when the
    // file cannot be read; the project is then unchanged.
    bool openMedia(const QString& path, QString* error = nullptr);

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
    // The In/Out zone, frames [first, second); empty (second <= first) when not both marked.
    std::pair<qint64, qint64> zone() const { return {markIn_, markOut_}; }
    TimelineView& timelineView() { return *timeline_; }
    Viewer& viewer() { return *viewer_; }

protected:
    void keyPressEvent(QKeyEvent*) override;

private:
    void chooseMedia();
    void chooseProject();
    void chooseSaveLocation();
    void rebuildPreviews();
    QString waveformCache() const; // the bundle's cache/waveforms
    void updateTitle();
    void showModelWords();
    void splitAtPlayhead();             // S
    void removeSelected(bool ripple);   // Delete lifts, Shift+Delete ripple-deletes
    void markIn();                      // I: the zone starts at the playhead
    void markOut();                     // O: the zone ends after the playhead's frame
    void showFrame(qint64 frame);

    timeline::Project project_;
    QTemporaryDir scratch_; // an untitled project's media, until it is saved somewhere
    QString bundleDir_;     // where the project was opened from or saved to; empty while untitled
    std::unique_ptr<timeline::Autosaver> autosave_;
    std::function<bool(const QDateTime&, const QDateTime&)> askRecovery_;
    UndoBridge* undo_ = nullptr;
    QHash<timeline::Id, MediaPreview> previews_;
    Viewer* viewer_ = nullptr;
    TimelineView* timeline_ = nullptr;
    qint64 markIn_ = 0, markOut_ = 0; // the In/Out zone (view state, like the playhead)
    Playback* playback_ = nullptr;
    QPushButton* playButton_ = nullptr;
    QLabel* status_ = nullptr;
    QString modelDir_;
};

} // namespace tandem::ui
