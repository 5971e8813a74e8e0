// Design note: the editor's main window. It owns the project and the views of it: the viewer (centre), the
// timeline (a dock), transport controls, and the playback that connects them. Opening media probes it with
// render/, adds an asset to the project (timeline/), places it on the sequence and rebuilds playback.
// Data flow: user action → Project request → views repaint from the project → Playback re-mixes.
#pragma once

#include "timeline/project.h"
#include "ui/media_preview.h"

#include <QHash>
#include <QMainWindow>

class QLabel;
class QPushButton;

namespace tandem::ui {

class Playback;
class TimelineView;
class Viewer;

struct MainWindowOptions {
    bool useAudioDevice = true;
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

    const timeline::Project& project() const { return project_; }
    Playback& playback() { return *playback_; }
    TimelineView& timelineView() { return *timeline_; }
    Viewer& viewer() { return *viewer_; }

protected:
    void keyPressEvent(QKeyEvent*) override;

private:
    void chooseMedia();
    void showModelWords();
    void showFrame(qint64 frame);

    timeline::Project project_;
    QHash<timeline::Id, MediaPreview> previews_;
    Viewer* viewer_ = nullptr;
    TimelineView* timeline_ = nullptr;
    Playback* playback_ = nullptr;
    QPushButton* playButton_ = nullptr;
    QLabel* status_ = nullptr;
    QString modelDir_;
};

} // namespace tandem::ui
