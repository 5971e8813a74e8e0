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
// A series with this few points (an evaluation every few hundred steps) has each point marked.
constexpr size_t kMarkedPoints = 60;

void label(cv::Mat& img, const std::string& text, cv::Point at, double scale = 0.45) {
    cv::putText(img, text, at, cv::FONT_HERSHEY_SIMPLEX, scale, kInk, 1, cv::LINE_AA);
}

std::string shortNumber(double v) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.3g", v);
    return buf;
}

// Where a panel's y values sit on its axis: log10 of each for a logarithmic axis.
struct Axis {
    bool logarithmic;
    bool keeps(double y) const { return std::isfinite(y) && (!logarithmic || y > 0); }
    double place(double y) const { return logarithmic ? std::log10(y) : y; }
    double value(double placed) const { return logarithmic ? std::pow(10.0, placed) : placed; }
};

void drawPanel(cv::Mat& img, const ChartSeries& s, int top, const std::string& xLabel, const Axis& axis) {
    std::vector<std::pair<double, double>> pts;
    for (size_t i = 0; i < std::min(s.x.size(), s.y.size()); ++i)
        if (axis.keeps(s.y[i]) && std::isfinite(s.x[i])) pts.emplace_back(s.x[i], axis.place(s.y[i]));
    const cv::Rect plot(kLeft, top + kTop, kWidth - kLeft - kRight, kPanelHeight - kTop - kBottom);
    cv::rectangle(img, plot, kInk, 1);
    label(img, s.title, {kLeft, top + kTop - 10}, 0.55);
    label(img, xLabel, {plot.x + plot.width / 2 - 20, plot.y + plot.height + 32});
    if (pts.empty()) return;
    auto [xMin, xMax] = std::minmax_element(pts.begin(), pts.end(), [](auto& a, auto& b) { return a.first < b.first; });
    auto [yMin, yMax] = std::minmax_element(pts.begin(), pts.end(), [](auto& a, auto& b) { return a.second < b.second; });
    const double x0 = xMin->first, x1 = std::max(xMax->first, x0 + 1);
    // Log axes: grid every half decade. Linear axes: from 0 (or below, for negative values), four intervals.
    double y0, y1, gridStep;
    if (axis.logarithmic) {
        y0 = std::floor(yMin->second * 2) / 2, y1 = std::max(std::ceil(yMax->second * 2) / 2, y0 + 0.5), gridStep = 0.5;
    } else {
        y0 = std::min(0.0, yMin->second), y1 = yMax->second;
        if (y1 - y0 < 1e-6) y1 = y0 + 1; // all zeros: a unit axis
        gridStep = (y1 - y0) / 4;
    }
    auto toPixel = [&](double x, double y) {
        return cv::Point(plot.x + int((x - x0) / (x1 - x0) * plot.width), plot.y + plot.height - int((y - y0) / (y1 - y0) * plot.height));
    };
    for (double y = y0; y <= y1 + gridStep * 1e-6; y += gridStep) {
        const cv::Point a = toPixel(x0, y), b = toPixel(x1, y);
        cv::line(img, a, b, kGrid, 1);
        label(img, shortNumber(axis.value(y)), {8, a.y + 4});
    }
    label(img, shortNumber(x0), {plot.x, plot.y + plot.height + 16});
    label(img, shortNumber(x1), {plot.x + plot.width - 40, plot.y + plot.height + 16});
    std::vector<cv::Point> line;
    for (auto& [x, y] : pts) line.push_back(toPixel(x, y));
    cv::polylines(img, line, false, kLine, 2, cv::LINE_AA);
    if (line.size() <= kMarkedPoints)
        for (const auto& p : line) cv::circle(img, p, 3, kLine, cv::FILLED, cv::LINE_AA);
}

void writeChart(const std::vector<ChartSeries>& panels, const std::string& pngPath, const std::string& xLabel, const Axis& axis) {
    if (panels.empty()) throw std::runtime_error("nothing to plot");
    cv::Mat img(kPanelHeight * int(panels.size()), kWidth, CV_8UC3, cv::Scalar(255, 255, 255));
    for (size_t i = 0; i < panels.size(); ++i) drawPanel(img, panels[i], int(i) * kPanelHeight, xLabel, axis);
    writePngAtomically(img, pngPath);
}

} // namespace

void writeLogChart(const std::vector<ChartSeries>& panels, const std::string& pngPath, const std::string& xLabel) {
    writeChart(panels, pngPath, xLabel, Axis{true});
}

void writeLinearChart(const std::vector<ChartSeries>& panels, const std::string& pngPath, const std::string& xLabel) {
    writeChart(panels, pngPath, xLabel, Axis{false});
}

} // namespace tandem::render
