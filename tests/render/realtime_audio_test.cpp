// Playback on a real-time paced device: JACK's dummy driver (no sound card needed), started here and
// stopped by its PID. Skipped, with a message, where jackd is not installed.
#include "render/audio_player.h"

#include <catch2/catch.hpp>

#include <chrono>
#include <csignal>
#include <cstdlib>
#include <memory>
#include <thread>
#include <unistd.h>
#include <sys/wait.h>

using namespace tandem;

namespace {

// A jackd with the dummy driver for the length of a test.
class DummyJack {
public:
    DummyJack() {
        if (std::system("command -v jackd > /dev/null 2>&1") != 0) return;
        pid_ = fork();
        if (pid_ == 0) {
            std::freopen("/dev/null", "w", stdout);
            std::freopen("/dev/null", "w", stderr);
            execlp("jackd", "jackd", "-d", "dummy", "-r", "48000", "-p", "256", static_cast<char*>(nullptr));
            _exit(127);
        }
    }
    ~DummyJack() {
        if (pid_ > 0) {
            kill(pid_, SIGTERM);
            waitpid(pid_, nullptr, 0);
        }
    }
    bool started() const { return pid_ > 0; }

private:
    pid_t pid_ = -1;
};

} // namespace

TEST_CASE("on JACK's real-time dummy device the audio clock keeps time with the wall clock") {
    DummyJack jack;
    if (!jack.started()) {
        WARN("jackd is not installed: the real-time playback test is skipped (packaging/setup-debian.sh installs it)");
        return;
    }
    // PortAudio finds JACK servers when it starts: try until the server is up (a few hundred ms).
    std::unique_ptr<render::AudioPlayer> player;
    const std::vector<float> silence(size_t(48000) * 2 * 4, 0.f);
    for (int attempt = 0; attempt < 25 && !(player && player->hasDevice()); ++attempt) {
        std::this_thread::sleep_for(std::chrono::milliseconds(200));
        player = std::make_unique<render::AudioPlayer>(render::AudioPlayerOptions{true, "JACK", false});
        player->load(silence, 48000, 2);
    }
    INFO(player->deviceStatus());
    REQUIRE(player->hasDevice());
    player->play();
    const auto start = std::chrono::steady_clock::now();
    std::this_thread::sleep_for(std::chrono::milliseconds(1500));
    const double clock = player->position();
    const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    player->pause();
    // Within the device latency and a loaded machine's scheduling.
    CHECK(clock == Approx(wall).margin(0.06));
    CHECK(player->outputLatency() < 0.1);
}
