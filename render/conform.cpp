#include "render/conform.h"

#include "render/media_error.h"
#include "render/probe.h"
#include "render/video_decoder.h"

#include <opencv2/imgproc.hpp>

#include <cmath>

namespace tandem::render {

std::vector<uint8_t> coverAndCrop(const uint8_t* rgb, int srcWidth, int srcHeight, int width, int height) {
    const double scale = std::max(double(width) / srcWidth, double(height) / srcHeight);
    const int scaledW = std::max(width, int(std::lround(srcWidth * scale)));
    const int scaledH = std::max(height, int(std::lround(srcHeight * scale)));
    const cv::Mat src(srcHeight, srcWidth, CV_8UC3, const_cast<uint8_t*>(rgb));
    cv::Mat scaled;
    cv::resize(src, scaled, cv::Size(scaledW, scaledH), 0, 0, scale < 1 ? cv::INTER_AREA : cv::INTER_CUBIC);
    const cv::Rect crop((scaledW - width) / 2, (scaledH - height) / 2, width, height);
    std::vector<uint8_t> out(size_t(width) * height * 3);
    cv::Mat dst(height, width, CV_8UC3, out.data());
    scaled(crop).copyTo(dst);
    return out;
}

ConformedMedia conformMedia(const std::string& path, const ConformSpec& spec) {
    const MediaInfo info = probe(path);
    if (info.duration > spec.max_seconds + 1e-3)
        throw MediaError(path + ": " + std::to_string(info.duration) + " s is longer than the " +
                         std::to_string(int(spec.max_seconds)) + " s a shot can be; trim it first");
    ConformedMedia out;
    out.width = spec.width;
    out.height = spec.height;
    out.fps = spec.fps;
    out.sample_rate = spec.sample_rate;
    if (info.firstVideo()) {
        VideoDecoder dec(path);
        const double srcFps = dec.fps() > 0 ? dec.fps() : spec.fps;
        Frame current, next;
        bool haveNext = dec.readNext(next);
        if (!haveNext) throw MediaError(path + ": its video stream has no decodable frame");
        const bool still = info.firstVideo()->frames <= 1 && info.duration < 0.5;
        const int64_t wanted = still ? 1 : std::max<int64_t>(1, std::llround(info.duration * spec.fps));
        for (int64_t i = 0; i < wanted; ++i) {
            // Show the latest source frame whose start time is at or before this output frame's time.
            const double t = i / spec.fps;
            while (haveNext && next.index / srcFps <= t + 1e-9) {
                current = std::move(next);
                haveNext = dec.readNext(next);
            }
            if (current.rgb.empty()) current = next;
            const auto pixels = coverAndCrop(current.rgb.data(), current.width, current.height, spec.width, spec.height);
            out.rgb.insert(out.rgb.end(), pixels.begin(), pixels.end());
            ++out.frames;
        }
    }
    if (info.firstAudio()) out.audio = decodeAudio(path, spec.sample_rate, 1);
    return out;
}

} // namespace tandem::render
