#include "ui/viewer.h"

#include <QPainter>

#include <algorithm>
#include <cmath>

namespace tandem::ui {

Viewer::Viewer(QWidget* parent) : QWidget(parent) { setMinimumSize(320, 200); }

void Viewer::setImage(const QImage& image) {
    const bool resized = image.size() != image_.size();
    image_ = image;
    if (resized) Q_EMIT pictureRectChanged(pictureRect());
    update();
}

void Viewer::setTimecode(const QString& text) {
    timecode_ = text;
    update();
}

void Viewer::setLabel(const QString& text) {
    label_ = text;
    update();
}

void Viewer::setSafeAreas(bool on) {
    safeAreas_ = on;
    update();
}

void Viewer::setMeters(bool on) {
    meters_ = on;
    Q_EMIT pictureRectChanged(pictureRect());
    update();
}

void Viewer::setLevels(float left, float right) {
    levels_[0] = left;
    levels_[1] = right;
    if (meters_) update(QRect(width() - kMeterWidth, 0, kMeterWidth, height()));
}

QRect Viewer::pictureArea() const { return rect().adjusted(0, 0, meters_ ? -kMeterWidth : 0, -kTimecodeHeight); }

QRect Viewer::pictureRect() const {
    const QRect area = pictureArea();
    if (image_.isNull()) return area;
    QRect target(QPoint(0, 0), image_.size().scaled(area.size(), Qt::KeepAspectRatio));
    target.moveCenter(area.center());
    return target;
}

void Viewer::resizeEvent(QResizeEvent*) { Q_EMIT pictureRectChanged(pictureRect()); }

void Viewer::paintEvent(QPaintEvent*) {
    QPainter p(this);
    p.fillRect(rect(), Qt::black);
    const QRect picture = pictureRect();
    if (!image_.isNull()) {
        p.setRenderHint(QPainter::SmoothPixmapTransform);
        p.drawImage(picture, image_);
        if (safeAreas_) paintSafeAreas(p, picture);
    } else {
        p.setPen(QColor(0x80, 0x80, 0x80));
        p.drawText(pictureArea(), Qt::AlignCenter, tr("No media"));
    }
    p.setPen(QColor(0xe0, 0xe0, 0xe0));
    p.drawText(QRect(0, height() - kTimecodeHeight, width(), kTimecodeHeight), Qt::AlignCenter, timecode_);
    if (!label_.isEmpty()) p.drawText(QRect(8, 4, width() - 16, 20), Qt::AlignLeft | Qt::AlignTop, label_);
    if (meters_) paintMeters(p);
}

void Viewer::paintSafeAreas(QPainter& p, QRect picture) const {
    auto inset = [&](double fraction) {
        const int dx = int(picture.width() * (1 - fraction) / 2), dy = int(picture.height() * (1 - fraction) / 2);
        return picture.adjusted(dx, dy, -dx, -dy);
    };
    p.setPen(QPen(QColor(255, 255, 255, 140), 1, Qt::DashLine));
    p.drawRect(inset(kActionSafe));
    p.setPen(QPen(QColor(255, 220, 80, 160), 1, Qt::DashLine));
    p.drawRect(inset(kTitleSafe));
    const QPoint c = picture.center();
    p.setPen(QColor(255, 255, 255, 140));
    p.drawLine(c.x() - 8, c.y(), c.x() + 8, c.y());
    p.drawLine(c.x(), c.y() - 8, c.x(), c.y() + 8);
}

void Viewer::paintMeters(QPainter& p) const {
    const QRect strip(width() - kMeterWidth, 4, kMeterWidth - 4, height() - kTimecodeHeight - 8);
    p.fillRect(strip, QColor(0x18, 0x18, 0x18));
    const int barWidth = (strip.width() - 2) / 2;
    auto heightFor = [&](double db) {
        return int(strip.height() * std::clamp((db - kMeterFloorDb) / -kMeterFloorDb, 0.0, 1.0));
    };
    for (int ch = 0; ch < 2; ++ch) {
        const double db = levels_[ch] > 0 ? 20 * std::log10(double(levels_[ch])) : kMeterFloorDb;
        const int h = heightFor(db);
        const QRect bar(strip.left() + 1 + ch * (barWidth + 1), strip.bottom() - h, barWidth, h);
        p.fillRect(bar, db > kMeterHotDb ? QColor(0xe0, 0x50, 0x40) : QColor(0x4c, 0xc0, 0x60));
    }
    p.setPen(QColor(0x70, 0x70, 0x70));
    for (double mark : {-6.0, -18.0, -40.0}) { // reference ticks: hot, nominal, quiet
        const int y = strip.bottom() - heightFor(mark);
        p.drawLine(strip.left(), y, strip.right(), y);
    }
}

} // namespace tandem::ui
