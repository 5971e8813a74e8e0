// Design note: the generation job queue as the creator sees it — one row per job (title, state, a progress
// bar with step and ETA), a failed job's reason on a red line under it, and the engine's status on top. It
// only reads EngineJobs and asks it to cancel or retry; rows are updated one at a time as jobChanged says,
// so a running job's progress never rebuilds the list (or loses the selection).
#pragma once

#include "ui/engine_jobs.h"

#include <QHash>
#include <QWidget>

class QLabel;
class QPushButton;
class QTreeWidget;
class QTreeWidgetItem;

namespace tandem::ui {

// "step 7/20 · ETA 12 s", "queued", "failed"… — what a job's progress bar says.
QString jobProgressText(const JobInfo& job);

class JobPanel : public QWidget {
    Q_OBJECT
public:
    explicit JobPanel(EngineJobs& jobs, QWidget* parent = nullptr);

    QString selectedJob() const; // "" when none
    void selectJob(const QString& id);
    void cancelSelected();
    void retrySelected();

Q_SIGNALS:
    void statusMessage(const QString& text);
    // "Change & retry…": the generation form should take up this job's spec (GenerationPanel::setSpec).
    void retryWithChangesRequested(const QString& jobId);

private:
    void updateJob(const QString& id);
    QTreeWidgetItem* addRow(const QString& id);
    void fillRow(QTreeWidgetItem* row, const JobInfo& job);
    void showError(QTreeWidgetItem* row, const QString& error);
    void updateButtons();

    EngineJobs& jobs_;
    QLabel* engineStatus_ = nullptr;
    QTreeWidget* list_ = nullptr;
    QPushButton* cancel_ = nullptr;
    QPushButton* retry_ = nullptr;
    QPushButton* change_ = nullptr;
    QHash<QString, QTreeWidgetItem*> rows_;
};

} // namespace tandem::ui
