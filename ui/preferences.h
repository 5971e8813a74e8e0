// Design note: the editor's settings that outlive a project — which device and model the engine uses, how
// much decoded picture playback may keep, which audio output plays — and the recent projects list. Stored
// with QSettings (the platform's per-user place); the window layout is saved beside them by the main window.
// Engine settings apply when the engine next starts; the audio output and cache size when the editor next
// starts (the dialog says so).
#pragma once

#include <QDialog>
#include <QSettings>
#include <QStringList>

class QComboBox;
class QLineEdit;
class QSpinBox;

namespace tandem::ui {

struct Preferences {
    QString engineDevice = QStringLiteral("auto"); // auto | cpu | cuda
    QString modelDir;                              // empty: the model installed with the editor
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

    QComboBox* device_ = nullptr;
    QLineEdit* modelDir_ = nullptr;
    QSpinBox* cache_ = nullptr;
    QComboBox* audio_ = nullptr;
};

} // namespace tandem::ui
