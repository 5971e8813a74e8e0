// The engine as a separate process: submit, progress, result, cancel, and a crash the client survives.
#include "model/engine_client.h"
#include "model/protocol.h"
#include "model/shot_file.h"

#include "support/tiny_model.h"

#include <catch2/catch.hpp>

#include <chrono>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

using namespace tandem::model;
using nlohmann::json;
namespace fs = std::filesystem;

namespace {

std::string workDir() {
    static const std::string dir = [] {
        const fs::path d = fs::temp_directory_path() / ("tandem-engine-test-" + std::to_string(getpid()));
        fs::create_directories(d);
        const ModelConfig c = tandem::test::tinyModelConfig();
        std::ofstream(d / "tiny.json") << c.toJson();
        return d.string();
    }();
    return dir;
}

EngineLaunch tinyEngine(const std::string& name) {
    EngineLaunch l;
    l.program = TANDEM_ENGINE;
    l.socketPath = workDir() + "/" + name + ".sock";
    l.configPath = workDir() + "/tiny.json";
    l.device = "cpu";
    l.threads = 1;
    return l;
}

ShotRequest request(int steps) {
    ShotRequest r;
    r.prompt = "a ball";
    r.seconds = 0.5;
    r.steps = steps;
    r.seed = 4;
    return r;
}

// Polls until a message of `type` for `job` arrives (or 60 s pass); collects everything seen.
json waitFor(EngineClient& c, const std::string& type, const std::string& job, std::vector<json>* seen = nullptr) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    while (std::chrono::steady_clock::now() < deadline) {
        const auto batch = c.poll(100);
        for (size_t i = 0; i < batch.size(); ++i) {
            if (batch[i]["type"] == type && (job.empty() || batch[i].value("job", std::string()) == job)) {
                // Keep the whole batch in `seen`, including what came after the match.
                if (seen) seen->insert(seen->end(), batch.begin(), batch.end());
                return batch[i];
            }
        }
        if (seen) seen->insert(seen->end(), batch.begin(), batch.end());
    }
    FAIL("no " << type << " for " << job);
    return {};
}

} // namespace

TEST_CASE("a job submitted to the engine process reports progress and writes its shot") {
    auto c = EngineClient::launch(tinyEngine("basic"));
    const std::string out = workDir() + "/basic.safetensors";
    const std::string job = c->submit(request(3), "", "", out);
    std::vector<json> seen;
    const json result = waitFor(*c, "result", job, &seen);
    CHECK(result["output"] == out);
    int progress = 0;
    for (const auto& m : seen) progress += m["type"] == "progress";
    CHECK(progress == 3);
    CHECK(seen.front()["type"] == "accepted");
    const Shot shot = readShotFile(out);
    CHECK(shot.frames == 8);
    CHECK(shot.audio.size() == 8000u);
    CHECK(c->unfinished().empty());

    c->requestStatus();
    const json status = waitFor(*c, "status", "");
    CHECK(status["device"] == "cpu");
    CHECK(status["trained"] == false);
}

TEST_CASE("an inpaint job through files keeps unmasked pixels exactly") {
    auto c = EngineClient::launch(tinyEngine("inpaint"));
    ShotRequest gen = request(2);
    const std::string src = workDir() + "/src.safetensors";
    REQUIRE(waitFor(*c, "result", c->submit(gen, "", "", src))["output"] == src);
    const Shot source = readShotFile(src);
    std::vector<uint8_t> mask(size_t(source.frames) * 32 * 32, 0);
    for (int i = 0; i < 100; ++i) mask[32 * 32 * 3 + 200 + i] = 1;
    const std::string maskFile = workDir() + "/mask.safetensors";
    writeMaskFile(maskFile, mask, source.frames, 32, 32);
    ShotRequest r = request(2);
    r.task = Task::Inpaint;
    r.regenerate_audio = false;
    const std::string out = workDir() + "/inpainted.safetensors";
    waitFor(*c, "result", c->submit(r, src, maskFile, out));
    const Shot shot = readShotFile(out);
    for (size_t i = 0; i < mask.size(); ++i)
        if (!mask[i]) REQUIRE(std::equal(shot.rgb.begin() + i * 3, shot.rgb.begin() + i * 3 + 3, source.rgb.begin() + i * 3));
    CHECK(shot.audio == source.audio);
}

TEST_CASE("cancel stops a running job within one step") {
    auto c = EngineClient::launch(tinyEngine("cancel"));
    ShotRequest slow = request(500);
    slow.seconds = 2; // longer steps, so the cancel is not outrun by several steps on a loaded machine
    const std::string job = c->submit(slow, "", "", workDir() + "/never.safetensors");
    waitFor(*c, "progress", job);
    c->cancel(job);
    std::vector<json> seen;
    const json cancelled = waitFor(*c, "cancelled", job, &seen);
    // Counted by the engine itself (progress still in the pipe when the client asked would make a client-side
    // count depend on the machine's load): it finishes the step that was running, no more.
    const int requested = cancelled.at("requested_at_step").get<int>(), stopped = cancelled.at("stopped_at_step").get<int>();
    CHECK(requested >= 1);
    CHECK(stopped <= requested + 1);
    CHECK(stopped < 500);
    int lastProgress = 0;
    for (const auto& m : seen)
        if (m["type"] == "progress") lastProgress = std::max(lastProgress, m["step"].get<int>());
    CHECK(lastProgress <= stopped); // no step reported after the one it stopped at
    CHECK_FALSE(fs::exists(workDir() + "/never.safetensors"));
    // The engine goes on serving.
    CHECK(waitFor(*c, "result", c->submit(request(1), "", "", workDir() + "/after.safetensors"))["type"] == "result");
}

