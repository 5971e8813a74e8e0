// Design note: what the timeline draws for an asset — a thumbnail and a coarse waveform — computed once
// when the asset enters the project, from render/ (decoding happens here, never in paint events; the
// waveform's peak levels are cached on disk, see render/waveform).
#pragma once

#include <QImage>
#include <QString>
#include <QVector>

namespace tandem::ui {

struct MediaPreview {
    QImage thumbnail;       // first frame, small
    QVector<float> peaks;   // max |sample| per bin over the whole file, 0..1
};

// Decodes `path` to build its preview; parts that cannot be read are left empty. The waveform is kept in
// `cacheDir` (the project's cache/waveforms) so the next preview of the same file reads it instead.
MediaPreview buildPreview(const QString& path, const QString& cacheDir = {}, int peakBins = 2000);

} // namespace tandem::ui
