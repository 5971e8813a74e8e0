// Test fixtures: small movies made on the fly with render/, so no binary media lives in the repository.
#pragma once

#include <string>

namespace tandem::test {

// A movie whose frame i is filled with grey level (i * 16) % 256 … and whose audio is a 440 Hz tone.
// Each frame's pixels encode its index, so decoders can be checked frame by frame.
struct TestMovie {
    int width = 64, height = 48, frames = 32;
    double fps = 16;
    int sampleRate = 16000; // 0 = no audio
};
void writeTestMovie(const std::string& path, const TestMovie& spec);

// A silent movie whose frames carry their index burned in as 12 black/white cells (kNumberCells wide,
// one row, least significant bit first) — decodes can be checked frame by frame for any index.
void writeNumberedMovie(const std::string& path, int frames, double fps);
// The index burned into a decoded picture of such a movie (after any scaling), or −1 if unreadable.
int readBurnedNumber(const uint8_t* rgb, int width, int height);

// A silent movie of `frames` frames of one grey level.
void writeSolidMovie(const std::string& path, int width, int height, int frames, double fps, uint8_t level);

// A 48 kHz stereo 16-bit WAV of 2 s: 1 s of silence, 0.5 s of constant (left, right), 0.5 s of silence.
std::string writeBurstWav(const std::string& path, float left, float right);

// Grey level that frame `index` of a test movie carries.
int testMovieLevel(int index);

// A fresh, empty folder for a test's files.
std::string freshTempDir(const std::string& name);

// The whole of a text file (empty when it cannot be read).
std::string readFile(const std::string& path);

} // namespace tandem::test
