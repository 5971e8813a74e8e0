// The engine reached over TLS against the same engine over its local socket, on one machine (loopback).
// 1. Protocol overhead: a 4-second shot of the demo model (20 steps) through each, alternately, best of
//    --reps; the TLS figure includes hashing and downloading the result. The ratio is what a remote editor
//    pays for the network layer itself.
// 2. Transfer throughput: a shot file of --big-seconds at --big-size (default 15 s of 1080p at 24 fps, the
//    size an editor sends for a restyle of a finished shot) uploaded to an engine whose model hands its input
//    back unchanged, and the result downloaded; the client's transfer clocks (model/engine_client.h) give
//    each direction. bench/remote.sh puts the same file through `openssl s_time` and a plain socat copy.
// The engine stores an upload before the job runs, so at gigabytes the engine's disk can bound the upload:
// --spool DIR puts the echo engine's store elsewhere (a RAM disk shows the transport alone).
// Usage: tandem-bench-remote [--model DIR] [--reps N] [--big-seconds S] [--big-size WxH] [--big-file PATH]
//                            [--spool DIR] [--skip-big] [--skip-demo]
#include "model/engine_client.h"
#include "model/engine_server.h"
#include "model/remote.h"
#include "model/shot_file.h"

#include <algorithm>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

using namespace tandem::model;
namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

namespace {

// Hands the input shot back: what crosses the connection is then exactly the file that was sent.
class EchoModel : public ServedModel {
public:
    Shot generate(const ShotRequest& request, const ProgressFn&) override { return request.source; }
    std::string deviceName() const override { return "cpu"; }
    bool hasTrainedWeights() const override { return false; }
    ModelConfig config() const override { return {}; }
};

remote::EngineAddress waitForPairing(const std::string& identity) {
    const std::string path = identity + "/pairing";
    for (int i = 0; i < 500 && !fs::exists(path); ++i)
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    return remote::readPairingFile(path);
}

// Runs one job to its result; returns the seconds from submit to the result on disk.
double runJob(EngineClient& c, const ShotRequest& r, const std::string& input, const std::string& output) {
    const auto t0 = Clock::now();
    const std::string job = c.submit(r, input, "", output);
    while (true)
        for (const auto& m : c.poll(100)) {
            if (m["type"] == "result" && m["job"] == job)
                return std::chrono::duration<double>(Clock::now() - t0).count();
            if ((m["type"] == "error" && m.value("job", job) == job) || m["type"] == "engine_lost")
                throw std::runtime_error(m.value("message", std::string("failed")));
        }
}

void protocolOverhead(const std::string& work, const std::string& modelDir, int reps) {
    EngineLaunch l;
    l.program = TANDEM_ENGINE;
    l.socketPath = work + "/engine.sock";
    l.modelDir = modelDir;
    l.extraArgs = {"--listen", "127.0.0.1:0",       "--identity", work + "/identity-demo",
                   "--spool",  work + "/spool-demo"};
    auto local = EngineClient::launch(l);
    auto remote = EngineClient::connectRemote(waitForPairing(work + "/identity-demo"));
    ShotRequest r;
    r.prompt = "a large red rubber circle bounces in front of a blue wall";
    r.seconds = 4;
    r.steps = 20;
    r.seed = 1;
    runJob(*local, r, "", work + "/warm.safetensors"); // warm-up
    double bestLocal = 1e9, bestRemote = 1e9;
    for (int i = 0; i < reps; ++i) {
        const double a = runJob(*local, r, "", work + "/local.safetensors");
        const double b = runJob(*remote, r, "", work + "/remote.safetensors");
        std::printf("  run %d: local %.3f s, TLS %.3f s\n", i + 1, a, b);
        bestLocal = std::min(bestLocal, a);
        bestRemote = std::min(bestRemote, b);
    }
    std::printf("demo 4 s shot, 20 steps (%s): local socket %.3f s, TLS loopback %.3f s (result %.1f KiB), "
                "ratio %.3f\n",
                modelDir.c_str(), bestLocal, bestRemote,
                double(fs::file_size(work + "/remote.safetensors")) / 1024, bestRemote / bestLocal);
}

void throughput(const std::string& work, const std::string& bigFile, double seconds, int width, int height,
                const std::string& spool) {
    if (!fs::exists(bigFile)) {
        Shot s;
        s.width = width;
        s.height = height;
        s.fps = 24;
        s.frames = int64_t(seconds * 24);
        s.sample_rate = 48000;
        s.rgb.resize(size_t(s.frames) * width * height * 3);
        for (size_t i = 0; i < s.rgb.size(); ++i)
            s.rgb[i] = uint8_t((i * 2654435761u) >> 13); // not compressible
        s.audio.assign(size_t(seconds * 48000), 0.1f);
        writeShotFile(bigFile, s);
    }
    ::sync(); // what was just written reaches the disk now, not during the upload it would slow down
    const std::string identity = work + "/identity-echo";
    std::fflush(stdout); // the child must not print what the parent has buffered
    const pid_t child = ::fork();
    if (child == 0) {
        ListenOptions o;
        o.listen = "127.0.0.1:0";
        o.identityDir = identity;
        o.spoolDir = spool.empty() ? work + "/spool-echo" : spool;
        o.maxBlobBytes = uint64_t(8) << 30;
        ::_exit(serveModel(std::make_unique<EchoModel>(), "echo", o));
    }
    {
        auto remote = EngineClient::connectRemote(waitForPairing(identity), 30);
        ShotRequest r;
        r.task = Task::Restyle;
        const double whole = runJob(*remote, r, bigFile, work + "/echoed.safetensors");
        const auto& t = remote->transfers();
        const double mb = double(fs::file_size(bigFile)) / 1e6;
        std::printf(
            "shot file %.0f MB (%gs of %dx%d): upload %.2f s = %.0f MB/s, download %.2f s = %.0f MB/s, both "
            "ways %.0f MB/s; "
            "whole job %.2f s (hashing, the echo model's read and write included)\n",
            mb, seconds, width, height, t.uploadSeconds, double(t.uploadedBytes) / 1e6 / t.uploadSeconds,
            t.downloadSeconds, double(t.downloadedBytes) / 1e6 / t.downloadSeconds,
            double(t.uploadedBytes + t.downloadedBytes) / 1e6 / (t.uploadSeconds + t.downloadSeconds), whole);
        const bool same = fs::file_size(bigFile) == fs::file_size(work + "/echoed.safetensors");
        std::printf("echoed file the same size: %s\n", same ? "yes" : "NO");
    }
    ::kill(child, SIGTERM);
    ::waitpid(child, nullptr, 0);
}

} // namespace

