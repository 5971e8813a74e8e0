#include "render/audio_player.h"

#include <portaudio.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstring>
#include <mutex>

namespace tandem::render {

using Clock = std::chrono::steady_clock;

struct AudioPlayer::Impl {
    std::vector<float> samples;
    int rate = 48000, channels = 2;
    std::atomic<int64_t> cursor{0}; // next frame the callback will hand to the device
    std::atomic<bool> isPlaying{false};
    // Clock anchor written by the callback: frame at the start of the last buffer and when it reaches the DAC.
    std::mutex anchorMutex;
    int64_t anchorFrame = 0;
    double anchorDacTime = 0;
    bool anchored = false;

    bool paInitialised = false;
    PaStream* stream = nullptr;
    std::string status;
    // Headless clock
    Clock::time_point headlessStart;
    int64_t headlessStartFrame = 0;

    static int callback(const void*, void* output, unsigned long frames, const PaStreamCallbackTimeInfo* time,
                        PaStreamCallbackFlags, void* user) {
        auto* self = static_cast<Impl*>(user);
        auto* out = static_cast<float*>(output);
        const int64_t start = self->cursor.load();
        {
            std::lock_guard lock(self->anchorMutex);
            self->anchorFrame = start;
            self->anchorDacTime = time->outputBufferDacTime;
            self->anchored = true;
        }
        const int64_t total = static_cast<int64_t>(self->samples.size()) / self->channels;
        const int64_t n = self->isPlaying ? std::clamp<int64_t>(total - start, 0, frames) : 0;
        if (n > 0) std::memcpy(out, self->samples.data() + start * self->channels, n * self->channels * sizeof(float));
        std::memset(out + n * self->channels, 0, (frames - n) * self->channels * sizeof(float));
        self->cursor = start + n;
        return paContinue;
    }

    void closeStream() {
        if (stream) {
            Pa_StopStream(stream);
            Pa_CloseStream(stream);
            stream = nullptr;
        }
    }

    void openStream() {
        closeStream();
        if (!paInitialised) return;
        const PaDeviceIndex dev = Pa_GetDefaultOutputDevice();
        if (dev == paNoDevice) {
            status = "no audio output device";
            return;
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
            closeStream();
            return;
        }
        status = Pa_GetDeviceInfo(dev)->name;
    }
};

AudioPlayer::AudioPlayer(bool useDevice) : impl_(std::make_unique<Impl>()) {
    if (!useDevice) {
        impl_->status = "silent (no device requested)";
        return;
    }
    if (Pa_Initialize() == paNoError) impl_->paInitialised = true;
    else impl_->status = "PortAudio could not start";
}

AudioPlayer::~AudioPlayer() {
    impl_->closeStream();
    if (impl_->paInitialised) Pa_Terminate();
}

void AudioPlayer::load(std::vector<float> interleaved, int sampleRate, int channels) {
    pause();
    impl_->closeStream();
    impl_->samples = std::move(interleaved);
    impl_->rate = sampleRate;
    impl_->channels = channels;
    impl_->cursor = 0;
    impl_->anchored = false;
    impl_->openStream();
}

void AudioPlayer::play() {
    if (impl_->isPlaying) return;
    impl_->headlessStart = Clock::now();
    impl_->headlessStartFrame = impl_->cursor;
    impl_->isPlaying = true;
}

void AudioPlayer::pause() {
    if (!impl_->isPlaying) return;
    const double pos = position();
    impl_->isPlaying = false;
    impl_->cursor = std::llround(pos * impl_->rate);
    impl_->anchored = false;
}

void AudioPlayer::seek(double seconds) {
    const int64_t total = static_cast<int64_t>(impl_->samples.size()) / std::max(1, impl_->channels);
    const int64_t frame = std::clamp<int64_t>(std::llround(seconds * impl_->rate), 0, total);
    impl_->cursor = frame;
    impl_->headlessStart = Clock::now();
    impl_->headlessStartFrame = frame;
    std::lock_guard lock(impl_->anchorMutex);
    impl_->anchored = false;
}

bool AudioPlayer::playing() const { return impl_->isPlaying; }

double AudioPlayer::duration() const {
    return impl_->samples.size() / double(std::max(1, impl_->channels)) / impl_->rate;
}

double AudioPlayer::position() const {
    Impl& m = *impl_;
    double pos;
    if (!m.isPlaying) {
        pos = m.cursor / double(m.rate);
    } else if (m.stream) {
        std::lock_guard lock(m.anchorMutex);
        if (!m.anchored) return m.cursor / double(m.rate);
        // The anchor frame reaches the speaker at anchorDacTime; now is Pa_GetStreamTime.
        pos = m.anchorFrame / double(m.rate) + (Pa_GetStreamTime(m.stream) - m.anchorDacTime);
    } else {
        const double elapsed = std::chrono::duration<double>(Clock::now() - m.headlessStart).count();
        pos = m.headlessStartFrame / double(m.rate) + elapsed;
    }
    return std::clamp(pos, 0.0, duration());
}

bool AudioPlayer::hasDevice() const { return impl_->stream != nullptr; }
const std::string& AudioPlayer::deviceStatus() const { return impl_->status; }

} // namespace tandem::render
