#include "ui/mask_panel.h"

#include <QButtonGroup>
#include <QCheckBox>
#include <QColorDialog>
#include <QComboBox>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QLabel>
#include <QPixmap>
#include <QPushButton>
#include <QSignalBlocker>
#include <QSlider>
#include <QStringList>
#include <QToolButton>
#include <QVBoxLayout>

#include <cmath>

namespace tandem::ui {

using timeline::EditResult;
using Tool = MaskCanvas::Tool;

namespace {

// Sizes are shown in pixels of a 1080-line picture and stored as fractions of the frame height.
constexpr double kReferenceHeight = 1080.0;
constexpr int kDefaultSizePixels = 22; // ≈ the project's default radius of 0.02
constexpr int kDefaultOpacityPercent = 50;

} // namespace

MaskPanel::MaskPanel(MaskCanvas& canvas, timeline::Project& project, QWidget* parent)
    : QWidget(parent), canvas_(&canvas), project_(project) {
    auto* layout = new QVBoxLayout(this);
    layout->addWidget(buildPaintToggle());
    layout->addLayout(buildToolRow());
    layout->addLayout(buildSettingsForm());
    layout->addLayout(buildActionRow());
    layout->addLayout(buildKeyframeRow());
    layout->addStretch();
    pushSettingsToCanvas();
    listener_ = project_.addChangeListener([this] { refresh(); });
    refresh();
}

MaskPanel::~MaskPanel() { project_.removeChangeListener(listener_); }

// --- the controls

QPushButton* MaskPanel::buildPaintToggle() {
    paintToggle_ = new QPushButton(tr("Paint mask"), this);
    paintToggle_->setObjectName(QStringLiteral("maskPaintToggle"));
    paintToggle_->setCheckable(true);
    connect(paintToggle_, &QPushButton::toggled, this, [this](bool on) {
        if (canvas_) canvas_->setActive(on);
    });
    return paintToggle_;
}

QHBoxLayout* MaskPanel::buildToolRow() {
    tools_ = new QButtonGroup(this);
    tools_->setExclusive(true);
    auto* row = new QHBoxLayout();
    const struct {
        const char* label;
        const char* name;
        Tool tool;
    } tools[] = {{QT_TR_NOOP("Brush"), "maskBrush", Tool::Brush},
                 {QT_TR_NOOP("Eraser"), "maskEraser", Tool::Eraser},
                 {QT_TR_NOOP("Lasso fill"), "maskLasso", Tool::Lasso}};
    for (const auto& t : tools) {
        auto* button = new QToolButton(this);
        button->setText(tr(t.label));
        button->setObjectName(QString::fromLatin1(t.name));
        button->setCheckable(true);
        button->setChecked(t.tool == Tool::Brush);
        tools_->addButton(button, int(t.tool));
        row->addWidget(button);
    }
    connect(tools_, &QButtonGroup::idClicked, this, [this](int id) {
        if (canvas_) canvas_->setTool(Tool(id));
    });
    return row;
}

QSlider* MaskPanel::makeSlider(const char* objectName, int minimum, int maximum, int value) {
    auto* slider = new QSlider(Qt::Horizontal, this);
    slider->setObjectName(QString::fromLatin1(objectName));
    slider->setRange(minimum, maximum);
    slider->setValue(value);
    return slider;
}

QFormLayout* MaskPanel::buildSettingsForm() {
    auto* form = new QFormLayout();
    size_ = makeSlider("maskSize", 1, 200, kDefaultSizePixels);
    size_->setToolTip(tr("Brush radius in pixels of a 1080-line picture"));
    hardness_ = makeSlider("maskHardness", 0, 100, 100);
    feather_ = makeSlider("maskFeather", 0, 100, 0);
    feather_->setToolTip(tr("Edge softening in pixels of a 1080-line picture"));
    opacity_ = makeSlider("maskOpacity", 0, 100, kDefaultOpacityPercent);
    applyTo_ = new QComboBox(this);
    applyTo_->setObjectName(QStringLiteral("maskApplyTo"));
    applyTo_->addItems({tr("This frame"), tr("Clip range (In–Out)")});
    interpolation_ = new QComboBox(this);
    interpolation_->setObjectName(QStringLiteral("maskInterpolation"));
    interpolation_->addItems({tr("Hold"), tr("Linear")});
    interpolation_->setToolTip(tr("How the keyframe at this frame moves towards the next one"));
    form->addRow(tr("Size"), size_);
    form->addRow(tr("Hardness"), hardness_);
    form->addRow(tr("Feather"), feather_);
    form->addRow(tr("Opacity"), opacity_);
    form->addRow(tr("Apply to"), applyTo_);
    form->addRow(tr("Keyframe"), interpolation_);

    connect(size_, &QSlider::valueChanged, this, [this](int px) {
        if (canvas_) canvas_->setBrushRadius(px / kReferenceHeight);
    });
    connect(hardness_, &QSlider::valueChanged, this, [this](int percent) {
        if (canvas_) canvas_->setHardness(percent / 100.0);
    });
    connect(opacity_, &QSlider::valueChanged, this, [this](int percent) {
        if (canvas_) canvas_->setOverlayOpacity(percent / 100.0);
    });
    // One undo step per gesture: a drag commits on release, a key or wheel step at once.
    connect(feather_, &QSlider::sliderReleased, this, &MaskPanel::commitFeather);
    connect(feather_, &QSlider::valueChanged, this, [this] {
        if (!feather_->isSliderDown()) commitFeather();
    });
    connect(applyTo_, &QComboBox::currentIndexChanged, this, &MaskPanel::pushApplyTo);
    connect(interpolation_, &QComboBox::activated, this, &MaskPanel::setInterpolation);
    return form;
}

QHBoxLayout* MaskPanel::buildActionRow() {
    fill_ = new QPushButton(tr("Fill"), this);
    fill_->setObjectName(QStringLiteral("maskFill"));
    clear_ = new QPushButton(tr("Clear"), this);
    clear_->setObjectName(QStringLiteral("maskClear"));
    onionSkin_ = new QCheckBox(tr("Onion skin"), this);
    onionSkin_->setObjectName(QStringLiteral("maskOnionSkin"));
    colorButton_ = new QPushButton(tr("Colour…"), this);
    colorButton_->setObjectName(QStringLiteral("maskColor"));
    connect(fill_, &QPushButton::clicked, this, [this] {
        if (canvas_) canvas_->fillFrame();
    });
    connect(clear_, &QPushButton::clicked, this, [this] {
        if (canvas_) canvas_->clearFrame();
    });
    connect(onionSkin_, &QCheckBox::toggled, this, [this](bool on) {
        if (canvas_) canvas_->setOnionSkin(on);
    });
    connect(colorButton_, &QPushButton::clicked, this, &MaskPanel::chooseColor);
    auto* row = new QHBoxLayout();
    for (QWidget* w : {static_cast<QWidget*>(fill_), static_cast<QWidget*>(clear_),
                       static_cast<QWidget*>(onionSkin_), static_cast<QWidget*>(colorButton_)})
        row->addWidget(w);
    return row;
}

QHBoxLayout* MaskPanel::buildKeyframeRow() {
    keyframes_ = new QLabel(this);
    keyframes_->setObjectName(QStringLiteral("maskKeyframes"));
    keyframes_->setWordWrap(true);
    removeKeyframe_ = new QPushButton(tr("Remove keyframe"), this);
    removeKeyframe_->setObjectName(QStringLiteral("maskRemoveKeyframe"));
    connect(removeKeyframe_, &QPushButton::clicked, this, &MaskPanel::removeKeyframe);
    auto* row = new QHBoxLayout();
    row->addWidget(keyframes_, 1);
    row->addWidget(removeKeyframe_);
    return row;
}

// The canvas starts from what the controls show.
void MaskPanel::pushSettingsToCanvas() {
    if (!canvas_) return;
    canvas_->setTool(Tool(tools_->checkedId()));
    canvas_->setBrushRadius(size_->value() / kReferenceHeight);
    canvas_->setHardness(hardness_->value() / 100.0);
    canvas_->setOverlayOpacity(opacity_->value() / 100.0);
    canvas_->setOnionSkin(onionSkin_->isChecked());
    applyColor(color_);
    pushApplyTo();
}

void MaskPanel::pushApplyTo() {
    if (!canvas_) return;
    const auto applyTo = applyTo_->currentIndex() == 1 ? MaskCanvas::ApplyTo::Range : MaskCanvas::ApplyTo::Frame;
    canvas_->setApplyTo(applyTo, rangeFirst_, rangeLast_);
}

// --- target

void MaskPanel::setTarget(timeline::Id clipId, qint64 sourceFrame) {
    if (canvas_) canvas_->setTarget(clipId, sourceFrame);
    refresh();
}

void MaskPanel::setClipRange(qint64 firstSourceFrame, qint64 lastSourceFrame) {
    rangeFirst_ = firstSourceFrame;
    rangeLast_ = lastSourceFrame;
    applyTo_->setItemData(1, tr("Source frames %1–%2").arg(rangeFirst_).arg(rangeLast_), Qt::ToolTipRole);
    pushApplyTo();
}

// --- edits of the mask

void MaskPanel::commitFeather() {
    if (!canvas_ || !canvas_->clipId()) return;
    const double feather = feather_->value() / kReferenceHeight;
    const timeline::Mask* shown = currentMask();
    if (std::abs((shown ? shown->feather : 0.0) - feather) < 1e-9) return; // no empty undo steps
    const timeline::Id clipId = canvas_->clipId();
    report(project_.requestCompound(tr("Mask feather"), [&]() -> EditResult {
        const EditResult mask = ensureClipMask(project_, clipId);
        if (!mask.ok) return mask;
        return project_.requestSetFeather(mask.newId, feather);
    }));
}

void MaskPanel::setInterpolation(int index) {
    const timeline::Mask* mask = currentMask();
    if (!currentKeyframe(mask)) return;
    const auto interpolation = index == 1 ? timeline::Interpolation::Linear : timeline::Interpolation::Hold;
    report(project_.requestSetInterpolation(mask->id, canvas_->sourceFrame(), interpolation));
}

void MaskPanel::removeKeyframe() {
    const timeline::Mask* mask = currentMask();
    if (!currentKeyframe(mask)) return;
    report(project_.requestRemoveKeyframe(mask->id, canvas_->sourceFrame()));
}

void MaskPanel::chooseColor() {
    const QColor chosen = QColorDialog::getColor(color_, this, tr("Mask colour"));
    if (chosen.isValid()) applyColor(chosen);
}

void MaskPanel::applyColor(QColor color) {
    color_ = color;
    QPixmap swatch(16, 16);
    swatch.fill(color_);
    colorButton_->setIcon(QIcon(swatch));
    if (canvas_) canvas_->setOverlayColor(color_);
}

void MaskPanel::report(const EditResult& result) {
    if (result.ok) return;
    Q_EMIT statusMessage(result.reason);
    refresh(); // put the controls back to what the project holds
}

// --- reading the project

const timeline::Mask* MaskPanel::currentMask() const {
    return canvas_ ? project_.state().mask(canvas_->maskId()) : nullptr;
}

const timeline::MaskKeyframe* MaskPanel::currentKeyframe(const timeline::Mask* mask) const {
    if (!mask || !canvas_) return nullptr;
    for (const timeline::MaskKeyframe& k : mask->keyframes)
        if (k.frame == canvas_->sourceFrame()) return &k;
    return nullptr;
}

void MaskPanel::refresh() {
    const timeline::Mask* mask = currentMask();
    const timeline::MaskKeyframe* keyframe = currentKeyframe(mask);
    const bool hasTarget = canvas_ && canvas_->clipId() != 0;
    fill_->setEnabled(hasTarget);
    clear_->setEnabled(hasTarget);
    feather_->setEnabled(hasTarget);
    interpolation_->setEnabled(keyframe != nullptr);
    removeKeyframe_->setEnabled(keyframe != nullptr);
    if (keyframe) {
        const QSignalBlocker quiet(interpolation_);
        interpolation_->setCurrentIndex(keyframe->interpolation == timeline::Interpolation::Linear ? 1 : 0);
    }
    showKeyframes(mask);
    showFeather(mask);
}

void MaskPanel::showKeyframes(const timeline::Mask* mask) {
    QStringList frames;
    if (mask)
        for (const timeline::MaskKeyframe& k : mask->keyframes) frames << QString::number(k.frame);
    keyframes_->setText(frames.isEmpty() ? tr("Keyframes: none")
                                         : tr("Keyframes: %1").arg(frames.join(QStringLiteral(", "))));
}

void MaskPanel::showFeather(const timeline::Mask* mask) {
    if (feather_->isSliderDown()) return; // the creator is dragging it
    const QSignalBlocker quiet(feather_);
    feather_->setValue(mask ? int(std::lround(mask->feather * kReferenceHeight)) : 0);
}

} // namespace tandem::ui
