#include "support/test_media.h"

#include "render/movie_writer.h"

#include <cmath>
#include <unistd.h>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <vector>

namespace tandem::test {

int testMovieLevel(int index) { return 16 + (index * 24) % 224; }

void writeTestMovie(const std::string& path, const TestMovie& spec) {
    render::MovieSettings s;
    s.width = spec.width;
    s.height = spec.height;
    s.fps = spec.fps;
    s.input_sample_rate = spec.sampleRate;
    s.crf = 10;
    s.preset = "ultrafast";
    render::MovieWriter w(path, s);
    std::vector<uint8_t> frame(static_cast<size_t>(spec.width) * spec.height * 3);
    for (int i = 0; i < spec.frames; ++i) {
        std::fill(frame.begin(), frame.end(), static_cast<uint8_t>(testMovieLevel(i)));
        w.addFrame(frame.data());
    }
    if (spec.sampleRate > 0) {
        const auto n = static_cast<int64_t>(std::llround(spec.frames / spec.fps * spec.sampleRate));
        std::vector<float> tone(static_cast<size_t>(n));
        for (int64_t i = 0; i < n; ++i) tone[i] = 0.5f * std::sin(2 * M_PI * 440.0 * i / spec.sampleRate);
        w.addAudio(tone.data(), n);
    }
    w.finish();
}

std::string freshTempDir(const std::string& name) {
    namespace fs = std::filesystem;
    const fs::path dir = fs::temp_directory_path() / ("tandem-test-" + name + "-" + std::to_string(::getpid()));
    fs::remove_all(dir);
    fs::create_directories(dir);
    return dir.string();
}

std::string readFile(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

} // namespace tandem::test
