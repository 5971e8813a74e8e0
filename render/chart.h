// Design note: line charts as PNG (the trainer's loss and metric curves). One panel per series, each with
// its own y axis — logarithmic for losses, which fall over decades and differ in scale between stages;
// linear for metrics such as a fraction or a number of frames, which start at 0 — drawn with OpenCV and
// written atomically (temp file + rename) so a reader never sees half a picture.
#pragma once

#include <string>
#include <vector>

namespace tandem::render {

struct ChartSeries {
    std::string title;
    std::vector<double> x, y; // y > 0 (non-positive values are left out of a log axis)
};

// Throws std::runtime_error when the file cannot be written or no series has a point.
void writeLogChart(const std::vector<ChartSeries>& panels, const std::string& pngPath, const std::string& xLabel);
// The same with linear y axes that include 0 (any finite y is drawn).
void writeLinearChart(const std::vector<ChartSeries>& panels, const std::string& pngPath, const std::string& xLabel);

} // namespace tandem::render
