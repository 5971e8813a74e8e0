// Design note: the client side of the engine process, for the CLI and the editor. It starts tandem-engine
// (or connects to a running one), submits jobs whose media are shot files, and turns the engine's JSON lines
// into messages. If the engine dies — a crash, out of memory, a kill — the client notices the closed socket,
// reports every unfinished job as failed with the reason (exit status or signal) and can start a new engine;
// the caller's own state (the project) is never touched by the engine. No torch here.
#pragma once

#include "model/engine.h"

#include <nlohmann/json.hpp>

#include <memory>
#include <set>
#include <string>
#include <sys/types.h>
#include <vector>

namespace tandem::model {

struct EngineLaunch {
    std::string program;    // path of tandem-engine
    std::string socketPath; // where it listens
    std::string modelDir;   // --model (empty: untrained default)
    std::string configPath; // --config for an untrained model of that config (tests)
    std::string device = "auto";
    int threads = 0;
    bool offload = false;
    std::vector<std::string> extraArgs; // further options for the model (an LTX-2 model's --text-encoder …)
    double readySeconds = 60; // how long loading the model may take
};

class EngineClient {
public:
    // Starts the engine process and waits until it accepts connections. Throws std::runtime_error with
    // the reason (the engine's exit status if it failed to start).
    static std::unique_ptr<EngineClient> launch(const EngineLaunch& launch);
    // Connects to an engine that is already running.
    static std::unique_ptr<EngineClient> connectTo(const std::string& socketPath);
    ~EngineClient(); // asks a launched engine to shut down, then reaps it

    // Sends a job; returns its id. input/mask: shot and mask files ("" when the task needs none);
    // references: shot files.
    std::string submit(const ShotRequest& request, const std::string& input, const std::string& mask,
                       const std::string& output, const std::vector<std::string>& references = {});
    void cancel(const std::string& job);
    void requestStatus();

    // Waits up to timeoutMs for messages and returns those that arrived. When the engine is gone it returns
    // one {"type":"error","job":ID,"message":…} per unfinished job and then {"type":"engine_lost",…}.
    std::vector<nlohmann::json> poll(int timeoutMs);

    bool alive() const { return fd_ >= 0; }
    pid_t pid() const { return pid_; }
    const std::set<std::string>& unfinished() const { return unfinished_; }

private:
    EngineClient() = default;
    void sendLine(const nlohmann::json& message);
    std::string describeExit();
    std::vector<nlohmann::json> lose(const std::string& why);

    int fd_ = -1;
    pid_t pid_ = -1;
    std::string buffer_;
    std::set<std::string> unfinished_;
    uint64_t nextJob_ = 1;
};

} // namespace tandem::model
