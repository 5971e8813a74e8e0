#include "render/contact_sheet.h"

#include "render/png_file.h"

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <stdexcept>

namespace tandem::render {

namespace {

constexpr int kGap = 4;            // pixels between frames
constexpr int kTitleHeight = 28;   // the prompt line
constexpr int kLabelHeight = 16;   // frame times under the frames
constexpr int kWaveHeight = 72;    // the waveform strip
const cv::Scalar kPaper(255, 255, 255), kInk(40, 40, 40), kWave(170, 90, 30), kAxis(200, 200, 200);

// The title, shortened with an ellipsis until it fits the sheet's width.
std::string fitted(const std::string& text, int width, double scale) {
    std::string t = text;
    int baseline = 0;
    while (!t.empty() && cv::getTextSize(t, cv::FONT_HERSHEY_SIMPLEX, scale, 1, &baseline).width > width) t.resize(t.size() - 4), t += "...";
    return t;
}

} // namespace

void writeContactSheet(const ContactSheet& s, const std::string& pngPath) {
    if (s.frames <= 0 || !s.rgb || s.width <= 0 || s.height <= 0) throw std::runtime_error(pngPath + ": a contact sheet needs frames");
    const int columns = int(std::clamp<int64_t>(s.columns, 1, s.frames));
    const int scale = std::max(1, s.scale), fw = s.width * scale, fh = s.height * scale;
    const int sheetWidth = columns * fw + (columns + 1) * kGap;
    const int framesTop = kTitleHeight, waveTop = framesTop + fh + kLabelHeight + kGap;
    cv::Mat img(waveTop + kWaveHeight + kGap, sheetWidth, CV_8UC3, kPaper);
    cv::putText(img, fitted(s.title, sheetWidth - 2 * kGap, 0.5), {kGap, 19}, cv::FONT_HERSHEY_SIMPLEX, 0.5, kInk, 1, cv::LINE_AA);

    // Frames evenly spaced over the shot, first and last included.
    for (int c = 0; c < columns; ++c) {
        const int64_t f = columns == 1 ? 0 : int64_t(std::llround(double(c) * double(s.frames - 1) / (columns - 1)));
        const cv::Mat rgb(s.height, s.width, CV_8UC3, const_cast<uint8_t*>(s.rgb + size_t(f) * s.width * s.height * 3));
        cv::Mat bgr, big;
        cv::cvtColor(rgb, bgr, cv::COLOR_RGB2BGR);
        cv::resize(bgr, big, {fw, fh}, 0, 0, cv::INTER_NEAREST);
        const int x = kGap + c * (fw + kGap);
        big.copyTo(img(cv::Rect(x, framesTop, fw, fh)));
        char label[32];
        std::snprintf(label, sizeof label, "%.2f s", s.fps > 0 ? double(f) / s.fps : 0.0);
        cv::putText(img, label, {x, framesTop + fh + 12}, cv::FONT_HERSHEY_SIMPLEX, 0.35, kInk, 1, cv::LINE_AA);
    }

    // The waveform under the frames: min/max per column of pixels over the whole shot.
    const int left = kGap, width = sheetWidth - 2 * kGap, mid = waveTop + kWaveHeight / 2;
    cv::line(img, {left, mid}, {left + width, mid}, kAxis);
    if (!s.audio.empty())
        for (int x = 0; x < width; ++x) {
            const size_t a = s.audio.size() * size_t(x) / size_t(width), b = std::max(a + 1, s.audio.size() * size_t(x + 1) / size_t(width));
            float lo = 0, hi = 0;
            for (size_t i = a; i < std::min(b, s.audio.size()); ++i) lo = std::min(lo, s.audio[i]), hi = std::max(hi, s.audio[i]);
            const int half = kWaveHeight / 2 - 2;
            cv::line(img, {left + x, mid - int(std::lround(hi * half))}, {left + x, mid - int(std::lround(lo * half))}, kWave);
        }
    writePngAtomically(img, pngPath);
}

} // namespace tandem::render
