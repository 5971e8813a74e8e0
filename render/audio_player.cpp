#include "render/audio_player.h"

#include <portaudio.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <cstring>
#include <mutex>
#include <thread>
#include <utility>

namespace tandem::render {

namespace {
using Clock = std::chrono::steady_clock;

bool containsNoCase(std::string text, std::string part) {
    auto lower = [](std::string& s) { std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); }); };
    lower(text);
    lower(part);
    return text.find(part) != std::string::npos;
}
} // namespace

struct AudioPlayer::Impl {
    AudioPlayerOptions options;
    std::vector<float> samples;
    int rate = 48000, channels = 2;

    // Playback state, shared with the output thread; held only for a buffer's worth of copying.
    mutable std::mutex mutex;
    double cursor = 0; // next source frame (fractional at shuttle speeds) the output will read
    double speedNow = 1;
    bool isPlaying = false;
    double scrubCursor = 0;
    int64_t scrubDone = 0, scrubLength = 0;
    // Clock anchor: the source position of the last buffer's first frame, when it reaches the DAC, at what speed.
    double anchorPosition = 0, anchorDacTime = 0, anchorSpeed = 1;
    bool anchored = false;
    double clockStart = 0; // the cursor when play, seek or speed last changed

    // Output: a PortAudio stream, or the headless sink thread.
    bool paInitialised = false;
    PaStream* stream = nullptr;
    std::string status;
    Clock::time_point epoch = Clock::now();
    std::thread headless;
    std::atomic<bool> headlessRunning{false};
    std::vector<float> recorded;

    int64_t totalFrames() const { return int64_t(samples.size()) / std::max(1, channels); }

    // The sample of channel `c` at fractional source frame `pos` (linear interpolation), 0 outside.
    float sampleAt(double pos, int c) const {
        const int64_t i = int64_t(std::floor(pos));
        if (i < 0 || i >= totalFrames()) return 0.f;
        const float a = samples[size_t(i) * channels + c];
        const float b = i + 1 < totalFrames() ? samples[size_t(i + 1) * channels + c] : a;
        const float f = float(pos - double(i));
        return a + (b - a) * f;
    }

    // Fills one output buffer; `dacTime` is when its first frame reaches the speaker, on the output's clock.
    void render(float* out, unsigned long frames, double dacTime) {
        std::lock_guard lock(mutex);
        std::memset(out, 0, size_t(frames) * channels * sizeof(float));
        if (isPlaying && speedNow != 0) {
            anchorPosition = cursor;
            anchorDacTime = dacTime;
            anchorSpeed = speedNow;
            anchored = true;
            if (speedNow == 1 && cursor == std::floor(cursor)) { // the common case: a straight copy
                const int64_t start = int64_t(cursor);
                const int64_t n = std::clamp<int64_t>(totalFrames() - start, 0, int64_t(frames));
                if (n > 0) std::memcpy(out, samples.data() + start * channels, size_t(n) * channels * sizeof(float));
            } else {
                for (unsigned long i = 0; i < frames; ++i)
                    for (int c = 0; c < channels; ++c) out[i * channels + c] = sampleAt(cursor + double(i) * speedNow, c);
            }
            cursor = std::clamp(cursor + double(frames) * speedNow, 0.0, double(totalFrames()));
        } else if (scrubDone < scrubLength) {
            const int64_t ramp = std::max<int64_t>(1, std::llround(kScrubRampSeconds * rate));
            const int64_t n = std::min<int64_t>(scrubLength - scrubDone, int64_t(frames));
            for (int64_t i = 0; i < n; ++i) {
                const int64_t k = scrubDone + i;
                const float gain = float(std::min({1.0, double(k) / ramp, double(scrubLength - 1 - k) / ramp}));
                for (int c = 0; c < channels; ++c) out[i * channels + c] = gain * sampleAt(scrubCursor + double(i), c);
            }
            scrubCursor += double(n);
            scrubDone += n;
        }
    }

    double outputNow() const {
        if (stream) return Pa_GetStreamTime(stream);
        return std::chrono::duration<double>(Clock::now() - epoch).count();
    }

    static int callback(const void*, void* output, unsigned long frames, const PaStreamCallbackTimeInfo* time,
                        PaStreamCallbackFlags, void* user) {
        static_cast<Impl*>(user)->render(static_cast<float*>(output), frames, time->outputBufferDacTime);
        return paContinue;
    }

    // The headless sink: takes a buffer every kHeadlessFrames / rate seconds, like a device would.
    void runHeadless() {
        std::vector<float> buffer;
        auto next = Clock::now();
        while (headlessRunning) {
            buffer.resize(size_t(kHeadlessFrames) * channels);
            const double now = std::chrono::duration<double>(next - epoch).count();
            render(buffer.data(), kHeadlessFrames, now + kHeadlessLatency);
            if (options.recordHeadless) {
                std::lock_guard lock(mutex);
                recorded.insert(recorded.end(), buffer.begin(), buffer.end());
            }
            next += std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(double(kHeadlessFrames) / rate));
            std::this_thread::sleep_until(next);
        }
    }

    void stopOutput() {
        if (stream) {
            Pa_StopStream(stream);
            Pa_CloseStream(stream);
            stream = nullptr;
        }
        if (headlessRunning) {
            headlessRunning = false;
            headless.join();
        }
    }

    PaDeviceIndex chooseDevice() {
        if (options.hostApi.empty()) return Pa_GetDefaultOutputDevice();
        for (PaHostApiIndex h = 0; h < Pa_GetHostApiCount(); ++h) {
            const PaHostApiInfo* info = Pa_GetHostApiInfo(h);
            if (info && containsNoCase(info->name, options.hostApi)) return info->defaultOutputDevice;
        }
        return paNoDevice;
    }

    bool openDevice() {
        if (!paInitialised) return false;
        const PaDeviceIndex dev = chooseDevice();
        if (dev == paNoDevice) {
            status = options.hostApi.empty() ? "no audio output device" : "no " + options.hostApi + " output device";
            return false;
        }
        PaStreamParameters params{};
        params.device = dev;
        params.channelCount = channels;
        params.sampleFormat = paFloat32;
        params.suggestedLatency = Pa_GetDeviceInfo(dev)->defaultLowOutputLatency;
        PaError err = Pa_OpenStream(&stream, nullptr, &params, rate, paFramesPerBufferUnspecified, paNoFlag,
                                    &Impl::callback, this);
        if (err == paNoError) err = Pa_StartStream(stream);
        if (err != paNoError) {
            status = std::string("audio device unavailable: ") + Pa_GetErrorText(err);
            if (stream) Pa_CloseStream(stream);
            stream = nullptr;
            return false;
        }
        status = Pa_GetDeviceInfo(dev)->name;
        return true;
    }

    void startOutput() {
        stopOutput();
        if (options.useDevice && openDevice()) return;
        headlessRunning = true;
        headless = std::thread([this] { runHeadless(); });
    }
};

