// Design note: the form where the creator says what to generate. It reads the project (assets for
// references and the image, the selected source clip) and the model's known words, and fills a
// GenerationSpec; it never edits the project and never talks to the engine. Generate emits the spec, and
// whoever owns the job queue submits it. setSpec() puts a spec back into the form, so a job can be retried
// with changes. Fields that do not apply to the chosen task are hidden, not cleared, so switching tasks
// back and forth loses nothing.
#pragma once

#include "model/config.h"
#include "timeline/project.h"
#include "ui/generation_spec.h"

#include <QList>
#include <QMetaType>
#include <QStringList>
#include <QWidget>

#include <memory>

class QCheckBox;
class QComboBox;
class QDoubleSpinBox;
class QFormLayout;
class QLabel;
class QLineEdit;
class QListWidget;
class QMimeData;
class QPlainTextEdit;
class QPushButton;
class QSlider;
class QSpinBox;
class QTimer;

namespace tandem::model {
class Tokenizer;
}

namespace tandem::ui {

class GenerationPanel : public QWidget {
    Q_OBJECT
public:
    explicit GenerationPanel(timeline::Project& project, QWidget* parent = nullptr);
    ~GenerationPanel() override;

    // Loads the model folder's tokenizer so prompt words can be checked; empty or unreadable: no checking.
    void setModelDir(const QString& dir);
    // The clip an editing task works on (the timeline's selection); 0 = none.
    void setSourceClip(timeline::Id clipId);
    timeline::Id sourceClip() const { return sourceClipId_; }

    GenerationSpec spec() const; // what the form says now (playhead left 0: the submitter sets it)
    void setSpec(const GenerationSpec& spec);
    void setTask(const QString& task); // one of kGenerationTasks; others are ignored
    void setPrompt(const QString& text);
    void addReference(timeline::Id assetId); // duplicates and unknown assets are ignored
    // Asset ids dropped from the bins (kAssetMimeType); returns whether any was added.
    bool addReferencesFromMime(const QMimeData* mime);

    // The prompt check as it stands for the current text (the label catches up after a short pause).
    QString hintText() const;
    QStringList unknownWords() const;

Q_SIGNALS:
    void generateRequested(const tandem::ui::GenerationSpec& spec);
    void statusMessage(const QString& text);

private:
    QWidget* buildForm();
    void addTaskRows(QFormLayout* form);
    void addPromptRows(QFormLayout* form);
    void addConditioningRows(QFormLayout* form); // negative prompt, references
    void addTaskFieldRows(QFormLayout* form);
    void addOutputRows(QFormLayout* form);
    void addSamplingRows(QFormLayout* form);
    void alignLabelColumns();
    // The loaded model's guidance for the chosen task, in the fields and tips. `always`: even over values the
    // creator set (a newly loaded model); otherwise only fields still at the previous suggestion follow.
    void suggestGuidance(bool always);
    void showRow(QWidget* field, bool on); // in whichever form holds it
    QLabel* rowLabel(QWidget* field) const;

    QString currentTask() const;
    void taskChanged();
    void taskActivated(); // by the user: also picks the usual placement for the task
    void updateSourceLabel();
    void updateSubmitState();
    void refreshImageChoices();
    void refreshReferences();
    void onProjectChanged();
    void insertDialogue();
    void checkPrompt(); // updates the hint label and the red underlines
    void underlineUnknownWords(const QStringList& unknown);
    void rollSeed();
    void submit();
    QString referenceText(const timeline::Asset& asset) const;

    timeline::Project& project_;
    int listener_ = 0;
    std::unique_ptr<model::Tokenizer> tokenizer_;
    timeline::Id sourceClipId_ = 0;

    QList<QFormLayout*> forms_; // top to bottom; the word-wrapped notes sit between them
    QComboBox* task_ = nullptr;
    QLabel* source_ = nullptr;
    QLabel* sourceWarning_ = nullptr;
    QComboBox* image_ = nullptr;
    QPlainTextEdit* prompt_ = nullptr;
    QLabel* hints_ = nullptr;
    QTimer* checkTimer_ = nullptr;
    QLineEdit* negative_ = nullptr;
    QListWidget* references_ = nullptr;
    QDoubleSpinBox* seconds_ = nullptr;
    QComboBox* resolution_ = nullptr;
    QComboBox* fps_ = nullptr;
    QSpinBox* seed_ = nullptr;
    QCheckBox* lockSeed_ = nullptr;
    QSpinBox* steps_ = nullptr;
    QDoubleSpinBox* videoGuidance_ = nullptr;
    QDoubleSpinBox* audioGuidance_ = nullptr;
    model::SamplerConfig sampler_;      // the loaded model's (config "sampler"); none loaded: no guidance
    model::GuidanceConfig suggested_; // what the guidance fields were last set to from sampler_
    QDoubleSpinBox* windowStart_ = nullptr;
    QDoubleSpinBox* windowEnd_ = nullptr;
    QCheckBox* regenerateVideo_ = nullptr;
    QCheckBox* regenerateAudio_ = nullptr;
    QCheckBox* backward_ = nullptr;
    QSlider* strength_ = nullptr;
    QComboBox* placement_ = nullptr;
    QPushButton* submit_ = nullptr;
};

} // namespace tandem::ui

Q_DECLARE_METATYPE(tandem::ui::GenerationSpec)
