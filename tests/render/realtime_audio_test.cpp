// Playback on a real-time paced device: JACK's dummy driver (no sound card needed), started here under a name of
// its own and stopped by its PID. Skipped, with a message, where jackd is not installed or cannot run a server on
// this machine (it exits on its own, or never answers): that is the machine's, not the player's, failure. Once
// the server answers, the player must open it and keep time.
#include "render/audio_player.h"

#include <catch2/catch.hpp>

#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <thread>
#include <unistd.h>
#include <sys/wait.h>

using namespace tandem;

namespace {

// How long a started jackd may take to answer, and how often it is started afresh before the test gives up on
// the machine. It answers within half a second on an idle 2-core machine.
constexpr int kServerAnswerSeconds = 20;
constexpr int kServerStarts = 3;

// A jackd with the dummy driver for the length of a test; its output is kept to explain a server that never runs.
class DummyJack {
public:
    DummyJack() : name_("tandem-test-" + std::to_string(getpid())), log_((std::filesystem::temp_directory_path() / (name_ + ".log")).string()) {
        if (std::system("command -v jackd > /dev/null 2>&1") != 0) return;
        installed_ = true;
        // libjack's clients (PortAudio's among them) connect to the server this variable names.
        setenv("JACK_DEFAULT_SERVER", name_.c_str(), 1);
        for (int start = 0; start < kServerStarts && !answering_; ++start) {
            launch();
            answering_ = waitForAnswer();
            if (!answering_) stop();
        }
    }
    ~DummyJack() {
        stop();
        std::remove(log_.c_str());
    }
    bool installed() const { return installed_; }
    bool answering() const { return answering_; }
    std::string output() const {
        std::ifstream in(log_);
        std::ostringstream text;
        text << in.rdbuf();
        return text.str();
    }

private:
    void launch() {
        pid_ = fork();
        if (pid_ == 0) {
            if (!std::freopen(log_.c_str(), "a", stdout) || !std::freopen(log_.c_str(), "a", stderr)) _exit(126);
            execlp("jackd", "jackd", "-n", name_.c_str(), "-d", "dummy", "-r", "48000", "-p", "256",
                   static_cast<char*>(nullptr));
            _exit(127);
        }
    }
    // True once the server answers; false when jackd exits on its own or stays silent past the limit.
    bool waitForAnswer() {
        const std::string probe = "jack_wait -s " + name_ + " -w -t 1 > /dev/null 2>&1";
        const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(kServerAnswerSeconds);
        while (std::chrono::steady_clock::now() < deadline) {
            int status = 0;
            if (waitpid(pid_, &status, WNOHANG) == pid_) {
                pid_ = -1;
                return false;
            }
            if (std::system(probe.c_str()) == 0) return true;
        }
        return false;
    }
    void stop() {
        if (pid_ > 0) {
            kill(pid_, SIGTERM);
            waitpid(pid_, nullptr, 0);
        }
        pid_ = -1;
    }

    std::string name_;
    std::string log_;
    pid_t pid_ = -1;
    bool installed_ = false;
    bool answering_ = false;
};

} // namespace

TEST_CASE("on JACK's real-time dummy device the audio clock keeps time with the wall clock") {
    DummyJack jack;
    if (!jack.installed()) {
        WARN("jackd is not installed: the real-time playback test is skipped (packaging/setup-debian.sh installs it)");
        return;
    }
    if (!jack.answering()) {
        WARN("jackd is installed but could not run a dummy server here (" << kServerStarts << " starts): the "
             "real-time playback test is skipped. jackd said:\n" << jack.output());
        return;
    }
    // The server answers: PortAudio's JACK host must now find it (it looks for servers when it initialises).
    std::unique_ptr<render::AudioPlayer> player;
    const std::vector<float> silence(size_t(48000) * 2 * 4, 0.f);
    for (int attempt = 0; attempt < 5 && !(player && player->hasDevice()); ++attempt) {
        if (attempt > 0) std::this_thread::sleep_for(std::chrono::milliseconds(500));
        player = std::make_unique<render::AudioPlayer>(render::AudioPlayerOptions{true, "JACK", false});
        player->load(silence, 48000, 2);
    }
    INFO(player->deviceStatus());
    INFO("jackd said:\n" << jack.output());
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