AudioPlayer::AudioPlayer(bool useDevice) : AudioPlayer(AudioPlayerOptions{useDevice, {}, false}) {}

AudioPlayer::AudioPlayer(const AudioPlayerOptions& options) : impl_(std::make_unique<Impl>()) {
    impl_->options = options;
    if (!options.useDevice) {
        impl_->status = "silent (no device requested)";
        return;
    }
    if (Pa_Initialize() == paNoError) impl_->paInitialised = true;
    else impl_->status = "PortAudio could not start";
}

AudioPlayer::~AudioPlayer() {
    impl_->stopOutput();
    if (impl_->paInitialised) Pa_Terminate();
}

void AudioPlayer::load(std::vector<float> interleaved, int sampleRate, int channels) {
    pause();
    impl_->stopOutput();
    {
        std::lock_guard lock(impl_->mutex);
        impl_->samples = std::move(interleaved);
        impl_->rate = sampleRate;
        impl_->channels = channels;
        impl_->cursor = 0;
        impl_->scrubDone = impl_->scrubLength = 0;
        impl_->anchored = false;
    }
    impl_->startOutput();
}

void AudioPlayer::play() {
    std::lock_guard lock(impl_->mutex);
    impl_->isPlaying = true;
    impl_->scrubDone = impl_->scrubLength = 0;
    impl_->clockStart = impl_->cursor;
    impl_->anchored = false;
}

void AudioPlayer::pause() {
    const double pos = position();
    std::lock_guard lock(impl_->mutex);
    if (!impl_->isPlaying) return;
    impl_->isPlaying = false;
    impl_->cursor = pos * impl_->rate; // back to what was heard, not what was handed over
    impl_->anchored = false;
}

void AudioPlayer::seek(double seconds) {
    std::lock_guard lock(impl_->mutex);
    impl_->cursor = std::clamp(seconds * impl_->rate, 0.0, double(impl_->totalFrames()));
    impl_->clockStart = impl_->cursor;
    impl_->anchored = false;
}

void AudioPlayer::setSpeed(double speed) {
    const double pos = position();
    std::lock_guard lock(impl_->mutex);
    impl_->cursor = pos * impl_->rate; // the new speed starts from what is heard now
    impl_->speedNow = std::isfinite(speed) ? speed : 1;
    impl_->clockStart = impl_->cursor;
    impl_->anchored = false;
}

double AudioPlayer::speed() const {
    std::lock_guard lock(impl_->mutex);
    return impl_->speedNow;
}

void AudioPlayer::scrub(double seconds) {
    std::lock_guard lock(impl_->mutex);
    Impl& m = *impl_;
    m.cursor = std::clamp(seconds * m.rate, 0.0, double(m.totalFrames()));
    if (m.isPlaying) return; // while playing, the seek alone is heard
    m.scrubCursor = m.cursor;
    m.scrubDone = 0;
    m.scrubLength = std::llround(kScrubSeconds * m.rate);
}

bool AudioPlayer::playing() const {
    std::lock_guard lock(impl_->mutex);
    return impl_->isPlaying;
}

double AudioPlayer::duration() const {
    std::lock_guard lock(impl_->mutex);
    return double(impl_->totalFrames()) / impl_->rate;
}

double AudioPlayer::position() const {
    const Impl& m = *impl_;
    const double now = m.outputNow();
    std::lock_guard lock(m.mutex);
    double frames = m.cursor;
    if (m.isPlaying && m.anchored)
        frames = m.anchorPosition + (now - m.anchorDacTime) * m.anchorSpeed * m.rate;
    // Until the first buffer after play, seek or a new speed reaches the speaker, the clock holds where it starts.
    if (m.isPlaying && m.anchored)
        frames = m.anchorSpeed > 0 ? std::max(frames, m.clockStart) : std::min(frames, m.clockStart);
    return std::clamp(frames / m.rate, 0.0, double(m.totalFrames()) / m.rate);
}

bool AudioPlayer::hasDevice() const { return impl_->stream != nullptr; }
const std::string& AudioPlayer::deviceStatus() const { return impl_->status; }

double AudioPlayer::outputLatency() const {
    if (impl_->stream)
        if (const PaStreamInfo* info = Pa_GetStreamInfo(impl_->stream)) return info->outputLatency;
    return kHeadlessLatency;
}

std::vector<float> AudioPlayer::takeRecorded() {
    std::lock_guard lock(impl_->mutex);
    return std::exchange(impl_->recorded, {});
}

} // namespace tandem::render
