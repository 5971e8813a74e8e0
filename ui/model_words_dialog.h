// Design note: which prompt words the loaded model knows. A model folder's tokenizer.json lists the words
// it was trained on; this dialog shows them, and a prompt typed here gets its unknown words named at once
// (scene words only — dialogue in <S>…<E> is speech, any syllables go). Read through the torch-free model
// folder reader, so the editor never loads the engine for it.
#pragma once

#include <QDialog>

#include <memory>

class QLabel;
class QLineEdit;
class QListWidget;

namespace tandem::model {
class Tokenizer;
}

namespace tandem::ui {

class ModelWordsDialog : public QDialog {
    Q_OBJECT
public:
    // `modelDir` empty or unreadable: the dialog says so instead of listing words.
    explicit ModelWordsDialog(const QString& modelDir, QWidget* parent = nullptr);
    ~ModelWordsDialog() override;

    QLineEdit* promptEdit() const { return prompt_; }
    QLabel* verdictLabel() const { return verdict_; }
    QListWidget* wordList() const { return words_; }

private:
    void checkPrompt();

    std::unique_ptr<model::Tokenizer> tokenizer_;
    QLineEdit* prompt_ = nullptr;
    QLabel* verdict_ = nullptr;
    QListWidget* words_ = nullptr;
};

} // namespace tandem::ui
