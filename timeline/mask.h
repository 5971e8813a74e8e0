// Design note: a repair mask as the creator painted it — a list of brush strokes per keyframe — never as
// pixels, so it stays sharp at any resolution and costs a few hundred bytes in project.json. Coordinates
// and radii are fractions of the frame (x of width, y and radii of height). Keyframes sit on source frames
// of the clip's media, so trimming or moving the clip keeps the mask on the picture it was painted over.
// Between keyframes the mask holds or blends linearly; the feather softens its edge for compositing.
// Rasterising happens on demand (viewer overlay, inpaint request), and the inpaint request's two masks —
// what to regenerate and how to blend it back — are derived here and nowhere else.
#pragma once

#include <QByteArray>
#include <QList>
#include <QPointF>
#include <QString>

namespace tandem::timeline {

struct Stroke {
    QList<QPointF> points; // fractions of the frame
    double radius = 0.02;  // brush radius, fraction of frame height
    bool erase = false;    // an eraser stroke clears what earlier strokes painted
    // 1 = a hard edge; lower values fade coverage linearly from radius × hardness out to the radius, so a
    // soft brush blends its repair into the picture before any feather.
    double hardness = 1.0;
    bool fill = false; // the points are a closed polygon, filled (lasso fill, whole-frame fill or clear)
    bool operator==(const Stroke&) const = default;
};

enum class Interpolation { Hold, Linear };

struct MaskKeyframe {
    qint64 frame = 0; // source frame of the clip's media
    Interpolation interpolation = Interpolation::Hold; // towards the next keyframe
    QList<Stroke> strokes;
    bool operator==(const MaskKeyframe&) const = default;
};

struct Mask {
    qint64 id = 0;
    qint64 clipId = 0;
    double feather = 0; // edge softening radius, fraction of frame height
    QList<MaskKeyframe> keyframes; // sorted by frame, unique frames
    bool operator==(const Mask&) const = default;
};

// Coverage 0–255 of one frame, width × height bytes, row-major.
struct MaskRaster {
    int width = 0, height = 0;
    QByteArray coverage;
    int at(int x, int y) const { return static_cast<unsigned char>(coverage[y * width + x]); }
    int coveredPixels() const; // coverage > 0
};

// The painted strokes of one keyframe, hard-edged.
MaskRaster rasteriseStrokes(const QList<Stroke>& strokes, int width, int height);
// The mask at a source frame: keyframes interpolated, then feathered.
MaskRaster rasteriseMask(const Mask& mask, qint64 sourceFrame, int width, int height);

// What an inpaint request receives for a run of frames: `repaint` is 255 wherever the model must generate
// (any coverage, the feathered fringe included, so the blend never shows old pixels under a soft edge);
// `blend` is the feathered alpha that composites the generated pixels back over the source.
struct InpaintMasks {
    int width = 0, height = 0;
    qint64 firstSourceFrame = 0;
    QList<QByteArray> repaint; // one per frame
    QList<QByteArray> blend;
    bool empty() const; // nothing to repaint anywhere
};
InpaintMasks deriveInpaintMasks(const Mask& mask, qint64 firstSourceFrame, qint64 frameCount, int width,
                                int height);

} // namespace tandem::timeline
