#include "render/png_file.h"

#include <opencv2/imgcodecs.hpp>

#include <filesystem>
#include <stdexcept>

namespace tandem::render {

void writePngAtomically(const cv::Mat& image, const std::string& pngPath) {
    // The temp name keeps the .png ending: OpenCV picks the encoder from it.
    const std::filesystem::path target(pngPath);
    std::string tmpName = target.stem().string();
    tmpName.insert(tmpName.begin(), '.');
    tmpName += ".part.png";
    const std::filesystem::path tmp = target.parent_path() / tmpName;
    if (!cv::imwrite(tmp.string(), image)) throw std::runtime_error(pngPath + ": cannot be written");
    std::error_code ec;
    std::filesystem::rename(tmp, target, ec);
    if (ec) throw std::runtime_error(pngPath + ": " + ec.message());
}

} // namespace tandem::render
