#include "ui/export_dialog.h"

#include "render/media_error.h"
#include "ui/sequence_render.h"

#include <QCheckBox>
#include <QComboBox>
#include <QDoubleSpinBox>
#include <QFileDialog>
#include <QFileInfo>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QProgressBar>
#include <QPushButton>
#include <QVBoxLayout>

namespace tandem::ui {

ExportDialog::ExportDialog(timeline::ProjectState state, timeline::Id sequenceId, QString bundle,
                           std::pair<qint64, qint64> zone, QWidget* parent)
    : QDialog(parent), state_(std::move(state)), sequenceId_(sequenceId), bundle_(std::move(bundle)), zone_(zone) {
    setWindowTitle(tr("Export"));
    auto* form = new QFormLayout();
    output_ = new QLineEdit(this);
    output_->setObjectName(QStringLiteral("exportOutput"));
    output_->setPlaceholderText(tr("movie.mp4 (H.264) or movie.mov (ProRes 422 HQ)"));
    auto* browse = new QPushButton(tr("Browse…"), this);
    connect(browse, &QPushButton::clicked, this, &ExportDialog::chooseOutput);
    auto* outputRow = new QHBoxLayout();
    outputRow->addWidget(output_, 1);
    outputRow->addWidget(browse);
    form->addRow(tr("File"), outputRow);
    preset_ = new QComboBox(this);
    preset_->setObjectName(QStringLiteral("exportPreset"));
    for (const ExportPreset& p : exportPresets()) preset_->addItem(tr(p.label), QString::fromLatin1(p.name));
    form->addRow(tr("Size"), preset_);
    range_ = new QComboBox(this);
    range_->addItem(tr("Whole sequence"));
    if (zone_.second > zone_.first) {
        range_->addItem(tr("In to Out (frames %1–%2)").arg(zone_.first).arg(zone_.second - 1));
        range_->setCurrentIndex(1); // marks set: what the user most likely means to export
    }
    form->addRow(tr("Range"), range_);
    loudnessOn_ = new QCheckBox(tr("Normalise loudness to"), this);
    loudness_ = new QDoubleSpinBox(this);
    loudness_->setRange(-60, 0);
    loudness_->setValue(-14);
    loudness_->setSuffix(tr(" LUFS"));
    loudness_->setEnabled(false);
    connect(loudnessOn_, &QCheckBox::toggled, loudness_, &QWidget::setEnabled);
    auto* loudnessRow = new QHBoxLayout();
    loudnessRow->addWidget(loudnessOn_);
    loudnessRow->addWidget(loudness_);
    form->addRow(tr("Sound"), loudnessRow);
    stems_ = new QLineEdit(this);
    stems_->setPlaceholderText(tr("a folder for one WAV per audio track (optional)"));
    form->addRow(tr("Stems"), stems_);

    progress_ = new QProgressBar(this);
    progress_->setRange(0, 100);
    progress_->setValue(0);
    status_ = new QLabel(tr("Ready"), this);
    status_->setObjectName(QStringLiteral("exportStatus"));
    exportButton_ = new QPushButton(tr("Export"), this);
    exportButton_->setObjectName(QStringLiteral("exportButton"));
    cancelButton_ = new QPushButton(tr("Cancel"), this);
    cancelButton_->setObjectName(QStringLiteral("cancelExportButton"));
    cancelButton_->setEnabled(false);
    connect(exportButton_, &QPushButton::clicked, this, &ExportDialog::startExport);
    connect(cancelButton_, &QPushButton::clicked, this, &ExportDialog::cancelExport);
    auto* buttons = new QHBoxLayout();
    buttons->addStretch();
    buttons->addWidget(cancelButton_);
    buttons->addWidget(exportButton_);
    auto* layout = new QVBoxLayout(this);
    layout->addLayout(form);
    layout->addWidget(progress_);
    layout->addWidget(status_);
    layout->addLayout(buttons);
}

ExportDialog::~ExportDialog() {
    cancel_ = true;
    if (worker_.joinable()) worker_.join();
}

void ExportDialog::setOutputPath(const QString& path) { output_->setText(path); }
void ExportDialog::setPreset(const QString& name) { preset_->setCurrentIndex(std::max(0, preset_->findData(name))); }
void ExportDialog::setLoudness(bool on, double lufs) {
    loudnessOn_->setChecked(on);
    loudness_->setValue(lufs);
}
void ExportDialog::setStemsFolder(const QString& folder) { stems_->setText(folder); }
void ExportDialog::setRangeToZone(bool zoneOnly) { range_->setCurrentIndex(zoneOnly && range_->count() > 1 ? 1 : 0); }
QString ExportDialog::statusText() const { return status_->text(); }

void ExportDialog::chooseOutput() {
    const QString path = QFileDialog::getSaveFileName(this, tr("Export to"), output_->text(),
                                                      tr("H.264 movie (*.mp4);;ProRes 422 HQ movie (*.mov)"));
    if (!path.isEmpty()) output_->setText(path);
}

void ExportDialog::startExport() {
    if (running()) return;
    const QString out = output_->text().trimmed();
    const QString suffix = QFileInfo(out).suffix().toLower();
    if (out.isEmpty() || (suffix != QLatin1String("mp4") && suffix != QLatin1String("mov"))) {
        status_->setText(tr("Choose a file ending in .mp4 (H.264) or .mov (ProRes 422 HQ)."));
        return;
    }
    const timeline::Sequence* seq = nullptr;
    for (const auto& s : state_.sequences)
        if (s.id == sequenceId_) seq = &s;
    if (!seq || seq->duration() <= 0) {
        status_->setText(tr("The sequence is empty: nothing to export."));
        return;
    }
    render::ExportJob job;
    QStringList offline;
    try {
        job = exportJobFor(state_, *seq, bundle_, &offline);
    } catch (const render::MediaError& e) {
        status_->setText(QString::fromStdString(e.what()));
        return;
    }
    const ExportPreset& preset = exportPresets()[size_t(std::max(0, preset_->currentIndex()))];
    if (range_->currentIndex() == 1) {
        job.firstFrame = std::clamp<qint64>(zone_.first, 0, job.frames);
        job.frames = std::clamp<qint64>(zone_.second, job.firstFrame, job.frames) - job.firstFrame;
        if (job.frames <= 0) {
            status_->setText(tr("The In/Out range holds no frames of the sequence."));
            return;
        }
    }
    job.width = preset.width ? preset.width : seq->width;
    job.height = preset.height ? preset.height : seq->height;
    job.container = suffix.toStdString();
    job.h264Encoder = "auto";
    if (loudnessOn_->isChecked()) job.loudnessTarget = loudness_->value();
    const std::string stems = stems_->text().trimmed().toStdString();
    if (worker_.joinable()) worker_.join(); // a finished earlier export
    cancel_ = false;
    finished_ = false;
    started_ = std::chrono::steady_clock::now();
    exportButton_->setEnabled(false);
    cancelButton_->setEnabled(true);
    progress_->setValue(0);
    status_->setText(offline.isEmpty() ? tr("Exporting…")
                                       : tr("Exporting; offline, exported as gaps: %1").arg(offline.join(QStringLiteral(", "))));
    worker_ = std::thread([this, job = std::move(job), path = out.toStdString(), stems] {
        bool ok = false;
        QString message;
        try {
            render::ExportReport report;
            const auto files = exportWithStems(path, job, stems, &report, [this](int64_t done, int64_t total) {
                QMetaObject::invokeMethod(this, [this, done, total] { showProgress(done, total); }, Qt::QueuedConnection);
                return !cancel_.load();
            });
            ok = true;
            message = tr("Wrote %1 (%2)").arg(QString::fromStdString(path), QString::fromStdString(report.videoEncoder));
            if (report.measured)
                message += tr("; loudness %1 LUFS, gain %2 dB").arg(report.measured->integratedLufs + report.gainDb, 0, 'f', 1)
                               .arg(report.gainDb, 0, 'f', 1);
            if (!files.empty()) message += tr("; %n stem(s)", "", int(files.size()));
        } catch (const render::ExportCancelled&) {
            message = tr("Cancelled; nothing was written.");
        } catch (const std::exception& e) {
            message = QString::fromStdString(e.what());
        }
        QMetaObject::invokeMethod(this, [this, ok, message] { finish(ok, message); }, Qt::QueuedConnection);
    });
}

void ExportDialog::cancelExport() { cancel_ = true; }

void ExportDialog::showProgress(qint64 done, qint64 total) {
    if (finished_) return;
    progress_->setValue(int(100 * done / std::max<qint64>(1, total)));
    const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - started_).count();
    const double eta = done > 0 ? elapsed / double(done) * double(total - done) : 0;
    status_->setText(tr("Frame %1 of %2 — about %3 s left").arg(done).arg(total).arg(qRound(eta)));
}

void ExportDialog::finish(bool ok, const QString& message) {
    finished_ = true;
    if (ok) progress_->setValue(100);
    status_->setText(message);
    exportButton_->setEnabled(true);
    cancelButton_->setEnabled(false);
    Q_EMIT exportFinished(ok, message);
}

} // namespace tandem::ui
