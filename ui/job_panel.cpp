#include "ui/job_panel.h"

#include <QCoreApplication>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QProgressBar>
#include <QPushButton>
#include <QTreeWidget>
#include <QVBoxLayout>

#include <cmath>

namespace tandem::ui {

namespace {

enum Column { TitleColumn, StateColumn, ProgressColumn };

QString translated(const char* text) {
    return QCoreApplication::translate("JobPanel", text);
}

QString durationText(double seconds) {
    const auto whole = qint64(std::lround(seconds));
    if (whole < 60) return translated("%1 s").arg(whole);
    return translated("%1 min %2 s").arg(whole / 60).arg(whole % 60);
}

bool canCancel(const JobInfo& job) {
    return job.state == JobState::Queued || job.state == JobState::Running;
}
bool canRetry(const JobInfo& job) {
    return job.state == JobState::Failed || job.state == JobState::Cancelled;
}

void showProgress(QProgressBar* bar, const JobInfo& job) {
    const bool counting = job.state == JobState::Running && job.total > 0;
    bar->setRange(0, counting ? job.total : 1);
    bar->setValue(counting ? job.step : job.state == JobState::Done ? 1 : 0);
    bar->setFormat(jobProgressText(job)); // a plain text: no %p placeholders in it
}

} // namespace

QString jobProgressText(const JobInfo& job) {
    switch (job.state) {
    case JobState::Queued:
        return translated("queued");
    case JobState::Running:
        if (job.total <= 0) return translated("preparing…");
        if (job.eta > 0)
            return translated("step %1/%2 · ETA %3").arg(job.step).arg(job.total).arg(durationText(job.eta));
        return translated("step %1/%2").arg(job.step).arg(job.total);
    case JobState::Done:
        return translated("done");
    case JobState::Failed:
        return translated("failed");
    case JobState::Cancelled:
        return translated("cancelled");
    }
    return {};
}

JobPanel::JobPanel(EngineJobs& jobs, QWidget* parent) : QWidget(parent), jobs_(jobs) {
    auto* layout = new QVBoxLayout(this);
    auto* engineRow = new QHBoxLayout;
    engineRow->addWidget(new QLabel(tr("Engine:"), this));
    engineStatus_ = new QLabel(jobs_.engineStatus(), this);
    engineStatus_->setObjectName(QStringLiteral("jobEngineStatus"));
    engineStatus_->setWordWrap(true);
    engineRow->addWidget(engineStatus_, 1);
    layout->addLayout(engineRow);

    list_ = new QTreeWidget(this);
    list_->setObjectName(QStringLiteral("jobList"));
    list_->setHeaderLabels({tr("Job"), tr("State"), tr("Progress")});
    list_->setRootIsDecorated(false);
    list_->setSelectionMode(QAbstractItemView::SingleSelection);
    list_->header()->setSectionResizeMode(TitleColumn, QHeaderView::Stretch);
    list_->header()->setStretchLastSection(false);
    list_->header()->resizeSection(ProgressColumn, 180);
    connect(list_, &QTreeWidget::itemSelectionChanged, this, &JobPanel::updateButtons);
    layout->addWidget(list_, 1);

    auto* buttons = new QHBoxLayout;
    cancel_ = new QPushButton(tr("Cancel"), this);
    cancel_->setObjectName(QStringLiteral("jobCancel"));
    connect(cancel_, &QPushButton::clicked, this, &JobPanel::cancelSelected);
    retry_ = new QPushButton(tr("Retry"), this);
    retry_->setObjectName(QStringLiteral("jobRetry"));
    connect(retry_, &QPushButton::clicked, this, &JobPanel::retrySelected);
    change_ = new QPushButton(tr("Change && retry…"), this);
    change_->setObjectName(QStringLiteral("jobChangeRetry"));
    change_->setToolTip(tr("Put this job's settings back into the generation form"));
    connect(change_, &QPushButton::clicked, this, [this] {
        if (const QString id = selectedJob(); !id.isEmpty()) Q_EMIT retryWithChangesRequested(id);
    });
    buttons->addWidget(cancel_);
    buttons->addWidget(retry_);
    buttons->addWidget(change_);
    buttons->addStretch(1);
    layout->addLayout(buttons);

    connect(&jobs_, &EngineJobs::jobChanged, this, &JobPanel::updateJob);
    connect(&jobs_, &EngineJobs::engineStatusChanged, engineStatus_, &QLabel::setText);
    for (const JobInfo& job : jobs_.jobs())
        updateJob(job.id);
    updateButtons();
}

void JobPanel::updateJob(const QString& id) {
    const JobInfo* job = jobs_.job(id);
    QTreeWidgetItem* row = rows_.value(id);
    if (!job) { // forgotten by the queue
        delete row;
        rows_.remove(id);
    } else {
        fillRow(row ? row : addRow(id), *job);
    }
    updateButtons();
}

QTreeWidgetItem* JobPanel::addRow(const QString& id) {
    auto* row = new QTreeWidgetItem(list_);
    row->setData(TitleColumn, Qt::UserRole, id);
    auto* bar = new QProgressBar;
    bar->setTextVisible(true);
    list_->setItemWidget(row, ProgressColumn, bar);
    rows_.insert(id, row);
    return row;
}

void JobPanel::fillRow(QTreeWidgetItem* row, const JobInfo& job) {
    row->setText(TitleColumn, job.title);
    row->setText(StateColumn, jobStateName(job.state));
    auto* bar = qobject_cast<QProgressBar*>(list_->itemWidget(row, ProgressColumn));
    if (bar) showProgress(bar, job);
    const QString tip = job.state == JobState::Failed ? job.error : job.title;
    for (int column = 0; column < list_->columnCount(); ++column)
        row->setToolTip(column, tip);
    if (bar) bar->setToolTip(tip);
    showError(row, job.state == JobState::Failed ? job.error : QString());
}

// The reason a job failed, on a red line of its own under the job, so it is read without hovering.
void JobPanel::showError(QTreeWidgetItem* row, const QString& error) {
    QTreeWidgetItem* line = row->childCount() ? row->child(0) : nullptr;
    if (error.isEmpty()) {
        delete line;
        return;
    }
    if (!line) {
        line = new QTreeWidgetItem(row);
        line->setFlags(Qt::ItemIsEnabled); // not selectable: the job row is what buttons act on
        line->setForeground(TitleColumn, QColor(0xd0, 0x40, 0x40));
        line->setFirstColumnSpanned(true);
    }
    line->setText(TitleColumn, error);
    line->setToolTip(TitleColumn, error);
    row->setExpanded(true);
}

QString JobPanel::selectedJob() const {
    const QList<QTreeWidgetItem*> selected = list_->selectedItems();
    return selected.isEmpty() ? QString() : selected.front()->data(TitleColumn, Qt::UserRole).toString();
}

void JobPanel::selectJob(const QString& id) {
    if (QTreeWidgetItem* row = rows_.value(id)) list_->setCurrentItem(row);
}

void JobPanel::updateButtons() {
    const JobInfo* job = jobs_.job(selectedJob());
    cancel_->setEnabled(job && canCancel(*job));
    retry_->setEnabled(job && canRetry(*job));
    change_->setEnabled(job != nullptr);
}

void JobPanel::cancelSelected() {
    const QString id = selectedJob(); // a copy: the queue's list may change while it cancels
    const JobInfo* job = jobs_.job(id);
    if (job && canCancel(*job)) jobs_.cancel(id);
}

void JobPanel::retrySelected() {
    const QString id = selectedJob(); // a copy: retrying appends to the queue's list
    const JobInfo* job = jobs_.job(id);
    if (!job || !canRetry(*job)) return;
    const QString newId = jobs_.retry(id);
    if (newId.isEmpty()) {
        Q_EMIT statusMessage(tr("The job could not be retried."));
        return;
    }
    updateJob(newId); // in case the queue announces it only once it starts
    selectJob(newId);
}

} // namespace tandem::ui
