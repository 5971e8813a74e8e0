#include "render/chart.h"

#include "render/png_file.h"

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <stdexcept>

namespace tandem::render {

namespace {

constexpr int kWidth = 900, kPanelHeight = 240;
constexpr int kLeft = 80, kRight = 20, kTop = 30, kBottom = 40;
const cv::Scalar kInk(40, 40, 40), kGrid(225, 225, 225), kLine(200, 90, 30);

void label(cv::Mat& img, const std::string& text, cv::Point at, double scale = 0.45) {
    cv::putText(img, text, at, cv::FONT_HERSHEY_SIMPLEX, scale, kInk, 1, cv::LINE_AA);
}

std::string shortNumber(double v) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.3g", v);
    return buf;
}

void drawPanel(cv::Mat& img, const ChartSeries& s, int top, const std::string& xLabel) {
    std::vector<std::pair<double, double>> pts;
    for (size_t i = 0; i < std::min(s.x.size(), s.y.size()); ++i)
        if (s.y[i] > 0 && std::isfinite(s.y[i]) && std::isfinite(s.x[i])) pts.emplace_back(s.x[i], std::log10(s.y[i]));
    const cv::Rect plot(kLeft, top + kTop, kWidth - kLeft - kRight, kPanelHeight - kTop - kBottom);
    cv::rectangle(img, plot, kInk, 1);
    label(img, s.title, {kLeft, top + kTop - 10}, 0.55);
    label(img, xLabel, {plot.x + plot.width / 2 - 20, plot.y + plot.height + 32});
    if (pts.empty()) return;
    auto [xMin, xMax] = std::minmax_element(pts.begin(), pts.end(), [](auto& a, auto& b) { return a.first < b.first; });
    auto [yMin, yMax] = std::minmax_element(pts.begin(), pts.end(), [](auto& a, auto& b) { return a.second < b.second; });
    const double x0 = xMin->first, x1 = std::max(xMax->first, x0 + 1);
    const double y0 = std::floor(yMin->second * 2) / 2, y1 = std::max(std::ceil(yMax->second * 2) / 2, y0 + 0.5);
    auto toPixel = [&](double x, double y) {
        return cv::Point(plot.x + int((x - x0) / (x1 - x0) * plot.width), plot.y + plot.height - int((y - y0) / (y1 - y0) * plot.height));
    };
    for (double y = y0; y <= y1 + 1e-9; y += 0.5) { // grid every half decade
        const cv::Point a = toPixel(x0, y), b = toPixel(x1, y);
        cv::line(img, a, b, kGrid, 1);
        label(img, shortNumber(std::pow(10.0, y)), {8, a.y + 4});
    }
    label(img, shortNumber(x0), {plot.x, plot.y + plot.height + 16});
    label(img, shortNumber(x1), {plot.x + plot.width - 40, plot.y + plot.height + 16});
    std::vector<cv::Point> line;
    for (auto& [x, y] : pts) line.push_back(toPixel(x, y));
    cv::polylines(img, line, false, kLine, 2, cv::LINE_AA);
}

} // namespace

void writeLogChart(const std::vector<ChartSeries>& panels, const std::string& pngPath, const std::string& xLabel) {
    if (panels.empty()) throw std::runtime_error("nothing to plot");
    cv::Mat img(kPanelHeight * int(panels.size()), kWidth, CV_8UC3, cv::Scalar(255, 255, 255));
    for (size_t i = 0; i < panels.size(); ++i) drawPanel(img, panels[i], int(i) * kPanelHeight, xLabel);
    writePngAtomically(img, pngPath);
}

} // namespace tandem::render
