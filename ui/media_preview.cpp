#include "ui/media_preview.h"

#include "render/media_error.h"
#include "render/thumbnail.h"
#include "render/video_decoder.h"

#include <algorithm>
#include <cmath>

namespace tandem::ui {

namespace {

QImage toImage(const render::Frame& f) {
    return QImage(f.rgb.data(), f.width, f.height, f.width * 3, QImage::Format_RGB888).copy();
}

} // namespace

MediaPreview buildPreview(const QString& path, int peakBins) {
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
        // 8 kHz mono is plenty for an overview drawn a few pixels per bin.
        const std::vector<float> audio = render::decodeAudio(file, 8000, 1);
        if (!audio.empty()) {
            p.peaks.resize(peakBins);
            const double perBin = double(audio.size()) / peakBins;
            for (int b = 0; b < peakBins; ++b) {
                const size_t from = size_t(b * perBin), to = std::max(from + 1, size_t((b + 1) * perBin));
                float peak = 0;
                for (size_t i = from; i < std::min(to, audio.size()); ++i) peak = std::max(peak, std::abs(audio[i]));
                p.peaks[b] = std::min(1.0f, peak);
            }
        }
    } catch (const render::MediaError&) {
        // silent media: no waveform
    }
    return p;
}

} // namespace tandem::ui
