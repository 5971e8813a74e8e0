// Design note: File ▸ Export. The dialog takes a snapshot of the project (its state is a plain value) when
// the user presses Export, builds the render job through ui/sequence_render — the same path as
// `tandem-cli export` — and renders on a worker thread, so the editor stays responsive and later edits do
// not change a running export. Progress (frame, percent, ETA) comes back to the UI thread as queued calls;
// Cancel asks the exporter to stop, which removes its temporary file, so nothing appears at the destination.
#pragma once

#include "timeline/state.h"

#include <QDialog>

#include <atomic>
#include <chrono>
#include <thread>

class QCheckBox;
class QComboBox;
class QDoubleSpinBox;
class QLabel;
class QLineEdit;
class QProgressBar;
class QPushButton;

namespace tandem::ui {

class ExportDialog : public QDialog {
    Q_OBJECT
public:
    // `bundle`: the project's folder, where its media resolve.
    // `zone`: the In/Out marks, frames [first, second); offered as the range when not empty.
    ExportDialog(timeline::ProjectState state, timeline::Id sequenceId, QString bundle,
                 std::pair<qint64, qint64> zone = {0, 0}, QWidget* parent = nullptr);
    ~ExportDialog() override; // cancels and waits for a running export

    void setOutputPath(const QString& path);
    void setPreset(const QString& name); // one of ui::exportPresets()
    void setLoudness(bool on, double lufs = -14);
    void setStemsFolder(const QString& folder); // empty: no stems
    void setRangeToZone(bool zoneOnly);         // the In/Out zone instead of the whole sequence
    void startExport();
    void cancelExport();
    bool running() const { return worker_.joinable() && !finished_; }
    QString statusText() const;

Q_SIGNALS:
    void exportFinished(bool ok, const QString& message);

private:
    void chooseOutput();
    void showProgress(qint64 done, qint64 total);
    void finish(bool ok, const QString& message);

    timeline::ProjectState state_;
    timeline::Id sequenceId_;
    QString bundle_;
    QLineEdit* output_;
    QComboBox* preset_;
    QComboBox* range_;
    std::pair<qint64, qint64> zone_;
    QCheckBox* loudnessOn_;
    QDoubleSpinBox* loudness_;
    QLineEdit* stems_;
    QProgressBar* progress_;
    QLabel* status_;
    QPushButton* exportButton_;
    QPushButton* cancelButton_;
    std::thread worker_;
    std::atomic<bool> cancel_{false};
    bool finished_ = false;
    std::chrono::steady_clock::time_point started_;
};

} // namespace tandem::ui
