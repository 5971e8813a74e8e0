#include "ui/preferences.h"

#include <QComboBox>
#include <QDialogButtonBox>
#include <QDir>
#include <QFileDialog>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QSpinBox>

namespace tandem::ui {

namespace {
const QString kDevice = QStringLiteral("engine/device");
const QString kModelDir = QStringLiteral("engine/modelDir");
const QString kCache = QStringLiteral("playback/cacheMiB");
const QString kAudio = QStringLiteral("playback/audioOutput");
const QString kRecent = QStringLiteral("recentProjects");
} // namespace

Preferences Preferences::load(QSettings& settings) {
    Preferences p;
    p.engineDevice = settings.value(kDevice, p.engineDevice).toString();
    p.modelDir = settings.value(kModelDir).toString();
    p.cacheMiB = std::clamp(settings.value(kCache, p.cacheMiB).toInt(), 64, 65536);
    p.audioOutput = settings.value(kAudio).toString();
    return p;
}

void Preferences::save(QSettings& settings) const {
    settings.setValue(kDevice, engineDevice);
    settings.setValue(kModelDir, modelDir);
    settings.setValue(kCache, cacheMiB);
    settings.setValue(kAudio, audioOutput);
}

QStringList recentProjects(QSettings& settings) {
    QStringList out;
    for (const QString& path : settings.value(kRecent).toStringList())
        if (QDir(path).exists() && !out.contains(path) && out.size() < kMaxRecentProjects) out << path;
    return out;
}

void addRecentProject(QSettings& settings, const QString& bundle) {
    QStringList list = recentProjects(settings);
    const QString path = QDir(bundle).absolutePath();
    list.removeAll(path);
    list.prepend(path);
    settings.setValue(kRecent, list.mid(0, kMaxRecentProjects));
}

PreferencesDialog::PreferencesDialog(const Preferences& current, QWidget* parent) : QDialog(parent) {
    setWindowTitle(tr("Preferences"));
    auto* form = new QFormLayout(this);

    device_ = new QComboBox(this);
    device_->setObjectName(QStringLiteral("prefDevice"));
    device_->addItem(tr("Automatic (GPU when present)"), QStringLiteral("auto"));
    device_->addItem(tr("CPU"), QStringLiteral("cpu"));
    device_->addItem(tr("CUDA GPU"), QStringLiteral("cuda"));
    device_->setCurrentIndex(std::max(0, device_->findData(current.engineDevice)));
    form->addRow(tr("Engine device"), device_);

    auto* modelRow = new QHBoxLayout();
    modelDir_ = new QLineEdit(current.modelDir, this);
    modelDir_->setObjectName(QStringLiteral("prefModelDir"));
    modelDir_->setPlaceholderText(tr("the model installed with Tandem"));
    auto* browse = new QPushButton(tr("Choose…"), this);
    connect(browse, &QPushButton::clicked, this, &PreferencesDialog::chooseModelDir);
    modelRow->addWidget(modelDir_, 1);
    modelRow->addWidget(browse);
    form->addRow(tr("Model folder"), modelRow);

    cache_ = new QSpinBox(this);
    cache_->setObjectName(QStringLiteral("prefCache"));
    cache_->setRange(64, 65536);
    cache_->setSingleStep(128);
    cache_->setSuffix(tr(" MiB"));
    cache_->setValue(current.cacheMiB);
    form->addRow(tr("Playback frame cache"), cache_);

    audio_ = new QComboBox(this);
    audio_->setObjectName(QStringLiteral("prefAudio"));
    audio_->addItem(tr("Default output"), QString());
    for (const char* api : {"ALSA", "PulseAudio", "JACK"}) audio_->addItem(QString::fromLatin1(api), QString::fromLatin1(api));
    audio_->addItem(tr("None (silent playback)"), QStringLiteral("none"));
    audio_->setCurrentIndex(std::max(0, audio_->findData(current.audioOutput)));
    form->addRow(tr("Audio output"), audio_);

    auto* note = new QLabel(tr("The engine uses a new device or model from its next start; the audio output and "
                               "cache size apply when Tandem next starts."),
                            this);
    note->setWordWrap(true);
    form->addRow(note);
    auto* buttons = new QDialogButtonBox(QDialogButtonBox::Ok | QDialogButtonBox::Cancel, this);
    connect(buttons, &QDialogButtonBox::accepted, this, &QDialog::accept);
    connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
    form->addRow(buttons);
}

Preferences PreferencesDialog::preferences() const {
    Preferences p;
    p.engineDevice = device_->currentData().toString();
    p.modelDir = modelDir_->text().trimmed();
    p.cacheMiB = cache_->value();
    p.audioOutput = audio_->currentData().toString();
    return p;
}

void PreferencesDialog::chooseModelDir() {
    const QString dir = QFileDialog::getExistingDirectory(this, tr("Model folder (config.json, tokenizer.json, weights)"),
                                                          modelDir_->text());
    if (!dir.isEmpty()) modelDir_->setText(dir);
}

} // namespace tandem::ui
