// Design note: shows one picture, letterboxed to the widget, with a timecode line under it.
#pragma once

#include <QImage>
#include <QWidget>

namespace tandem::ui {

class Viewer : public QWidget {
    Q_OBJECT
public:
    explicit Viewer(QWidget* parent = nullptr);
    void setImage(const QImage& image);
    void setTimecode(const QString& text);
    const QImage& image() const { return image_; }
    QSize sizeHint() const override { return {640, 400}; }

protected:
    void paintEvent(QPaintEvent*) override;

private:
    QImage image_;
    QString timecode_;
};

} // namespace tandem::ui
