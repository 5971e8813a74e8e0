// Design note: shows one picture, letterboxed to the widget, with a timecode line under it, a label (Program,
// or the source's name), optional safe-area guides and stereo audio meters. It only draws what it is given:
// the main window feeds it the playhead's picture and the levels of the sound playing with that frame.
// Overlays that edit (the mask canvas) sit on top of pictureRect().
#pragma once

#include <QImage>
#include <QWidget>

namespace tandem::ui {

class Viewer : public QWidget {
    Q_OBJECT
public:
    // Safe areas as broadcast practice draws them (EBU R 95): action 93 %, titles 90 % of the frame.
    static constexpr double kActionSafe = 0.93;
    static constexpr double kTitleSafe = 0.90;
    // Meter scale: silence floor and the level above which the bar turns red (near clipping).
    static constexpr double kMeterFloorDb = -60;
    static constexpr double kMeterHotDb = -6;

    explicit Viewer(QWidget* parent = nullptr);
    void setImage(const QImage& image);
    void setTimecode(const QString& text);
    void setLabel(const QString& text);
    void setSafeAreas(bool on);
    bool safeAreas() const { return safeAreas_; }
    void setMeters(bool on);
    // Peak levels (0..1 linear) of the left and right channel for the frame shown.
    void setLevels(float left, float right);
    const QImage& image() const { return image_; }
    // Where the picture is drawn (letterboxed), in widget coordinates; the whole picture area when empty.
    QRect pictureRect() const;
    QSize sizeHint() const override { return {640, 400}; }

Q_SIGNALS:
    void pictureRectChanged(QRect rect);

protected:
    void paintEvent(QPaintEvent*) override;
    void resizeEvent(QResizeEvent*) override;

private:
    static constexpr int kTimecodeHeight = 24;
    static constexpr int kMeterWidth = 18;
    QRect pictureArea() const; // the space for the picture: the widget less the timecode line and meters
    void paintSafeAreas(QPainter& p, QRect picture) const;
    void paintMeters(QPainter& p) const;

    QImage image_;
    QString timecode_, label_;
    bool safeAreas_ = false, meters_ = true;
    float levels_[2] = {0, 0};
};

} // namespace tandem::ui