TEST_CASE("a crashed engine is reported to the client, and a new one takes the next job") {
    auto c = EngineClient::launch(tinyEngine("crash"));
    const std::string job = c->submit(request(500), "", "", workDir() + "/crash.safetensors");
    waitFor(*c, "progress", job);
    REQUIRE(::kill(c->pid(), SIGKILL) == 0);
    std::vector<json> seen;
    waitFor(*c, "engine_lost", "", &seen);
    bool jobFailed = false;
    for (const auto& m : seen)
        if (m["type"] == "error" && m["job"] == job) {
            jobFailed = true;
            CHECK(m["message"].get<std::string>().find("killed by signal 9") != std::string::npos);
        }
    CHECK(jobFailed);
    CHECK_FALSE(c->alive());
    CHECK_THROWS(c->submit(request(1), "", "", workDir() + "/x.safetensors"));

    auto fresh = EngineClient::launch(tinyEngine("crash2"));
    CHECK(waitFor(*fresh, "result", fresh->submit(request(1), "", "", workDir() + "/ok.safetensors"))["type"] == "result");
}

TEST_CASE("malformed messages get an error and the engine keeps serving") {
    auto c = EngineClient::launch(tinyEngine("garbage"));
    // Speak to the socket directly, as a broken client would.
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::strcpy(addr.sun_path, tinyEngine("garbage").socketPath.c_str());
    const int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
    REQUIRE(::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
    const std::string lines = "this is not json\n[1,2]\n{\"type\":\"frobnicate\"}\n"
                              "{\"type\":\"submit\",\"job\":\"j\",\"request\":{\"task\":\"fly\"},\"output\":\"/tmp/x\"}\n"
                              "{\"type\":\"submit\",\"job\":\"k\",\"request\":{\"steps\":\"many\"},\"output\":\"/tmp/x\"}\n";
    REQUIRE(::send(fd, lines.data(), lines.size(), 0) == ssize_t(lines.size()));
    std::string got;
    char buf[4096];
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (std::count(got.begin(), got.end(), '\n') < 5 && std::chrono::steady_clock::now() < deadline) {
        const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
        if (n <= 0) break;
        got.append(buf, size_t(n));
    }
    ::close(fd);
    CHECK(got.find("not JSON") != std::string::npos);
    CHECK(got.find("must be a JSON object") != std::string::npos);
    CHECK(got.find("unknown message type 'frobnicate'") != std::string::npos);
    CHECK(got.find("unknown task 'fly'") != std::string::npos);
    CHECK(got.find("'steps' must be a whole number") != std::string::npos);
    c->requestStatus();
    CHECK(waitFor(*c, "status", "")["queued"] == 0);
}

TEST_CASE("an engine that cannot load its model says why") {
    EngineLaunch l = tinyEngine("bad");
    l.configPath.clear();
    l.modelDir = workDir() + "/no-such-model";
    CHECK_THROWS_WITH(EngineClient::launch(l), Catch::Contains("did not start") && Catch::Contains("status 1"));
}

TEST_CASE("requests survive the trip through JSON") {
    ShotRequest r = request(7);
    r.task = Task::Retake;
    r.window_start = 0.25;
    r.window_end = 0.75;
    r.regenerate_audio = false;
    r.solver = Solver::Heun;
    r.video_guidance = 3.5;
    const ShotRequest back = protocol::requestFromJson(protocol::requestToJson(r));
    CHECK(back.task == Task::Retake);
    CHECK(back.steps == 7);
    CHECK(back.window_end == 0.75);
    CHECK_FALSE(back.regenerate_audio);
    CHECK(back.solver == Solver::Heun);
    CHECK(back.video_guidance == 3.5);
    // Guidance left unset stays unset, so the engine applies its model's defaults.
    CHECK_FALSE(back.audio_guidance.has_value());
    CHECK_FALSE(back.guidance_noise_floor.has_value());
    CHECK_FALSE(protocol::requestToJson(r).contains("audio_guidance"));
    r.guidance_noise_floor = 0.5;
    CHECK(protocol::requestFromJson(protocol::requestToJson(r)).guidance_noise_floor == 0.5);
    CHECK_THROWS_WITH(protocol::requestFromJson(nlohmann::json{{"video_guidance", "high"}}),
                      Catch::Contains("video_guidance"));
    // A whole-number field is refused, not converted, when it holds a fraction or more than its type holds
    // (a float beyond an int's range converted to one is undefined behaviour: found by fuzzing).
    CHECK_THROWS_WITH(protocol::requestFromJson(nlohmann::json::parse(R"({"steps": 8111111111111111111111111111})")),
                      Catch::Contains("'steps' must be a whole number"));
    CHECK_THROWS_WITH(protocol::requestFromJson(nlohmann::json{{"steps", 2.5}}), Catch::Contains("'steps' must be a whole number"));
    CHECK_THROWS_WITH(protocol::requestFromJson(nlohmann::json{{"steps", int64_t(1) << 40}}), Catch::Contains("'steps' is out of range"));
    CHECK_THROWS_WITH(protocol::requestFromJson(nlohmann::json{{"seed", -1}}), Catch::Contains("'seed' is out of range"));
    CHECK(protocol::requestFromJson(nlohmann::json{{"seed", UINT64_MAX}}).seed == UINT64_MAX);
}
