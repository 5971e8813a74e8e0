#include "render/compositor.h"

#include "render/ffmpeg_util.h"
#include "render/frame_cache.h"
#include "render/media_error.h"
#include "render/video_decoder.h"

#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <cmath>

namespace tandem::render {

namespace {

// Tints `region` toward the overlay's colour where its mask covers (the mask is stretched to the region).
void tint(cv::Mat& region, const MaskOverlay& overlay, double opacity) {
    const cv::Mat coverage(overlay.height, overlay.width, CV_8UC1, const_cast<uint8_t*>(overlay.coverage.data()));
    cv::Mat alpha;
    cv::resize(coverage, alpha, region.size(), 0, 0, cv::INTER_LINEAR);
    alpha.convertTo(alpha, CV_32F, overlay.strength * opacity / 255.0);
    cv::Mat alpha3, regionF, result;
    cv::merge(std::vector<cv::Mat>{alpha, alpha, alpha}, alpha3);
    region.convertTo(regionF, CV_32FC3);
    const cv::Mat colour(region.size(), CV_32FC3, cv::Scalar(overlay.red, overlay.green, overlay.blue));
    // region + alpha · (colour − region)
    result = regionF + alpha3.mul(colour - regionF);
    result.convertTo(region, CV_8UC3);
}

} // namespace

std::vector<LayerRequest> layersAt(const std::vector<CompositeTrack>& tracks, double fps, int64_t frame) {
    std::vector<LayerRequest> layers;
    for (const CompositeTrack& track : tracks) {
        if (track.hidden) continue;
        const auto& clips = track.clips;
        for (size_t i = 0; i < clips.size(); ++i) {
            const CompositeClip& clip = clips[i];
            // The dissolve into this clip begins L/2 before its cut; the one out of it ends L − L/2 after.
            const int64_t lead = clip.dissolveIn / 2;
            const int64_t next = i + 1 < clips.size() && clips[i + 1].start == clip.start + clip.length
                                     ? clips[i + 1].dissolveIn : 0;
            const int64_t first = clip.start - lead;
            const int64_t end = clip.start + clip.length + (next - next / 2);
            if (frame < first || frame >= end) continue;
            double opacity = clip.opacity;
            const int64_t offset = frame - clip.start; // frames into the clip
            if (clip.fadeIn > 0 && offset >= 0 && offset < clip.fadeIn)
                opacity *= (double(offset) + 0.5) / double(clip.fadeIn);
            const int64_t left = clip.start + clip.length - 1 - frame; // frames before its last
            if (clip.fadeOut > 0 && left >= 0 && left < clip.fadeOut)
                opacity *= (double(left) + 0.5) / double(clip.fadeOut);
            // The incoming clip's weight is i/L on the dissolve's i-th frame (½ for a one-frame dissolve):
            // MLT's luma transition, so a sequence handed to Shotcut or Kdenlive dissolves as it does here.
            if (clip.dissolveIn > 0 && frame < first + clip.dissolveIn)
                opacity *= clip.dissolveIn == 1 ? 0.5 : double(frame - first) / double(clip.dissolveIn);
            const double seconds = clip.sourceStart + double(frame - clip.start) / fps;
            layers.push_back({&clip, std::max(0.0, seconds), opacity});
        }
    }
    return layers;
}

const Frame* decodeAt(std::unique_ptr<VideoDecoder>& decoder, bool& failed, const std::string& path,
                      double seconds) {
    if (failed) return nullptr;
    try {
        if (!decoder) decoder = std::make_unique<VideoDecoder>(path);
        return decoder->frameAtTime(decoder->nearestFrameTime(seconds));
    } catch (const MediaError&) {
        failed = true;
        return nullptr;
    }
}

Compositor::Compositor(int width, int height, double fps, std::vector<CompositeTrack> tracks,
                       std::shared_ptr<FrameCache> cache)
    : width_(width), height_(height), fps_(fps), tracks_(std::move(tracks)), cache_(std::move(cache)) {
    out_.width = width;
    out_.height = height;
    out_.rgb.assign(size_t(width) * height * 3, 0);
}

Compositor::~Compositor() = default;

const Frame* Compositor::sourceFrame(const std::string& path, double seconds) {
    const FrameKey key = FrameKey::at(path, seconds);
    if (cache_) {
        held_ = cache_->find(key);
        if (held_) return held_.get();
    }
    Source& s = sources_[path];
    const Frame* picture = decodeAt(s.decoder, s.failed, path, seconds);
    if (picture && cache_) {
        held_ = std::make_shared<const Frame>(*picture);
        cache_->insert(key, held_);
    }
    return picture;
}

void Compositor::layer(const Frame& picture, double opacity, const MaskOverlay* overlay) {
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
    if (overlay && overlay->width > 0 && overlay->height > 0 && opacity > 0) tint(region, *overlay, opacity);
}

const AVFrame* Compositor::passthroughAt(int64_t frame) {
    const std::vector<LayerRequest> layers = layersAt(tracks_, fps_, frame);
    if (layers.size() != 1 || layers[0].opacity < 1 || layers[0].clip->overlay) return nullptr;
    Source& s = sources_[layers[0].clip->path];
    if (!decodeAt(s.decoder, s.failed, layers[0].clip->path, layers[0].mediaSeconds) || s.decoder->rotation() != 0)
        return nullptr;
    const AVFrame* raw = s.decoder->rawFrameAtTime(s.decoder->nearestFrameTime(layers[0].mediaSeconds));
    return raw && raw->width == width_ && raw->height == height_ ? raw : nullptr;
}

const Frame& Compositor::frameAt(int64_t frame) {
    std::fill(out_.rgb.begin(), out_.rgb.end(), 0);
    out_.index = frame;
    for (const LayerRequest& request : layersAt(tracks_, fps_, frame))
        if (const Frame* picture = sourceFrame(request.clip->path, request.mediaSeconds))
            layer(*picture, request.opacity, request.clip->overlay.get());
    held_.reset();
    return out_;
}

} // namespace tandem::render
