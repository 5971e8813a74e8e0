// Design note: the source viewer — one bin item before it is on the timeline. The creator scrubs it, marks
// In and Out on it and inserts or overwrites that range at the program's playhead (a three-point edit).
// Pictures are decoded by time on demand (render::VideoDecoder), one frame per move; nothing plays here, so
// the program's audio clock stays the only clock.
#pragma once

#include "timeline/state.h"

#include <QWidget>

#include <memory>

class QLabel;
class QSlider;

namespace tandem::render {
class VideoDecoder;
}

namespace tandem::ui {

class Viewer;

class SourceViewer : public QWidget {
    Q_OBJECT
public:
    explicit SourceViewer(QWidget* parent = nullptr);
    ~SourceViewer() override;

    // Shows `asset` (its file resolved to `file`), frames counted at the sequence rate `fps`.
    void setAsset(const timeline::Asset& asset, const QString& file, double fps);
    timeline::Id assetId() const { return assetId_; }
    void showFrame(qint64 frame);
    qint64 frame() const { return frame_; }
    void markIn();
    void markOut();
    // The marked range, sequence frames of the source [in, out); the whole source when unmarked.
    std::pair<qint64, qint64> range() const;
    Viewer& viewer() { return *viewer_; }

Q_SIGNALS:
    // Insert (or overwrite) source frames [in, out) of the asset at the program's playhead.
    void placeRequested(timeline::Id assetId, qint64 sourceIn, qint64 length, bool overwrite);

protected:
    void keyPressEvent(QKeyEvent*) override;

private:
    Viewer* viewer_ = nullptr;
    QSlider* slider_ = nullptr;
    std::unique_ptr<render::VideoDecoder> decoder_;
    timeline::Id assetId_ = 0;
    double fps_ = 32;
    qint64 frames_ = 0, frame_ = 0, in_ = -1, out_ = -1;
};

} // namespace tandem::ui
