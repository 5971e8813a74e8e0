#include "render/image_sequence.h"

#include "render/media_error.h"
#include "render/movie_writer.h"

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

namespace tandem::render {

namespace {

// Near-lossless: the frames are someone's finished pictures, not a preview.
constexpr int kImageSequenceCrf = 10;

cv::Mat readRgb(const std::string& path) {
    cv::Mat image = cv::imread(path, cv::IMREAD_COLOR);
    if (image.empty()) throw MediaError(path + ": not a readable image");
    cv::Mat rgb;
    cv::cvtColor(image, rgb, cv::COLOR_BGR2RGB);
    return rgb;
}

} // namespace

void writeImageSequenceMovie(const std::vector<std::string>& frames, double fps, const std::string& moviePath) {
    if (frames.empty()) throw MediaError(moviePath + ": an image sequence needs at least one frame");
    if (!(fps > 0)) throw MediaError(moviePath + ": an image sequence needs a positive rate");
    cv::Mat first = readRgb(frames.front());
    // H.264 in 4:2:0 wants even sizes: an odd row or column is dropped.
    const int width = first.cols & ~1, height = first.rows & ~1;
    if (width < 2 || height < 2) throw MediaError(frames.front() + ": the image is too small");
    MovieSettings settings;
    settings.width = width;
    settings.height = height;
    settings.fps = fps;
    settings.crf = kImageSequenceCrf;
    MovieWriter writer(moviePath, settings);
    for (size_t i = 0; i < frames.size(); ++i) {
        cv::Mat rgb = i == 0 ? first : readRgb(frames[i]);
        if (rgb.cols != first.cols || rgb.rows != first.rows)
            throw MediaError(frames[i] + ": the frame's size differs from the sequence's first frame");
        cv::Mat cropped = rgb(cv::Rect(0, 0, width, height)).clone();
        writer.addFrame(cropped.data);
    }
    writer.finish();
}

} // namespace tandem::render
