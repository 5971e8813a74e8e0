#include "ui/model_words_dialog.h"

#include "model/model_folder.h"

#include <QDialogButtonBox>
#include <QLabel>
#include <QLineEdit>
#include <QListWidget>
#include <QVBoxLayout>

namespace tandem::ui {

ModelWordsDialog::ModelWordsDialog(const QString& modelDir, QWidget* parent) : QDialog(parent) {
    setWindowTitle(tr("Prompt words the model knows"));
    auto* layout = new QVBoxLayout(this);
    auto* about = new QLabel(this);
    about->setWordWrap(true);
    layout->addWidget(about);
    words_ = new QListWidget(this);
    words_->setObjectName(QStringLiteral("knownWords"));
    layout->addWidget(words_, 1);
    prompt_ = new QLineEdit(this);
    prompt_->setObjectName(QStringLiteral("promptToCheck"));
    prompt_->setPlaceholderText(tr("Type a prompt to check it"));
    layout->addWidget(prompt_);
    verdict_ = new QLabel(this);
    verdict_->setObjectName(QStringLiteral("promptVerdict"));
    verdict_->setWordWrap(true);
    layout->addWidget(verdict_);
    auto* buttons = new QDialogButtonBox(QDialogButtonBox::Close, this);
    connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
    layout->addWidget(buttons);

    try {
        if (modelDir.isEmpty()) throw std::runtime_error("no model is installed");
        if (model::isLtxModelPath(modelDir.toStdString())) {
            about->setText(tr("LTX-2.3 reads prompts with Gemma 3, a language model: any words, in any order. There "
                              "is no word list to check against."));
            prompt_->setEnabled(false);
            return;
        }
        const model::ModelFolder folder = model::readModelFolder(modelDir.toStdString());
        tokenizer_ = std::make_unique<model::Tokenizer>(folder.tokenizer);
        const auto& c = folder.config;
        about->setText(tr("Model “%1”: %2×%3 at %4 fps, sound at %5 Hz. It was trained on these %6 words; others in "
                          "a prompt's scene description are not understood.")
                           .arg(QString::fromStdString(c.name))
                           .arg(c.video.width)
                           .arg(c.video.height)
                           .arg(c.video.fps)
                           .arg(c.audio.sample_rate)
                           .arg(tokenizer_->knownWords().size()));
        for (const auto& w : tokenizer_->knownWords()) words_->addItem(QString::fromStdString(w));
    } catch (const std::exception& e) {
        about->setText(tr("No model words to show: %1").arg(QString::fromUtf8(e.what())));
        prompt_->setEnabled(false);
    }
    connect(prompt_, &QLineEdit::textChanged, this, &ModelWordsDialog::checkPrompt);
    resize(420, 480);
}

ModelWordsDialog::~ModelWordsDialog() = default;

void ModelWordsDialog::checkPrompt() {
    if (!tokenizer_) return;
    const auto unknown = tokenizer_->unknownWords(prompt_->text().toStdString());
    if (prompt_->text().trimmed().isEmpty()) {
        verdict_->clear();
        return;
    }
    if (unknown.empty()) {
        verdict_->setText(tr("Every word of this prompt is known."));
        return;
    }
    QStringList names;
    for (const auto& w : unknown) names << QString::fromStdString(w);
    verdict_->setText(tr("Not known to the model: %1").arg(names.join(QStringLiteral(", "))));
}

} // namespace tandem::ui
