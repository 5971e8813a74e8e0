#include "ui/source_viewer.h"

#include "render/media_error.h"
#include "render/video_decoder.h"
#include "ui/viewer.h"

#include <QHBoxLayout>
#include <QKeyEvent>
#include <QPushButton>
#include <QSlider>
#include <QVBoxLayout>

#include <cmath>

namespace tandem::ui {

SourceViewer::SourceViewer(QWidget* parent) : QWidget(parent) {
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    viewer_ = new Viewer(this);
    viewer_->setMeters(false);
    viewer_->setLabel(tr("Source"));
    layout->addWidget(viewer_, 1);
    slider_ = new QSlider(Qt::Horizontal, this);
    slider_->setObjectName(QStringLiteral("sourceSlider"));
    layout->addWidget(slider_);
    auto* row = new QHBoxLayout();
    auto button = [&](const QString& text, const QString& name, auto slot) {
        auto* b = new QPushButton(text, this);
        b->setObjectName(name);
        b->setFocusPolicy(Qt::NoFocus);
        connect(b, &QPushButton::clicked, this, slot);
        row->addWidget(b);
    };
    button(tr("Mark In"), QStringLiteral("sourceIn"), &SourceViewer::markIn);
    button(tr("Mark Out"), QStringLiteral("sourceOut"), &SourceViewer::markOut);
    row->addStretch();
    button(tr("Insert"), QStringLiteral("sourceInsert"), [this] {
        const auto [in, out] = range();
        if (assetId_) Q_EMIT placeRequested(assetId_, in, out - in, false);
    });
    button(tr("Overwrite"), QStringLiteral("sourceOverwrite"), [this] {
        const auto [in, out] = range();
        if (assetId_) Q_EMIT placeRequested(assetId_, in, out - in, true);
    });
    layout->addLayout(row);
    connect(slider_, &QSlider::valueChanged, this, [this](int v) { showFrame(v); });
}

SourceViewer::~SourceViewer() = default;

void SourceViewer::setAsset(const timeline::Asset& asset, const QString& file, double fps) {
    assetId_ = asset.id;
    fps_ = fps > 0 ? fps : 32;
    frames_ = std::max<qint64>(1, std::llround(asset.duration * fps_));
    in_ = out_ = -1;
    decoder_.reset();
    if (asset.hasVideo) {
        try {
            decoder_ = std::make_unique<render::VideoDecoder>(file.toStdString());
        } catch (const render::MediaError&) {
            decoder_.reset(); // shown as "No media"; the bins already flag unreadable files
        }
    }
    viewer_->setLabel(tr("Source: %1").arg(asset.label));
    viewer_->setImage({});
    slider_->setRange(0, int(frames_ - 1));
    slider_->setValue(0);
    showFrame(0);
}

void SourceViewer::showFrame(qint64 frame) {
    frame_ = std::clamp<qint64>(frame, 0, std::max<qint64>(0, frames_ - 1));
    if (decoder_)
        if (const render::Frame* f = decoder_->frameAtTime(double(frame_) / fps_))
            viewer_->setImage(QImage(f->rgb.data(), f->width, f->height, f->width * 3, QImage::Format_RGB888).copy());
    const auto [in, out] = range();
    viewer_->setTimecode(tr("%1 / %2   In %3 · Out %4").arg(frame_).arg(frames_).arg(in).arg(out));
    if (slider_->value() != int(frame_)) slider_->setValue(int(frame_));
}

void SourceViewer::markIn() {
    in_ = frame_;
    if (out_ >= 0 && out_ <= in_) out_ = -1;
    showFrame(frame_);
}

void SourceViewer::markOut() {
    out_ = frame_ + 1; // the frame shown is the last one in
    if (in_ >= out_) in_ = -1;
    showFrame(frame_);
}

std::pair<qint64, qint64> SourceViewer::range() const {
    return {in_ >= 0 ? in_ : 0, out_ >= 0 ? out_ : frames_};
}

void SourceViewer::keyPressEvent(QKeyEvent* e) {
    switch (e->key()) {
    case Qt::Key_I: return markIn();
    case Qt::Key_O: return markOut();
    case Qt::Key_Left: return showFrame(frame_ - 1);
    case Qt::Key_Right: return showFrame(frame_ + 1);
    default: QWidget::keyPressEvent(e);
    }
}

} // namespace tandem::ui