int main(int argc, char** argv) {
    std::string modelDir = TANDEM_DEMO_MODEL_DIR, bigFile, spool;
    int reps = 3, width = 1920, height = 1080;
    double bigSeconds = 15;
    bool skipBig = false, skipDemo = false;
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        if (a == "--skip-big")
            skipBig = true;
        else if (a == "--skip-demo")
            skipDemo = true;
        else if (i + 1 < argc && a == "--model")
            modelDir = argv[++i];
        else if (i + 1 < argc && a == "--reps")
            reps = std::stoi(argv[++i]);
        else if (i + 1 < argc && a == "--big-seconds")
            bigSeconds = std::stod(argv[++i]);
        else if (i + 1 < argc && a == "--big-file")
            bigFile = argv[++i];
        else if (i + 1 < argc && a == "--spool")
            spool = argv[++i];
        else if (i + 1 < argc && a == "--big-size")
            std::sscanf(argv[++i], "%dx%d", &width, &height);
        else {
            std::fprintf(stderr, "unknown option %s\n", a.c_str());
            return 2;
        }
    }
    const std::string work =
        (fs::temp_directory_path() / ("tandem-bench-remote-" + std::to_string(::getpid()))).string();
    fs::create_directories(work);
    int status = 0;
    try {
        if (!skipDemo) protocolOverhead(work, modelDir, reps);
        if (!skipBig)
            throughput(work, bigFile.empty() ? work + "/big.safetensors" : bigFile, bigSeconds, width, height,
                       spool);
    } catch (const std::exception& e) {
        std::fprintf(stderr, "tandem-bench-remote: %s\n", e.what());
        status = 1;
    }
    fs::remove_all(work);
    return status;
}
