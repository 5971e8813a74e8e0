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

namespace {
constexpr int kNumberCells = 12;
constexpr int kCellWidth = 10, kNumberHeight = 16;
} // namespace

void writeNumberedMovie(const std::string& path, int frames, double fps) {
    render::MovieSettings s;
    s.width = kNumberCells * kCellWidth;
    s.height = kNumberHeight;
    s.fps = fps;
    s.crf = 10;
    s.preset = "ultrafast";
    render::MovieWriter w(path, s);
    std::vector<uint8_t> frame(static_cast<size_t>(s.width) * s.height * 3);
    for (int i = 0; i < frames; ++i) {
        for (int y = 0; y < s.height; ++y)
            for (int x = 0; x < s.width; ++x) {
                const bool bit = (i >> (x / kCellWidth)) & 1;
                std::fill_n(frame.begin() + (size_t(y) * s.width + x) * 3, 3, bit ? 235 : 16);
            }
        w.addFrame(frame.data());
    }
    w.finish();
}

int readBurnedNumber(const uint8_t* rgb, int width, int height) {
    int n = 0;
    for (int cell = 0; cell < kNumberCells; ++cell) {
        const int x = (2 * cell + 1) * width / (2 * kNumberCells), y = height / 2;
        const int level = rgb[(size_t(y) * width + x) * 3 + 1];
        if (level > 80 && level < 170) return -1; // neither black nor white: not a clean frame
        if (level >= 170) n |= 1 << cell;
    }
    return n;
}

void writeSolidMovie(const std::string& path, int width, int height, int frames, double fps, uint8_t level) {
    render::MovieSettings s;
    s.width = width;
    s.height = height;
    s.fps = fps;
    s.crf = 10;
    s.preset = "ultrafast";
    render::MovieWriter w(path, s);
    const std::vector<uint8_t> frame(static_cast<size_t>(width) * height * 3, level);
    for (int i = 0; i < frames; ++i) w.addFrame(frame.data());
    w.finish();
}

std::string writeBurstWav(const std::string& path, float left, float right) {
    const int rate = 48000, frames = 96000;
    std::vector<int16_t> pcm(size_t(frames) * 2, 0);
    for (int i = 48000; i < 72000; ++i) {
        pcm[size_t(i) * 2] = int16_t(left * 32767);
        pcm[size_t(i) * 2 + 1] = int16_t(right * 32767);
    }
    std::ofstream f(path, std::ios::binary | std::ios::trunc);
    auto u32 = [&](uint32_t v) { f.write(reinterpret_cast<const char*>(&v), 4); };
    auto u16 = [&](uint16_t v) { f.write(reinterpret_cast<const char*>(&v), 2); };
    const uint32_t bytes = uint32_t(pcm.size() * 2);
    f.write("RIFF", 4);
    u32(36 + bytes);
    f.write("WAVEfmt ", 8);
    u32(16);
    u16(1); // PCM
    u16(2);
    u32(rate);
    u32(rate * 4);
    u16(4);
    u16(16);
    f.write("data", 4);
    u32(bytes);
    f.write(reinterpret_cast<const char*>(pcm.data()), std::streamsize(pcm.size() * 2));
    return path;
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
