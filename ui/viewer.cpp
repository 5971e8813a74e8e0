#include "ui/viewer.h"

#include <QPainter>

namespace tandem::ui {

Viewer::Viewer(QWidget* parent) : QWidget(parent) { setMinimumSize(320, 200); }

void Viewer::setImage(const QImage& image) {
    image_ = image;
    update();
}

void Viewer::setTimecode(const QString& text) {
    timecode_ = text;
    update();
}

void Viewer::paintEvent(QPaintEvent*) {
    QPainter p(this);
    p.fillRect(rect(), Qt::black);
    const QRect area = rect().adjusted(0, 0, 0, -24);
    if (!image_.isNull()) {
        QSize s = image_.size().scaled(area.size(), Qt::KeepAspectRatio);
        QRect target(QPoint(0, 0), s);
        target.moveCenter(area.center());
        p.setRenderHint(QPainter::SmoothPixmapTransform);
        p.drawImage(target, image_);
    } else {
        p.setPen(QColor(0x80, 0x80, 0x80));
        p.drawText(area, Qt::AlignCenter, tr("No media"));
    }
    p.setPen(QColor(0xe0, 0xe0, 0xe0));
    p.drawText(QRect(0, area.bottom(), width(), 24), Qt::AlignCenter, timecode_);
}

} // namespace tandem::ui
