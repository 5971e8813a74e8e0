#include "ui/generation_panel.h"

#include "model/installed_models.h"
#include "model/model_folder.h"
#include "ui/bins_panel.h"

#include <QCheckBox>
#include <QComboBox>
#include <QCoreApplication>
#include <QDoubleSpinBox>
#include <QDragEnterEvent>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QHash>
#include <QLabel>
#include <QLineEdit>
#include <QListWidget>
#include <QMimeData>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QStandardItemModel>
#include <QRandomGenerator>
#include <QScrollArea>
#include <QSize>
#include <QSlider>
#include <QSpinBox>
#include <QTextCharFormat>
#include <QTextCursor>
#include <QTimer>
#include <QToolButton>
#include <QVBoxLayout>

#include <algorithm>
#include <climits>
#include <cmath>
#include <functional>

namespace tandem::ui {

using timeline::Id;

namespace {

// A list that takes assets dragged from the bins; everything else is refused at the door.
class ReferenceList : public QListWidget {
public:
    ReferenceList(std::function<bool(const QMimeData*)> onDrop, QWidget* parent)
        : QListWidget(parent), onDrop_(std::move(onDrop)) {
        setAcceptDrops(true);
        viewport()->setAcceptDrops(true);
        setDragDropMode(QAbstractItemView::DropOnly);
    }

protected:
    void dragEnterEvent(QDragEnterEvent* event) override { acceptAssets(event); }
    void dragMoveEvent(QDragMoveEvent* event) override { acceptAssets(event); }
    void dropEvent(QDropEvent* event) override {
        if (onDrop_(event->mimeData()))
            event->acceptProposedAction();
        else
            event->ignore();
    }

private:
    void acceptAssets(QDragMoveEvent* event) {
        if (event->mimeData()->hasFormat(QString::fromLatin1(kAssetMimeType)))
            event->acceptProposedAction();
        else
            event->ignore();
    }
    std::function<bool(const QMimeData*)> onDrop_;
};

QString taskTitle(const QString& task) {
    static const QHash<QString, const char*> titles = {
        {QStringLiteral("generate"), QT_TRANSLATE_NOOP("GenerationPanel", "Generate (text → shot)")},
        {QStringLiteral("image"), QT_TRANSLATE_NOOP("GenerationPanel", "Image → shot")},
        {QStringLiteral("inpaint"), QT_TRANSLATE_NOOP("GenerationPanel", "Inpaint (painted mask)")},
        {QStringLiteral("retake"), QT_TRANSLATE_NOOP("GenerationPanel", "Retake window")},
        {QStringLiteral("extend"), QT_TRANSLATE_NOOP("GenerationPanel", "Extend")},
        {QStringLiteral("restyle"), QT_TRANSLATE_NOOP("GenerationPanel", "Restyle")},
        {QStringLiteral("foley"), QT_TRANSLATE_NOOP("GenerationPanel", "Foley (sound for picture)")},
        {QStringLiteral("dub"), QT_TRANSLATE_NOOP("GenerationPanel", "Dub (face for a voice line)")},
    };
    const char* title = titles.value(task, nullptr);
    return title ? QCoreApplication::translate("GenerationPanel", title) : task;
}

// Selects the item holding `data`, adding one labelled `label` when the list has none (a size or rate a
// retried job asked for that the presets lack).
void selectData(QComboBox* combo, const QVariant& data, const QString& label) {
    int index = combo->findData(data);
    if (index < 0) {
        combo->addItem(label, data);
        index = combo->count() - 1;
    }
    combo->setCurrentIndex(index);
}

QDoubleSpinBox* doubleSpin(double min, double max, double step, double value, const QString& suffix = {}) {
    auto* spin = new QDoubleSpinBox;
    spin->setRange(min, max);
    spin->setSingleStep(step);
    spin->setDecimals(2);
    spin->setValue(value);
    spin->setSuffix(suffix);
    return spin;
}

// A combo that lets a narrow dock squeeze it: its width does not follow its longest item.
QComboBox* narrowCombo(const char* objectName) {
    auto* combo = new QComboBox;
    combo->setObjectName(QLatin1String(objectName));
    combo->setSizeAdjustPolicy(QComboBox::AdjustToMinimumContentsLengthWithIcon);
    combo->setMinimumContentsLength(8);
    return combo;
}

// A scene word as the tokenizer sees it: an ASCII letter run outside <S>…<E>, at [start, start + length).
struct WordSpan {
    int start = 0, length = 0;
    QString word; // lower-cased
};

bool isAsciiLetter(QChar c) {
    return c.unicode() < 128 && c.isLetter();
}

// Mirrors model::Tokenizer::unknownWords' split, but keeps positions so the words can be underlined.
QList<WordSpan> sceneWords(const QString& text) {
    QList<WordSpan> spans;
    bool speech = false;
    int start = -1;
    auto flush = [&](int end) {
        if (start >= 0 && !speech) spans.append({start, end - start, text.mid(start, end - start).toLower()});
        start = -1;
    };
    const int size = int(text.size());
    for (int i = 0; i < size; ++i) {
        const QStringView rest = QStringView(text).mid(i);
        if (rest.startsWith(u"<S>") || rest.startsWith(u"<E>")) {
            flush(i);
            speech = rest[1] == u'S';
            i += 2;
        } else if (isAsciiLetter(text[i])) {
            if (start < 0) start = i;
        } else {
            flush(i);
        }
    }
    flush(size);
    return spans;
}

QString capitalised(QString text) {
    if (!text.isEmpty()) text[0] = text[0].toUpper();
    return text;
}

} // namespace

GenerationPanel::GenerationPanel(timeline::Project& project, QWidget* parent)
    : QWidget(parent), project_(project) {
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    auto* scroll = new QScrollArea(this);
    scroll->setWidgetResizable(true);
    scroll->setFrameShape(QFrame::NoFrame);
    scroll->setWidget(buildForm());
    layout->addWidget(scroll, 1);

    // Outside the scroll area, so Generate is always in reach however long the form is.
    submit_ = new QPushButton(tr("Generate"), this);
    submit_->setObjectName(QStringLiteral("genSubmit"));
    submit_->setDefault(true);
    connect(submit_, &QPushButton::clicked, this, &GenerationPanel::submit);
    layout->addWidget(submit_);

    listener_ = project_.addChangeListener([this] { onProjectChanged(); });
    refreshImageChoices();
    taskChanged();
    checkPrompt();
}

GenerationPanel::~GenerationPanel() {
    project_.removeChangeListener(listener_);
}

// Forms with the word-wrapped notes between them, not inside: a QFormLayout holding height-for-width rows
// keeps stale row heights when setRowVisible shows a row again (Qt 6.4), and re-shown rows collapsed.
QWidget* GenerationPanel::buildForm() {
    auto* body = new QWidget;
    auto* column = new QVBoxLayout(body);
    auto addForm = [&](auto fill) {
        auto* form = new QFormLayout;
        (this->*fill)(form);
        column->addLayout(form);
        forms_ << form;
    };
    auto addNote = [&](const char* objectName) {
        auto* note = new QLabel;
        note->setObjectName(QLatin1String(objectName));
        note->setWordWrap(true);
        column->addWidget(note);
        return note;
    };
    addForm(&GenerationPanel::addTaskRows);
    sourceWarning_ = addNote("genSourceWarning");
    sourceWarning_->setStyleSheet(QStringLiteral("color: #d04040;"));
    addForm(&GenerationPanel::addPromptRows);
    hints_ = addNote("genHints");
    addForm(&GenerationPanel::addConditioningRows);
    addForm(&GenerationPanel::addTaskFieldRows);
    addForm(&GenerationPanel::addOutputRows);
    addForm(&GenerationPanel::addSamplingRows);
    column->addStretch(1);
    alignLabelColumns();
    return body;
}

// The forms' fields start at one x, as if they were one form.
void GenerationPanel::alignLabelColumns() {
    int widest = 0;
    QList<QWidget*> labels;
    for (QFormLayout* form : forms_)
        for (int row = 0; row < form->rowCount(); ++row)
            if (QLayoutItem* item = form->itemAt(row, QFormLayout::LabelRole); item && item->widget()) {
                labels << item->widget();
                widest = std::max(widest, item->widget()->sizeHint().width());
            }
    for (QWidget* label : labels)
        label->setMinimumWidth(widest);
}

void GenerationPanel::showRow(QWidget* field, bool on) {
    for (QFormLayout* form : forms_) {
        int row = -1;
        QFormLayout::ItemRole role;
        form->getWidgetPosition(field, &row, &role);
        if (row >= 0) form->setRowVisible(row, on);
    }
}

QLabel* GenerationPanel::rowLabel(QWidget* field) const {
    for (QFormLayout* form : forms_)
        if (auto* label = qobject_cast<QLabel*>(form->labelForField(field))) return label;
    return nullptr;
}

void GenerationPanel::addTaskRows(QFormLayout* form) {
    task_ = narrowCombo("genTask");
    for (const QString& task : kGenerationTasks)
        task_->addItem(taskTitle(task), task);
    connect(task_, &QComboBox::currentIndexChanged, this, &GenerationPanel::taskChanged);
    connect(task_, &QComboBox::activated, this, &GenerationPanel::taskActivated);
    form->addRow(tr("Task"), task_);

    source_ = new QLabel;
    source_->setObjectName(QStringLiteral("genSource"));
    // No wrapping (see buildForm); a long label is cut rather than widening the dock, and said in full on
    // hover.
    source_->setSizePolicy(QSizePolicy::Ignored, QSizePolicy::Preferred);
    form->addRow(tr("Source clip"), source_);

    image_ = narrowCombo("genImage");
    image_->setToolTip(tr("The still or clip whose first frame starts the shot"));
    form->addRow(tr("Image"), image_);
}

void GenerationPanel::addPromptRows(QFormLayout* form) {
    prompt_ = new QPlainTextEdit;
    prompt_->setObjectName(QStringLiteral("genPrompt"));
    prompt_->setPlaceholderText(tr("Describe the shot; spoken lines go in <S>…<E>"));
    prompt_->setMinimumHeight(80);
    prompt_->setMaximumHeight(160); // the rest of a tall dock goes to the other fields, not blank prompt
    form->addRow(tr("Prompt"), prompt_);

    auto* dialogue = new QPushButton(tr("Add dialogue"));
    dialogue->setObjectName(QStringLiteral("genAddDialogue"));
    dialogue->setToolTip(tr("Inserts <S>…<E>: words inside are spoken, not scenery"));
    connect(dialogue, &QPushButton::clicked, this, &GenerationPanel::insertDialogue);
    auto* buttons = new QWidget;
    auto* row = new QHBoxLayout(buttons);
    row->setContentsMargins(0, 0, 0, 0);
    row->addWidget(dialogue);
    row->addStretch(1);
    form->addRow(QString(), buttons);

    // Checking on every key would re-underline mid-word; a short pause reads as "done typing".
    checkTimer_ = new QTimer(this);
    checkTimer_->setSingleShot(true);
    checkTimer_->setInterval(150);
    connect(checkTimer_, &QTimer::timeout, this, &GenerationPanel::checkPrompt);
    connect(prompt_, &QPlainTextEdit::textChanged, checkTimer_, qOverload<>(&QTimer::start));
}

void GenerationPanel::addConditioningRows(QFormLayout* form) {
    negative_ = new QLineEdit;
    negative_->setObjectName(QStringLiteral("genNegative"));
    negative_->setPlaceholderText(tr("What the shot should not show"));
    form->addRow(tr("Avoid"), negative_);

    references_ =
        new ReferenceList([this](const QMimeData* mime) { return addReferencesFromMime(mime); }, nullptr);
    references_->setObjectName(QStringLiteral("genReferences"));
    references_->setSelectionMode(QAbstractItemView::ExtendedSelection);
    references_->setToolTip(tr("Drag assets here from the bins; their role says what they condition"));
    references_->setMaximumHeight(100);
    form->addRow(tr("References"), references_);

    auto* remove = new QPushButton(tr("Remove"));
    remove->setObjectName(QStringLiteral("genReferenceRemove"));
    connect(remove, &QPushButton::clicked, this, [this] { qDeleteAll(references_->selectedItems()); });
    form->addRow(QString(), remove);
}

void GenerationPanel::addTaskFieldRows(QFormLayout* form) {
    windowStart_ = doubleSpin(0, 3600, 0.1, 0, tr(" s"));
    windowStart_->setObjectName(QStringLiteral("genWindowStart"));
    form->addRow(tr("Window start"), windowStart_);
    windowEnd_ = doubleSpin(0, 3600, 0.1, 0, tr(" s"));
    windowEnd_->setObjectName(QStringLiteral("genWindowEnd"));
    form->addRow(tr("Window end"), windowEnd_);

    regenerateVideo_ = new QCheckBox(tr("Picture"));
    regenerateVideo_->setObjectName(QStringLiteral("genRegenerateVideo"));
    regenerateVideo_->setChecked(true);
    form->addRow(tr("Regenerate"), regenerateVideo_);
    regenerateAudio_ = new QCheckBox(tr("Sound"));
    regenerateAudio_->setObjectName(QStringLiteral("genRegenerateAudio"));
    regenerateAudio_->setChecked(true);
    form->addRow(QString(), regenerateAudio_);

    backward_ = new QCheckBox(tr("Before the clip"));
    backward_->setObjectName(QStringLiteral("genBackward"));
    form->addRow(tr("Direction"), backward_);

    strength_ = new QSlider(Qt::Horizontal);
    strength_->setObjectName(QStringLiteral("genStrength"));
    strength_->setRange(0, 100);
    strength_->setToolTip(tr("How far the restyle may move from the source: low keeps more of it"));
    form->addRow(tr("Strength"), strength_);
    auto* label = qobject_cast<QLabel*>(form->labelForField(strength_));
    connect(strength_, &QSlider::valueChanged, label,
            [label](int v) { label->setText(tr("Strength %1").arg(v / 100.0, 0, 'f', 2)); });
    strength_->setValue(60);
}

void GenerationPanel::addOutputRows(QFormLayout* form) {
    seconds_ = doubleSpin(0.5, 20, 0.5, 4, tr(" s"));
    seconds_->setObjectName(QStringLiteral("genSeconds"));
    form->addRow(tr("Duration"), seconds_);

    resolution_ = narrowCombo("genResolution");
    resolution_->addItem(tr("Model size"), QSize(0, 0));
    resolution_->addItem(tr("1280×720"), QSize(1280, 720));
    resolution_->addItem(tr("1920×1080"), QSize(1920, 1080));
    resolution_->addItem(tr("1080×1920 vertical"), QSize(1080, 1920));
    resolution_->addItem(tr("720×720"), QSize(720, 720));
    form->addRow(tr("Size"), resolution_);

    fps_ = narrowCombo("genFps");
    fps_->addItem(tr("Model rate"), 0.0);
    for (double rate : {24.0, 25.0, 30.0, 32.0, 60.0})
        fps_->addItem(QString::number(rate), rate);
    form->addRow(tr("Frame rate"), fps_);

    placement_ = narrowCombo("genPlacement");
    placement_->addItem(tr("Replace clip"), int(TakePlacement::ReplaceClip));
    placement_->addItem(tr("Insert at playhead"), int(TakePlacement::Insert));
    placement_->addItem(tr("New track"), int(TakePlacement::NewTrack));
    placement_->setCurrentIndex(1);
    form->addRow(tr("Place take"), placement_);
}

void GenerationPanel::addSamplingRows(QFormLayout* form) {
    seed_ = new QSpinBox;
    seed_->setObjectName(QStringLiteral("genSeed"));
    seed_->setRange(0, INT_MAX);
    seed_->setEnabled(false);
    auto* roll = new QToolButton;
    roll->setText(QStringLiteral("⚄"));
    roll->setObjectName(QStringLiteral("genSeedRoll"));
    roll->setToolTip(tr("Roll a new seed (and lock it)"));
    connect(roll, &QPushButton::clicked, this, &GenerationPanel::rollSeed);
    auto* seedField = new QWidget;
    auto* row = new QHBoxLayout(seedField);
    row->setContentsMargins(0, 0, 0, 0);
    row->addWidget(seed_, 1);
    row->addWidget(roll);
    form->addRow(tr("Seed"), seedField);
    lockSeed_ = new QCheckBox(tr("Lock seed"));
    lockSeed_->setObjectName(QStringLiteral("genSeedLock"));
    lockSeed_->setToolTip(tr("Unlocked: a new random seed for every submission"));
    connect(lockSeed_, &QCheckBox::toggled, seed_, &QWidget::setEnabled);
    form->addRow(QString(), lockSeed_);

    steps_ = new QSpinBox;
    steps_->setObjectName(QStringLiteral("genSteps"));
    steps_->setRange(1, 200);
    steps_->setValue(20);
    form->addRow(tr("Steps"), steps_);

    videoGuidance_ = doubleSpin(1, 15, 0.5, 1);
    videoGuidance_->setObjectName(QStringLiteral("genVideoGuidance"));
    form->addRow(tr("Picture guidance"), videoGuidance_);
    audioGuidance_ = doubleSpin(1, 15, 0.5, 1);
    audioGuidance_->setObjectName(QStringLiteral("genAudioGuidance"));
    form->addRow(tr("Sound guidance"), audioGuidance_);
    suggestGuidance(true);
}

// A model may ask for guidance (its config's "sampler", per task): loading it, or choosing another task, puts
// those values in the fields, and the tips say what it suggests, so a creator who never touches them gets
// the model at its best — on dub, say, where a model may want none.
void GenerationPanel::suggestGuidance(bool always) {
    const model::GuidanceConfig g = sampler_.forTask(currentTask().toStdString());
    if (always || videoGuidance_->value() == suggested_.video_guidance) videoGuidance_->setValue(g.video_guidance);
    if (always || audioGuidance_->value() == suggested_.audio_guidance) audioGuidance_->setValue(g.audio_guidance);
    suggested_ = g;
    const QString tip = tr("1 = off, faster; higher follows the prompt more closely (this model suggests %1)");
    videoGuidance_->setToolTip(tip.arg(g.video_guidance));
    audioGuidance_->setToolTip(tip.arg(g.audio_guidance));
}

// --- task and source

QString GenerationPanel::currentTask() const {
    return task_->currentData().toString();
}

void GenerationPanel::setTask(const QString& task) {
    const int index = task_->findData(task);
    if (index >= 0) task_->setCurrentIndex(index);
}

void GenerationPanel::taskChanged() {
    const QString task = currentTask();
    suggestGuidance(false);
    const bool retake = task == QLatin1String("retake");
    showRow(source_, taskNeedsSource(task));
    showRow(image_, task == QLatin1String("image"));
    showRow(windowStart_, retake);
    showRow(windowEnd_, retake);
    showRow(regenerateVideo_, retake);
    showRow(regenerateAudio_, retake);
    showRow(backward_, task == QLatin1String("extend"));
    showRow(strength_, task == QLatin1String("restyle"));
    // Inpaint, retake and restyle keep the source's length; the others make (or add) seconds.
    const bool keepsLength = task == QLatin1String("inpaint") || retake || task == QLatin1String("restyle");
    showRow(seconds_, !keepsLength);
    if (QLabel* label = rowLabel(seconds_))
        label->setText(task == QLatin1String("extend") ? tr("Seconds to add") : tr("Duration"));
    updateSourceLabel();
}

void GenerationPanel::taskActivated() {
    const auto usual = taskNeedsSource(currentTask()) ? TakePlacement::ReplaceClip : TakePlacement::Insert;
    placement_->setCurrentIndex(placement_->findData(int(usual)));
}

void GenerationPanel::setSourceClip(Id clipId) {
    sourceClipId_ = project_.state().clip(clipId) ? clipId : 0;
    if (const timeline::Clip* clip = project_.state().clip(sourceClipId_)) {
        const auto* sequence = project_.state().sequenceOfTrack(project_.state().trackOfClip(clip->id)->id);
        const double seconds = sequence->time.secondsForFrames(clip->length);
        windowStart_->setMaximum(seconds);
        windowEnd_->setMaximum(seconds);
        if (windowEnd_->value() <= windowStart_->value()) windowEnd_->setValue(seconds);
    }
    updateSourceLabel();
}

void GenerationPanel::updateSourceLabel() {
    const auto& state = project_.state();
    const timeline::Clip* clip = state.clip(sourceClipId_);
    QString warning;
    if (!clip) {
        source_->setText(tr("None selected"));
        if (taskNeedsSource(currentTask()))
            warning = tr("Select a clip on the timeline: this task edits one.");
    } else {
        const timeline::Asset* asset = state.asset(clip->assetId);
        source_->setText(tr("“%1” · frames %2–%3")
                             .arg(asset ? asset->label : tr("(missing asset)"))
                             .arg(clip->position)
                             .arg(clip->end()));
        if (currentTask() == QLatin1String("inpaint") && clip->maskId == 0)
            warning = tr("This clip has no painted mask: paint what to repaint in the viewer first.");
    }
    source_->setToolTip(source_->text());
    sourceWarning_->setText(warning);
    sourceWarning_->setVisible(!warning.isEmpty());
    updateSubmitState();
}

void GenerationPanel::updateSubmitState() {
    const QString why = sourceWarning_->text();
    submit_->setEnabled(why.isEmpty());
    submit_->setToolTip(why.isEmpty() ? tr("Queue this generation") : why);
}

// --- project changes

void GenerationPanel::onProjectChanged() {
    if (!project_.state().clip(sourceClipId_)) sourceClipId_ = 0;
    refreshReferences();
    refreshImageChoices();
    updateSourceLabel();
}

void GenerationPanel::refreshImageChoices() {
    const Id current = image_->currentData().toLongLong();
    const QSignalBlocker block(image_);
    image_->clear();
    image_->addItem(tr("(choose a still or clip)"), Id(0));
    for (const timeline::Asset& asset : project_.state().assets)
        if (asset.hasVideo && !asset.offline()) image_->addItem(asset.label, asset.id);
    image_->setCurrentIndex(std::max(0, image_->findData(current)));
}

void GenerationPanel::refreshReferences() {
    for (int row = references_->count() - 1; row >= 0; --row) {
        QListWidgetItem* item = references_->item(row);
        const timeline::Asset* asset = project_.asset(item->data(Qt::UserRole).toLongLong());
        if (asset)
            item->setText(referenceText(*asset));
        else
            delete item; // removed from the project (or undone away)
    }
}

QString GenerationPanel::referenceText(const timeline::Asset& asset) const {
    const QString role = asset.role == timeline::ReferenceRole::None
                             ? tr("no role")
                             : capitalised(timeline::roleName(asset.role));
    return tr("%1 · %2").arg(asset.label, role);
}

void GenerationPanel::addReference(Id assetId) {
    const timeline::Asset* asset = project_.asset(assetId);
    if (!asset) return;
    for (int row = 0; row < references_->count(); ++row)
        if (references_->item(row)->data(Qt::UserRole).toLongLong() == assetId) return;
    auto* item = new QListWidgetItem(referenceText(*asset), references_);
    item->setData(Qt::UserRole, assetId);
}

bool GenerationPanel::addReferencesFromMime(const QMimeData* mime) {
    const int before = references_->count();
    for (Id id : assetIdsFromMime(mime))
        addReference(id);
    return references_->count() > before;
}

// --- prompt

void GenerationPanel::setModelDir(const QString& dir) {
    tokenizer_.reset();
    const bool ltx = !dir.isEmpty() && model::isLtxModelPath(dir.toStdString());
    // LTX-2.3 takes no references: the list stays (for the next model) but is not used, saying why.
    references_->setEnabled(!ltx);
    references_->setToolTip(ltx ? tr("Not used with LTX-2.3: it conditions on references only through LoRAs "
                                     "trained for it, which Tandem does not load")
                                : tr("Drag assets here from the bins; their role says what they condition"));
    if (ltx) { // Gemma 3 reads any words: nothing to check a prompt against
        checkPrompt();
        return;
    }
    try {
        sampler_ = {}; // no model: no guidance
        if (!dir.isEmpty()) {
            const model::ModelFolder folder = model::readModelFolder(dir.toStdString());
            tokenizer_ = std::make_unique<model::Tokenizer>(folder.tokenizer);
            sampler_ = folder.config.sampler;
        }
        suggestGuidance(true);
    } catch (const std::exception& e) {
        Q_EMIT statusMessage(tr("Prompt words cannot be checked: %1").arg(QString::fromUtf8(e.what())));
    }
    checkPrompt();
}

void GenerationPanel::setPrompt(const QString& text) {
    prompt_->setPlainText(text);
    checkTimer_->stop();
    checkPrompt();
}

void GenerationPanel::insertDialogue() {
    QTextCursor cursor = prompt_->textCursor();
    const QString words =
        cursor.selectedText(); // wrapped when selected, so a line can be marked after typing
    cursor.insertText(QStringLiteral("<S>") + words + QStringLiteral("<E>"));
    cursor.movePosition(QTextCursor::Left, QTextCursor::MoveAnchor, 3);
    prompt_->setTextCursor(cursor);
    prompt_->setFocus();
}

QStringList GenerationPanel::unknownWords() const {
    QStringList words;
    if (!tokenizer_) return words;
    for (const std::string& word : tokenizer_->unknownWords(prompt_->toPlainText().toStdString()))
        words << QString::fromStdString(word);
    return words;
}

QString GenerationPanel::hintText() const {
    if (!tokenizer_) return tr("No model loaded: words cannot be checked.");
    if (tokenizer_->knownWords().empty())
        return tr("This model lists no known words: words cannot be checked.");
    const QStringList unknown = unknownWords();
    if (!unknown.isEmpty())
        return tr("Not known to the model: %1 — they will be ignored; known words: Model ▸ Prompt words")
            .arg(unknown.join(QStringLiteral(", ")));
    return prompt_->toPlainText().trimmed().isEmpty() ? QString()
                                                      : tr("Every scene word is known to the model.");
}

void GenerationPanel::checkPrompt() {
    const QStringList unknown = unknownWords();
    hints_->setText(hintText());
    underlineUnknownWords(unknown);
}

void GenerationPanel::underlineUnknownWords(const QStringList& unknown) {
    QTextCharFormat format;
    format.setUnderlineStyle(QTextCharFormat::WaveUnderline);
    format.setUnderlineColor(Qt::red);
    QList<QTextEdit::ExtraSelection> marks;
    for (const WordSpan& span : sceneWords(prompt_->toPlainText())) {
        if (!unknown.contains(span.word)) continue;
        QTextEdit::ExtraSelection mark;
        mark.cursor = QTextCursor(prompt_->document());
        mark.cursor.setPosition(span.start);
        mark.cursor.setPosition(span.start + span.length, QTextCursor::KeepAnchor);
        mark.format = format;
        marks << mark;
    }
    prompt_->setExtraSelections(marks);
}

// --- the spec

void GenerationPanel::rollSeed() {
    seed_->setValue(int(QRandomGenerator::global()->bounded(INT_MAX)));
    lockSeed_->setChecked(true); // a rolled seed the next submission ignored would be no use
}

GenerationSpec GenerationPanel::spec() const {
    GenerationSpec s;
    s.task = currentTask();
    s.prompt = prompt_->toPlainText();
    s.negativePrompt = negative_->text();
    if (references_->isEnabled())
        for (int row = 0; row < references_->count(); ++row)
            s.referenceAssetIds << references_->item(row)->data(Qt::UserRole).toLongLong();
    s.imageAssetId = image_->currentData().toLongLong();
    s.sourceClipId = sourceClipId_;
    s.seconds = seconds_->value();
    const QSize size = resolution_->currentData().toSize();
    s.width = size.width();
    s.height = size.height();
    s.fps = fps_->currentData().toDouble();
    s.seed = seed_->value();
    s.randomSeed = !lockSeed_->isChecked();
    s.steps = steps_->value();
    s.videoGuidance = videoGuidance_->value();
    s.audioGuidance = audioGuidance_->value();
    s.windowStart = windowStart_->value();
    s.windowEnd = windowEnd_->value();
    s.regenerateVideo = regenerateVideo_->isChecked();
    s.regenerateAudio = regenerateAudio_->isChecked();
    s.backward = backward_->isChecked();
    s.strength = strength_->value() / 100.0;
    s.placement = TakePlacement(placement_->currentData().toInt());
    return s;
}

void GenerationPanel::setSpec(const GenerationSpec& s) {
    setTask(s.task);
    setPrompt(s.prompt);
    negative_->setText(s.negativePrompt);
    references_->clear();
    for (Id id : s.referenceAssetIds)
        addReference(id);
    image_->setCurrentIndex(std::max(0, image_->findData(s.imageAssetId)));
    setSourceClip(s.sourceClipId);
    seconds_->setValue(s.seconds);
    selectData(resolution_, QSize(s.width, s.height), tr("%1×%2").arg(s.width).arg(s.height));
    selectData(fps_, s.fps, QString::number(s.fps));
    seed_->setValue(int(std::clamp<qint64>(s.seed, 0, INT_MAX)));
    lockSeed_->setChecked(!s.randomSeed);
    steps_->setValue(s.steps);
    const model::GuidanceConfig suggested = sampler_.forTask(s.task.toStdString());
    videoGuidance_->setValue(s.videoGuidance.value_or(suggested.video_guidance));
    audioGuidance_->setValue(s.audioGuidance.value_or(suggested.audio_guidance));
    windowStart_->setValue(s.windowStart);
    windowEnd_->setValue(s.windowEnd);
    regenerateVideo_->setChecked(s.regenerateVideo);
    regenerateAudio_->setChecked(s.regenerateAudio);
    backward_->setChecked(s.backward);
    strength_->setValue(int(std::lround(s.strength * 100)));
    placement_->setCurrentIndex(std::max(0, placement_->findData(int(s.placement))));
}

void GenerationPanel::submit() {
    const GenerationSpec s = spec();
    if (s.task == QLatin1String("generate") && s.prompt.trimmed().isEmpty()) {
        Q_EMIT statusMessage(tr("Describe the shot in the prompt first."));
        return;
    }
    Q_EMIT generateRequested(s);
}

} // namespace tandem::ui
