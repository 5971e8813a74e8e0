// The audio clock, shuttle and scrubbing heard through the headless sink, and the A/V sync rules.
#include "render/audio_player.h"
#include "render/av_sync.h"

#include <catch2/catch.hpp>

#include <chrono>
#include <cmath>
#include <thread>

using namespace tandem;
using render::AudioPlayer;

namespace {

constexpr int kRate = 48000;

// Mono ramp: sample i holds i / n, so what was played tells where it was read from.
std::vector<float> ramp(int n) {
    std::vector<float> s(static_cast<size_t>(n));
    for (int i = 0; i < n; ++i) s[size_t(i)] = float(i) / float(n);
    return s;
}

AudioPlayer headless() { return AudioPlayer(render::AudioPlayerOptions{false, {}, true}); }

void waitSeconds(double s) { std::this_thread::sleep_for(std::chrono::duration<double>(s)); }

// The played samples that were not silence.
std::vector<float> sounding(const std::vector<float>& played) {
    std::vector<float> out;
    for (float v : played)
        if (v != 0.f) out.push_back(v);
    return out;
}

} // namespace

TEST_CASE("the headless sink plays at real-time pace and the clock follows what it took") {
    AudioPlayer player = headless();
    player.load(ramp(kRate * 4), kRate, 1);
    CHECK_FALSE(player.hasDevice());
    player.seek(1.0);
    const auto start = std::chrono::steady_clock::now();
    player.play();
    waitSeconds(0.5);
    const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    const double pos = player.position();
    player.pause();
    CHECK(pos == Approx(1.0 + elapsed).margin(0.06)); // the sink's latency and a loaded machine
    const std::vector<float> played = sounding(player.takeRecorded());
    REQUIRE(played.size() > kRate / 4);
    // Consecutive samples from where the seek put it.
    CHECK(played.front() == Approx(0.25f).margin(1e-4));
    for (size_t i = 1; i < played.size(); ++i) REQUIRE(played[i] - played[i - 1] == Approx(1.0f / (kRate * 4)).margin(1e-6));
    // Paused, the clock stands where the sound stopped.
    waitSeconds(0.1);
    CHECK(player.position() == Approx(pos).margin(0.02));
}

TEST_CASE("shuttle reads at the speed, forwards or backwards, and the clock moves with it") {
    AudioPlayer player = headless();
    player.load(ramp(kRate * 8), kRate, 1);
    player.seek(4.0);
    player.setSpeed(2);
    player.play();
    waitSeconds(0.3);
    const double fast = player.position();
    player.pause();
    std::vector<float> played = sounding(player.takeRecorded());
    REQUIRE(played.size() > 100);
    const float step = 2.0f / (kRate * 8);
    CHECK(played[100] - played[99] == Approx(step).margin(1e-6));
    CHECK(fast > 4.0 + 2 * 0.2);

    player.setSpeed(-1); // J: backwards from where it stopped
    player.play();
    waitSeconds(0.3);
    const double back = player.position();
    player.pause();
    played = sounding(player.takeRecorded());
    REQUIRE(played.size() > 100);
    CHECK(played[100] - played[99] == Approx(-1.0f / (kRate * 8)).margin(1e-6));
    CHECK(back < fast - 0.2);
}

TEST_CASE("a scrub sounds one short grain, ramped at both ends, and moves the clock") {
    AudioPlayer player = headless();
    std::vector<float> tone(size_t(kRate) * 2, 0.5f);
    player.load(tone, kRate, 1);
    player.takeRecorded();
    player.scrub(1.0);
    CHECK(player.position() == Approx(1.0));
    waitSeconds(0.25);
    const std::vector<float> played = player.takeRecorded();
    const std::vector<float> grain = sounding(played);
    const auto expected = size_t(std::llround(AudioPlayer::kScrubSeconds * kRate));
    CHECK(grain.size() >= expected - 2);
    CHECK(grain.size() <= expected);
    REQUIRE_FALSE(grain.empty());
    CHECK(grain.front() < 0.05f); // ramped in …
    CHECK(grain.back() < 0.05f);  // … and out
    CHECK(grain[grain.size() / 2] == Approx(0.5f));
    CHECK_FALSE(player.playing());
}

TEST_CASE("frames whose time passed unseen are dropped and counted — a seek is not a drop") {
    render::AvSync sync(32);
    CHECK(sync.frameToShow(0.0) == 0);
    sync.shown(0, 0.001);
    CHECK(sync.frameToShow(0.02) == -1); // still frame 0's period
    CHECK(sync.frameToShow(1.0 / 32 + 0.001) == 1);
    sync.shown(1, 1.0 / 32 + 0.001);
    CHECK(sync.stats().dropped == 0);
    // Drawing fell behind: frames 2 and 3 were never shown.
    CHECK(sync.frameToShow(4.0 / 32 + 0.001) == 4);
    sync.shown(4, 4.0 / 32 + 0.001);
    CHECK(sync.stats().dropped == 2);
    // A frame shown more than a frame period after its time is late.
    sync.shown(5, 5.0 / 32 + 1.5 / 32);
    CHECK(sync.stats().late == 1);
    // A jump of more than kNoSyncSeconds is a seek.
    CHECK(sync.frameToShow(10.0) == 320);
    CHECK(sync.stats().dropped == 2);
    CHECK(sync.stats().shown == 4);
}
