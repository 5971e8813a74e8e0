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
#include <QThread>

#include "model/engine_client.h"
#include "model/remote.h"

#include <memory>

namespace tandem::ui {

namespace {
const QString kDevice = QStringLiteral("engine/device");
const QString kModelDir = QStringLiteral("engine/modelDir");
const QString kRemote = QStringLiteral("engine/remote");
const QString kCache = QStringLiteral("playback/cacheMiB");
const QString kAudio = QStringLiteral("playback/audioOutput");
const QString kRecent = QStringLiteral("recentProjects");
} // namespace

Preferences Preferences::load(QSettings& settings) {
    Preferences p;
    p.engineDevice = settings.value(kDevice, p.engineDevice).toString();
    p.modelDir = settings.value(kModelDir).toString();
    p.engineRemote = settings.value(kRemote).toString();
    p.cacheMiB = std::clamp(settings.value(kCache, p.cacheMiB).toInt(), 64, 65536);
    p.audioOutput = settings.value(kAudio).toString();
    return p;
}

void Preferences::save(QSettings& settings) const {
    settings.setValue(kDevice, engineDevice);
    settings.setValue(kModelDir, modelDir);
    settings.setValue(kRemote, engineRemote);
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

    where_ = new QComboBox(this);
    where_->setObjectName(QStringLiteral("prefEngineWhere"));
    where_->addItem(tr("This machine"));
    where_->addItem(tr("Another machine"));
    form->addRow(tr("Engine runs on"), where_);
    auto* remoteRow = new QHBoxLayout();
    remote_ = new QLineEdit(current.engineRemote, this);
    remote_->setObjectName(QStringLiteral("prefEngineRemote"));
    remote_->setPlaceholderText(tr("the line tandem-engine printed: HOST:PORT token=… sha256=…"));
    test_ = new QPushButton(tr("Test"), this);
    test_->setObjectName(QStringLiteral("prefEngineTest"));
    connect(test_, &QPushButton::clicked, this, &PreferencesDialog::testRemote);
    remoteRow->addWidget(remote_, 1);
    remoteRow->addWidget(test_);
    form->addRow(tr("Engine line"), remoteRow);
    remoteInfo_ = new QLabel(this);
    remoteInfo_->setObjectName(QStringLiteral("prefEngineInfo"));
    remoteInfo_->setWordWrap(true);
    form->addRow(QString(), remoteInfo_);

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
    browse_ = new QPushButton(tr("Choose…"), this);
    connect(browse_, &QPushButton::clicked, this, &PreferencesDialog::chooseModelDir);
    modelRow->addWidget(modelDir_, 1);
    modelRow->addWidget(browse_);
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
    where_->setCurrentIndex(current.engineRemote.isEmpty() ? 0 : 1);
    connect(where_, &QComboBox::currentIndexChanged, this, &PreferencesDialog::engineWhereChanged);
    engineWhereChanged();
    auto* buttons = new QDialogButtonBox(QDialogButtonBox::Ok | QDialogButtonBox::Cancel, this);
    connect(buttons, &QDialogButtonBox::accepted, this, &QDialog::accept);
    connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
    form->addRow(buttons);
}

Preferences PreferencesDialog::preferences() const {
    Preferences p;
    p.engineDevice = device_->currentData().toString();
    p.modelDir = modelDir_->text().trimmed();
    p.engineRemote = where_->currentIndex() == 1 ? remote_->text().simplified() : QString();
    p.cacheMiB = cache_->value();
    p.audioOutput = audio_->currentData().toString();
    return p;
}

void PreferencesDialog::chooseModelDir() {
    const QString dir = QFileDialog::getExistingDirectory(this, tr("Model folder (config.json, tokenizer.json, weights)"),
                                                          modelDir_->text());
    if (!dir.isEmpty()) modelDir_->setText(dir);
}

// The device and model rows belong to an engine on this machine; the line to one elsewhere.
void PreferencesDialog::engineWhereChanged() {
    const bool remote = where_->currentIndex() == 1;
    remote_->setEnabled(remote);
    test_->setEnabled(remote);
    remoteInfo_->setVisible(remote);
    device_->setEnabled(!remote);
    modelDir_->setEnabled(!remote);
    browse_->setEnabled(!remote);
}

void PreferencesDialog::testRemote() {
    struct Outcome {
        QString text;
    };
    auto outcome = std::make_shared<Outcome>();
    const std::string line = remote_->text().simplified().toStdString();
    test_->setEnabled(false);
    remoteInfo_->setText(tr("connecting…"));
    // Connecting may take seconds (or time out): never on the UI thread. The thread deletes itself; its
    // answer reaches this dialog only if the dialog still exists.
    QThread* thread = QThread::create([line, outcome] {
        try {
            const auto address = model::remote::parsePairingLine(line);
            const auto client = model::EngineClient::connectRemote(address, 10);
            const nlohmann::json& w = client->engineInfo();
            outcome->text = QObject::tr("%1 · %2 · %3 ms round trip")
                                .arg(QString::fromStdString(w.value("device", std::string())),
                                     QString::fromStdString(w.value("model", std::string())))
                                .arg(int(client->roundTripSeconds() * 1000));
        } catch (const std::exception& e) {
            outcome->text = QObject::tr("not usable: %1").arg(QString::fromStdString(e.what()));
        }
    });
    connect(thread, &QThread::finished, thread, &QObject::deleteLater);
    connect(thread, &QThread::finished, this, [this, outcome] {
        remoteInfo_->setText(outcome->text);
        test_->setEnabled(where_->currentIndex() == 1);
    });
    thread->start();
}

} // namespace tandem::ui
