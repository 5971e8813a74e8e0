// Design note: line charts as PNG (the trainer's loss curves). One panel per series, each with its own
// logarithmic y axis — losses fall over decades and stages differ in scale — drawn with OpenCV and written
// atomically (temp file + rename) so a reader never sees half a picture.
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

} // namespace tandem::render
