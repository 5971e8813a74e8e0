// Design note: plays a buffer of interleaved float audio and provides the playback clock. As in ffplay and
// mpv the audio clock is the master: position() is the time of the sample reaching the speaker now — the
// position of the buffer last handed over, plus the time since it reached the DAC (PortAudio's
// outputBufferDacTime against the stream's clock), times the speed. The viewer presents video against this
// clock (render/av_sync.h says when a frame is late).
//
// One render routine fills every buffer, for two outputs: a PortAudio stream (any host API; JACK's dummy
// driver gives a real-time device on machines without a sound card), or the headless sink — a thread that
// takes buffers at the real-time pace of a device, with a fixed latency, and can keep what it was given so
// tests hear exactly what a speaker would have. Without a usable device the player falls back to it, so
// playback, tests and the editor behave the same everywhere.
//
// Shuttle: any speed, negative backwards (J/K/L); samples are read at the speed with linear interpolation,
// so pitch follows speed as on tape. Scrubbing plays a short grain at the scrubbed position with ramps at
// both ends, so dragging the playhead sounds like the material without clicks.
#pragma once

#include <memory>
#include <string>
#include <vector>

namespace tandem::render {

struct AudioPlayerOptions {
    bool useDevice = true;   // false: the headless sink
    std::string hostApi;     // PortAudio host API to use, e.g. "JACK" or "ALSA"; empty: the default output
    bool recordHeadless = false; // the headless sink keeps every sample it is given (tests)
};

class AudioPlayer {
public:
    // A scrub grain: about two frames at 32 fps, long enough to recognise a syllable's sound.
    static constexpr double kScrubSeconds = 0.06;
    // Ramps at both ends of a scrub grain, so it starts and stops without a click.
    static constexpr double kScrubRampSeconds = 0.005;
    // Headless sink: buffer size and the latency it reports (a typical low-latency device).
    static constexpr int kHeadlessFrames = 256;
    static constexpr double kHeadlessLatency = 0.010;

    explicit AudioPlayer(bool useDevice = true);
    explicit AudioPlayer(const AudioPlayerOptions& options);
    ~AudioPlayer();
    AudioPlayer(const AudioPlayer&) = delete;
    AudioPlayer& operator=(const AudioPlayer&) = delete;

    void load(std::vector<float> interleaved, int sampleRate, int channels);
    void play();
    void pause();
    void seek(double seconds);
    void setSpeed(double speed); // 1 normal, 2 and 4 fast, negative backwards, 0 holds still
    double speed() const;
    void scrub(double seconds);  // moves there and sounds a grain of what is there
    bool playing() const;
    double position() const;     // seconds, the audio clock
    double duration() const;

    bool hasDevice() const;                  // a PortAudio stream is open (else the headless sink plays)
    const std::string& deviceStatus() const; // the device's name, or why there is none
    double outputLatency() const;            // seconds from buffer to speaker
    std::vector<float> takeRecorded();       // what the headless sink was given since the last call

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

} // namespace tandem::render
