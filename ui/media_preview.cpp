#include "ui/media_preview.h"

#include "render/media_error.h"
#include "render/thumbnail.h"
#include "render/video_decoder.h"
#include "render/waveform.h"

#include <algorithm>
#include <cmath>

namespace tandem::ui {

namespace {

QImage toImage(const render::Frame& f) {
    return QImage(f.rgb.data(), f.width, f.height, f.width * 3, QImage::Format_RGB888).copy();
}

} // namespace

MediaPreview buildPreview(const QString& path, const QString& cacheDir, int peakBins) {
    MediaPreview p;
    const std::string file = path.toStdString();
    try {
        render::VideoDecoder dec(file);
        render::Frame frame;
        if (dec.readNext(frame)) p.thumbnail = toImage(render::makeThumbnail(frame, 160, 90));
    } catch (const render::MediaError&) {
        // audio-only media: no thumbnail
    }
    try {
        // Peaks come from the media's waveform, cached in the project so reopening never decodes again.
        const render::Waveform w = cacheDir.isEmpty() ? render::computeWaveform(file)
                                                      : render::loadOrComputeWaveform(file, cacheDir.toStdString());
        if (w.sampleCount > 0) {
            p.peaks.resize(peakBins);
            const auto left = w.columns(0, 0, w.sampleCount, peakBins), right = w.columns(1, 0, w.sampleCount, peakBins);
            for (int b = 0; b < peakBins; ++b) {
                const float peak = std::max({std::abs(left[b].first), std::abs(left[b].second), std::abs(right[b].first),
                                             std::abs(right[b].second)});
                p.peaks[b] = std::min(1.0f, peak);
            }
        }
    } catch (const render::MediaError&) {
        // silent media: no waveform
    }
    return p;
}

} // namespace tandem::ui
