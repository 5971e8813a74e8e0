// Design note: the mask tools dock. Brush settings and view options (tool, size, hardness, colour, opacity,
// onion skin, frame or range) go straight to the MaskCanvas, which paints; edits of the mask itself (feather,
// keyframe interpolation, keyframe removal, fill and clear) go through Project requests, one undo step each.
// It shows the target clip's mask as the project holds it: refresh() re-reads it, on every project change
// and whenever the integrator moves the target.
#pragma once

#include "timeline/project.h"
#include "ui/mask_canvas.h"

#include <QPointer>
#include <QWidget>

class QButtonGroup;
class QCheckBox;
class QComboBox;
class QFormLayout;
class QHBoxLayout;
class QLabel;
class QPushButton;
class QSlider;

namespace tandem::ui {

class MaskPanel : public QWidget {
    Q_OBJECT
public:
    MaskPanel(MaskCanvas& canvas, timeline::Project& project, QWidget* parent);
    ~MaskPanel() override;

    // Re-reads the target's mask: keyframe list, interpolation at the current frame, feather.
    void refresh();
    // Forwards to the canvas, then refreshes.
    void setTarget(timeline::Id clipId, qint64 sourceFrame);
    // The source frames "Clip range (In–Out)" paints over.
    void setClipRange(qint64 firstSourceFrame, qint64 lastSourceFrame);

Q_SIGNALS:
    void statusMessage(const QString& message); // a refused edit, and why

private:
    QPushButton* buildPaintToggle();
    QHBoxLayout* buildToolRow();
    QFormLayout* buildSettingsForm();
    QHBoxLayout* buildActionRow();
    QHBoxLayout* buildKeyframeRow();
    QSlider* makeSlider(const char* objectName, int minimum, int maximum, int value);
    void pushSettingsToCanvas();
    void pushApplyTo();

    void commitFeather();
    void setInterpolation(int index);
    void removeKeyframe();
    void chooseColor();
    void applyColor(QColor color);
    void report(const timeline::EditResult& result);

    const timeline::Mask* currentMask() const;
    const timeline::MaskKeyframe* currentKeyframe(const timeline::Mask* mask) const;
    void showKeyframes(const timeline::Mask* mask);
    void showFeather(const timeline::Mask* mask);

    QPointer<MaskCanvas> canvas_; // lives in the viewer; the panel must not outlive it unnoticed
    timeline::Project& project_;
    int listener_ = 0;
    qint64 rangeFirst_ = 0, rangeLast_ = -1; // empty until the integrator sets it
    QColor color_ = QColor(255, 48, 48);

    QPushButton* paintToggle_ = nullptr;
    QButtonGroup* tools_ = nullptr;
    QSlider* size_ = nullptr;
    QSlider* hardness_ = nullptr;
    QSlider* feather_ = nullptr;
    QSlider* opacity_ = nullptr;
    QComboBox* applyTo_ = nullptr;
    QComboBox* interpolation_ = nullptr;
    QPushButton* fill_ = nullptr;
    QPushButton* clear_ = nullptr;
    QCheckBox* onionSkin_ = nullptr;
    QPushButton* colorButton_ = nullptr;
    QLabel* keyframes_ = nullptr;
    QPushButton* removeKeyframe_ = nullptr;
};

} // namespace tandem::ui
