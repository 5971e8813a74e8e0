// Design note: the editor's settings that outlive a project — where the engine runs (this machine, or
// another machine's engine reached over TLS with the line it printed), which device and model it uses, how
// much decoded picture playback may keep, which audio output plays — and the recent projects list. Stored
// with QSettings (the platform's per-user place); the window layout is saved beside them by the main window.
// Engine settings apply when the engine next starts; the audio output and cache size when the editor next
// starts (the dialog says so).
#pragma once

#include <QDialog>
#include <QSettings>
#include <QStringList>

class QComboBox;
class QLabel;
class QLineEdit;
class QPushButton;
class QSpinBox;

namespace tandem::ui {

struct Preferences {
    QString engineDevice = QStringLiteral("auto"); // auto | cpu | cuda
    QString modelDir;                              // empty: the model installed with the editor
    QString engineRemote; // an engine on another machine: the line it printed; empty: this machine
    int cacheMiB = 768;                            // decoded frames kept for playback
    QString audioOutput;                           // a PortAudio host API ("ALSA", "JACK"…); empty: the default; "none": silent

    static Preferences load(QSettings& settings);
    void save(QSettings& settings) const;
};

// Most recent first, at most kMaxRecentProjects, only folders that still exist.
inline constexpr int kMaxRecentProjects = 8;
QStringList recentProjects(QSettings& settings);
void addRecentProject(QSettings& settings, const QString& bundle);

class PreferencesDialog : public QDialog {
    Q_OBJECT
public:
    explicit PreferencesDialog(const Preferences& current, QWidget* parent = nullptr);
    Preferences preferences() const;

private:
    void chooseModelDir();
    void engineWhereChanged();
    void testRemote(); // connects on a thread of its own and shows the engine's device, model, round trip

    QComboBox* where_ = nullptr;
    QLineEdit* remote_ = nullptr;
    QPushButton* test_ = nullptr;
    QLabel* remoteInfo_ = nullptr;
    QPushButton* browse_ = nullptr;
    QComboBox* device_ = nullptr;
    QLineEdit* modelDir_ = nullptr;
    QSpinBox* cache_ = nullptr;
    QComboBox* audio_ = nullptr;
};

} // namespace tandem::ui
