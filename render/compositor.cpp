#include "render/compositor.h"

#include "render/media_error.h"
#include "render/video_decoder.h"

#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <cmath>

namespace tandem::render {

Compositor::Compositor(int width, int height, double fps, std::vector<CompositeTrack> tracks)
    : width_(width), height_(height), fps_(fps), tracks_(std::move(tracks)) {
    out_.width = width;
    out_.height = height;
    out_.rgb.assign(size_t(width) * height * 3, 0);
}

Compositor::~Compositor() = default;

const Frame* Compositor::sourceFrame(const CompositeClip& clip, int64_t sequenceFrame) {
    Source& s = sources_[clip.path];
    if (s.failed) return nullptr;
    try {
        if (!s.decoder) s.decoder = std::make_unique<VideoDecoder>(clip.path);
        const double seconds = clip.sourceStart + double(sequenceFrame - clip.start) / fps_;
        // The media frame showing at that instant (the small epsilon keeps exact multiples on their frame).
        const int64_t index = std::max<int64_t>(0, int64_t(std::floor(seconds * s.decoder->fps() + 1e-6)));
        if (s.last.index == index) return &s.last;
        // seekTo reads straight on when `index` is the next frame, so walking forward never seeks.
        const bool ok = s.decoder->seekTo(index, s.last);
        return ok || !s.last.rgb.empty() ? &s.last : nullptr; // past the end: hold the last frame
    } catch (const MediaError&) {
        s.failed = true;
        return nullptr;
    }
}

void Compositor::layer(const Frame& picture, double opacity) {
    // Fit inside the output with the aspect kept, centred.
    const double scale = std::min(double(width_) / picture.width, double(height_) / picture.height);
    const int w = std::max(1, int(std::lround(picture.width * scale)));
    const int h = std::max(1, int(std::lround(picture.height * scale)));
    const cv::Mat src(picture.height, picture.width, CV_8UC3, const_cast<uint8_t*>(picture.rgb.data()));
    cv::Mat fitted;
    if (w == picture.width && h == picture.height) fitted = src;
    else cv::resize(src, fitted, cv::Size(w, h), 0, 0, scale < 1 ? cv::INTER_AREA : cv::INTER_LINEAR);
    cv::Mat out(height_, width_, CV_8UC3, out_.rgb.data());
    cv::Mat region = out(cv::Rect((width_ - w) / 2, (height_ - h) / 2, w, h));
    if (opacity >= 1) fitted.copyTo(region);
    else if (opacity > 0) cv::addWeighted(fitted, opacity, region, 1 - opacity, 0, region);
}

const Frame& Compositor::frameAt(int64_t frame) {
    std::fill(out_.rgb.begin(), out_.rgb.end(), 0);
    out_.index = frame;
    for (const CompositeTrack& track : tracks_) {
        if (track.hidden) continue;
        for (const CompositeClip& clip : track.clips)
            if (frame >= clip.start && frame < clip.start + clip.length)
                if (const Frame* picture = sourceFrame(clip, frame)) layer(*picture, clip.opacity);
    }
    return out_;
}

} // namespace tandem::render
