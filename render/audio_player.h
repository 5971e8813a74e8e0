// Design note: plays a buffer of interleaved float audio through PortAudio and provides the playback clock.
// As in ffplay and mpv the audio clock is the master: position() is the time of the sample reaching the
// speaker now — the position of the buffer being filled minus the device latency still ahead of it
// (outputBufferDacTime − current stream time). The viewer presents video against this clock. Without a
// sound device (a server, a CI machine) the player keeps the same clock from the system's steady clock, so
// playback, tests and the editor work the same with no sound card.
#pragma once

#include <memory>
#include <string>
#include <vector>

namespace tandem::render {

class AudioPlayer {
public:
    // useDevice = false forces the silent (headless) clock.
    explicit AudioPlayer(bool useDevice = true);
    ~AudioPlayer();

    void load(std::vector<float> interleaved, int sampleRate, int channels);
    void play();
    void pause();
    void seek(double seconds);
    bool playing() const;
    double position() const; // seconds, the audio clock
    double duration() const;

    bool hasDevice() const;
    const std::string& deviceStatus() const; // the device's name, or why there is none

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

} // namespace tandem::render
