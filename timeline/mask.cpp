#include "timeline/mask.h"

#include <algorithm>
#include <cmath>
#include <vector>

namespace tandem::timeline {

namespace {

// Squared distance from p to the segment a–b.
double distanceSquared(QPointF p, QPointF a, QPointF b) {
    const QPointF ab = b - a;
    const double len2 = QPointF::dotProduct(ab, ab);
    const double t = len2 > 0 ? std::clamp(QPointF::dotProduct(p - a, ab) / len2, 0.0, 1.0) : 0.0;
    const QPointF d = p - (a + t * ab);
    return QPointF::dotProduct(d, d);
}

// Coverage of a brush at squared distance d2 from its spine: full inside radius × hardness, then a linear fall
// to nothing at the radius.
int brushCoverage(double d2, double r, double hardness) {
    if (d2 > r * r) return 0;
    const double inner = r * std::clamp(hardness, 0.0, 1.0);
    const double d = std::sqrt(d2);
    if (d <= inner) return 255;
    return int(std::lround(255.0 * (r - d) / (r - inner)));
}

// Paint keeps the larger coverage, erase the smaller remainder, so overlapping soft dabs never darken seams.
void apply(unsigned char& pixel, int coverage, bool erase) {
    if (erase) pixel = static_cast<unsigned char>(std::min<int>(pixel, 255 - coverage));
    else pixel = static_cast<unsigned char>(std::max<int>(pixel, coverage));
}

// Fills the polygon of a fill stroke (even-odd rule, pixel centres), one scanline at a time.
void fillPolygon(const Stroke& s, int width, int height, unsigned char* out) {
    const int n = int(s.points.size());
    if (n < 3) return;
    std::vector<double> crossings;
    for (int y = 0; y < height; ++y) {
        const double cy = (y + 0.5) / height;
        crossings.clear();
        for (int i = 0; i < n; ++i) {
            const QPointF a = s.points[i], b = s.points[(i + 1) % n];
            if ((a.y() <= cy) == (b.y() <= cy)) continue;
            crossings.push_back((a.x() + (cy - a.y()) / (b.y() - a.y()) * (b.x() - a.x())) * width);
        }
        std::sort(crossings.begin(), crossings.end());
        for (size_t k = 0; k + 1 < crossings.size(); k += 2) {
            const int x0 = std::max(0, int(std::ceil(crossings[k] - 0.5)));
            const int x1 = std::min(width - 1, int(std::floor(crossings[k + 1] - 0.5)));
            for (int x = x0; x <= x1; ++x) apply(out[y * width + x], 255, s.erase);
        }
    }
}

// Paints (or erases) one stroke: a chain of round-capped segments, in pixel units.
void paintStroke(const Stroke& s, int width, int height, unsigned char* out) {
    if (s.points.isEmpty()) return;
    if (s.fill) return fillPolygon(s, width, height, out);
    const double r = std::max(0.5, s.radius * height);
    auto toPixels = [&](QPointF p) { return QPointF(p.x() * width, p.y() * height); };
    for (int i = 0; i < s.points.size(); ++i) {
        const QPointF a = toPixels(s.points[i]);
        const QPointF b = toPixels(s.points[std::min<int>(i + 1, s.points.size() - 1)]);
        const int x0 = std::max(0, int(std::floor(std::min(a.x(), b.x()) - r)));
        const int x1 = std::min(width - 1, int(std::ceil(std::max(a.x(), b.x()) + r)));
        const int y0 = std::max(0, int(std::floor(std::min(a.y(), b.y()) - r)));
        const int y1 = std::min(height - 1, int(std::ceil(std::max(a.y(), b.y()) + r)));
        for (int y = y0; y <= y1; ++y)
            for (int x = x0; x <= x1; ++x) {
                const int c = brushCoverage(distanceSquared(QPointF(x + 0.5, y + 0.5), a, b), r, s.hardness);
                if (c > 0) apply(out[y * width + x], c, s.erase);
            }
        if (s.points.size() == 1) break;
    }
}

// One running-box pass of half-width k along a line of `count` values `stride` apart, edges clamped;
// O(count) whatever k, so wide feathers on full-HD masks stay cheap.
void boxLine(const float* in, float* out, int count, int stride, int k) {
    auto at = [&](int i) { return in[std::clamp(i, 0, count - 1) * stride]; };
    float sum = 0;
    for (int d = -k; d <= k; ++d) sum += at(d);
    const float norm = 1.0f / float(2 * k + 1);
    for (int i = 0; i < count; ++i) {
        out[i * stride] = sum * norm;
        sum += at(i + k + 1) - at(i - k);
    }
}

void boxBlur(std::vector<float>& v, int width, int height, int k) {
    std::vector<float> tmp(v.size());
    for (int y = 0; y < height; ++y) boxLine(&v[size_t(y) * width], &tmp[size_t(y) * width], width, 1, k);
    for (int x = 0; x < width; ++x) boxLine(&tmp[x], &v[x], height, width, k);
}

// Three box passes approximate a Gaussian whose visible reach is about `radiusPixels`.
MaskRaster feathered(const MaskRaster& hard, double radiusPixels) {
    const int k = int(std::lround(radiusPixels / 3.0));
    if (k < 1) return hard;
    std::vector<float> v(hard.coverage.size());
    for (size_t i = 0; i < v.size(); ++i) v[i] = static_cast<unsigned char>(hard.coverage[qsizetype(i)]);
    for (int pass = 0; pass < 3; ++pass) boxBlur(v, hard.width, hard.height, k);
    MaskRaster out{hard.width, hard.height, QByteArray(hard.coverage.size(), 0)};
    for (size_t i = 0; i < v.size(); ++i)
        out.coverage[qsizetype(i)] = char(std::clamp(int(std::lround(v[i])), 0, 255));
    return out;
}

MaskRaster blendRasters(const MaskRaster& a, const MaskRaster& b, double t) {
    MaskRaster out{a.width, a.height, QByteArray(a.coverage.size(), 0)};
    for (qsizetype i = 0; i < a.coverage.size(); ++i) {
        const double va = static_cast<unsigned char>(a.coverage[i]);
        const double vb = static_cast<unsigned char>(b.coverage[i]);
        out.coverage[i] = char(std::lround(va + (vb - va) * t));
    }
    return out;
}

} // namespace

int MaskRaster::coveredPixels() const {
    return int(std::count_if(coverage.begin(), coverage.end(), [](char c) { return c != 0; }));
}

MaskRaster rasteriseStrokes(const QList<Stroke>& strokes, int width, int height) {
    MaskRaster out{width, height, QByteArray(qsizetype(width) * height, 0)};
    for (const Stroke& s : strokes) paintStroke(s, width, height, reinterpret_cast<unsigned char*>(out.coverage.data()));
    return out;
}

MaskRaster rasteriseMask(const Mask& mask, qint64 sourceFrame, int width, int height) {
    const auto& kfs = mask.keyframes;
    if (kfs.isEmpty()) return {width, height, QByteArray(qsizetype(width) * height, 0)};
    // The last keyframe at or before the frame (or the first, before any keyframe).
    int k = 0;
    while (k + 1 < kfs.size() && kfs[k + 1].frame <= sourceFrame) ++k;
    MaskRaster hard = rasteriseStrokes(kfs[k].strokes, width, height);
    const bool between = sourceFrame > kfs[k].frame && k + 1 < kfs.size();
    if (between && kfs[k].interpolation == Interpolation::Linear) {
        const double t = double(sourceFrame - kfs[k].frame) / double(kfs[k + 1].frame - kfs[k].frame);
        hard = blendRasters(hard, rasteriseStrokes(kfs[k + 1].strokes, width, height), t);
    }
    return feathered(hard, mask.feather * height);
}

bool InpaintMasks::empty() const {
    return std::all_of(repaint.begin(), repaint.end(),
                       [](const QByteArray& f) { return std::all_of(f.begin(), f.end(), [](char c) { return c == 0; }); });
}

InpaintMasks deriveInpaintMasks(const Mask& mask, qint64 firstSourceFrame, qint64 frameCount, int width,
                                int height) {
    InpaintMasks out{width, height, firstSourceFrame, {}, {}};
    for (qint64 f = 0; f < frameCount; ++f) {
        const MaskRaster soft = rasteriseMask(mask, firstSourceFrame + f, width, height);
        QByteArray repaint(soft.coverage.size(), 0);
        for (qsizetype i = 0; i < repaint.size(); ++i) repaint[i] = soft.coverage[i] ? char(255) : char(0);
        out.repaint.append(repaint);
        out.blend.append(soft.coverage);
    }
    return out;
}

} // namespace tandem::timeline
