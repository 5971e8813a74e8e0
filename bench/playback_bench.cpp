// Real-time playback of a 60-second 1080p32 sequence on an audio device (JACK's dummy driver on machines
// without a sound card): the audio clock is the master and the video follows it as the editor's viewer
// does (frame cache + prefetch thread + compositor + AvSync). Reports dropped and late frames, and drift:
// the slope of the audio clock against the wall clock, and of each shown frame's offset from the clock.
// Usage: tandem-bench-playback SOURCE.mp4 [SECONDS] [HOST_API]   (SOURCE: 10 s of 1080p32 with sound)
#include "render/audio_player.h"
#include "render/av_sync.h"
#include "render/compositor.h"
#include "render/frame_cache.h"
#include "render/mixer.h"
#include "render/prefetcher.h"
#include "render/probe.h"

#include <chrono>
#include <cstdio>
#include <string>
#include <thread>
#include <vector>

using namespace tandem::render;

namespace {

// Drift is fitted after the first second, once the device's start-up buffers have settled.
constexpr double kWarmUpSeconds = 1.0;

// Least-squares slope of y over x.
double slope(const std::vector<double>& x, const std::vector<double>& y) {
    double mx = 0, my = 0;
    for (size_t i = 0; i < x.size(); ++i) mx += x[i], my += y[i];
    mx /= double(x.size());
    my /= double(y.size());
    double num = 0, den = 0;
    for (size_t i = 0; i < x.size(); ++i) num += (x[i] - mx) * (y[i] - my), den += (x[i] - mx) * (x[i] - mx);
    return den > 0 ? num / den : 0;
}

} // namespace

int main(int argc, char** argv) {
    if (argc < 2) {
        std::fprintf(stderr, "usage: %s SOURCE.mp4 [SECONDS] [HOST_API]\n", argv[0]);
        return 2;
    }
    const std::string source = argv[1];
    const double seconds = argc > 2 ? std::stod(argv[2]) : 60;
    const std::string host = argc > 3 ? argv[3] : "JACK";
    const MediaInfo info = probe(source);
    const double clipSeconds = info.duration;
    constexpr double kFps = 32;
    const int64_t clipFrames = int64_t(clipSeconds * kFps);
    const int64_t total = int64_t(seconds * kFps);

    // The sequence: the source cut back to back until it is `seconds` long, picture and sound.
    CompositeTrack video;
    MixTrack audio;
    const auto sound = decodeAudioSource(source);
    for (int64_t at = 0; at < total; at += clipFrames) {
        const int64_t length = std::min(clipFrames, total - at);
        video.clips.push_back(CompositeClip::of(source, at, length, 0.0));
        audio.clips.push_back({sound, at * kMixRate / int64_t(kFps), 0, length * kMixRate / int64_t(kFps), 0, 0, 0});
    }
    std::vector<float> mix = mixAll({audio});
    mix.resize(size_t(total * kMixRate / int64_t(kFps)) * kMixChannels, 0.f);

    auto cache = std::make_shared<FrameCache>();
    Prefetcher prefetch({video}, kFps, cache);
    Compositor compositor(1920, 1080, kFps, {video}, cache);
    AudioPlayer player(AudioPlayerOptions{true, host, false});
    player.load(std::move(mix), kMixRate, kMixChannels);
    if (!player.hasDevice()) {
        std::fprintf(stderr, "no %s device (%s): start `jackd -d dummy -r 48000 -p 256` first\n", host.c_str(),
                     player.deviceStatus().c_str());
        return 1;
    }
    prefetch.setPlayhead(0, 1);
    std::this_thread::sleep_for(std::chrono::milliseconds(500)); // as the editor: the first second is ready
    AvSync sync(kFps);
    std::vector<double> wall, clock, shownAt, offset;
    const auto start = std::chrono::steady_clock::now();
    player.play();
    while (true) {
        const double now = player.position();
        const double w = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
        if (now >= seconds - 0.05 || w > seconds + 5) break;
        if (w >= kWarmUpSeconds) {
            wall.push_back(w);
            clock.push_back(now);
        }
        const int64_t frame = sync.frameToShow(now);
        if (frame >= 0) {
            prefetch.setPlayhead(frame, 1);
            const Frame& picture = compositor.frameAt(frame);
            volatile uint8_t touch = picture.rgb[picture.rgb.size() / 2]; // what a display upload would read
            (void)touch;
            const double after = player.position();
            sync.shown(frame, after);
            if (w >= kWarmUpSeconds) {
                shownAt.push_back(after);
                offset.push_back(after - double(frame) / kFps);
            }
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
    player.pause();
    const AvSyncStats& s = sync.stats();
    const double clockDrift = (slope(wall, clock) - 1.0) * 60.0 * 1000.0; // ms per minute
    const double avDrift = slope(shownAt, offset) * 60.0 * 1000.0;
    double meanOffset = 0;
    for (double o : offset) meanOffset += o;
    meanOffset /= double(std::max<size_t>(1, offset.size()));
    std::printf("device %s (output latency %.1f ms)\n", player.deviceStatus().c_str(), player.outputLatency() * 1000);
    std::printf("played %.1f s of 1080p32: %lld frames due, %lld shown, %lld dropped, %lld late (> %.0f frame); "
                "worst lateness %.1f ms; mean frame offset %.1f ms\n",
                seconds, static_cast<long long>(total), static_cast<long long>(s.shown), static_cast<long long>(s.dropped),
                static_cast<long long>(s.late), AvSync::kLateThresholdFrames, s.worstLateSeconds * 1000, meanOffset * 1000);
    std::printf("drift (after %.0f s): device clock vs wall clock %.3f ms/min; video vs audio clock %.3f ms/min; prefetched %lld pictures, "
                "cache hits %lld, misses %lld\n",
                kWarmUpSeconds, clockDrift, avDrift, static_cast<long long>(prefetch.decoded()), static_cast<long long>(cache->hits()),
                static_cast<long long>(cache->misses()));
    return 0;
}
