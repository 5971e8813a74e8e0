// Design note: the client side of the engine process, for the CLI and the editor. It starts tandem-engine
// (or connects to a running one, on this machine or — over TLS — on another), submits jobs whose media are
// shot files, and turns the engine's JSON lines into messages. The caller sees no difference between the
// two: remotely, submit() names files by their SHA-256 and uploads only those the engine asks for (so a
// second job on the same shot sends nothing again), and a result is downloaded, checked against its
// SHA-256 and written atomically where the caller asked before "result" is reported. If the engine dies —
// a crash, out of memory, a kill, a dropped network — the client notices the closed connection, reports
// every unfinished job as failed with the reason (exit status or signal when it was ours) and can start or
// reach a new engine; the caller's own state (the project) is never touched by the engine. No torch here.
#pragma once

#include "model/engine.h"
#include "model/protocol.h"
#include "model/remote.h"

#include <nlohmann/json.hpp>

#include <chrono>
#include <fstream>
#include <map>
#include <memory>
#include <optional>
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
    // Connects to an engine on another machine over TLS: pins its certificate, sends the token and waits
    // for its welcome (device, model, geometry; engineInfo()). Throws std::runtime_error saying which step
    // failed, with the engine's own refusal when it gave one.
    static std::unique_ptr<EngineClient> connectRemote(const remote::EngineAddress& address, double timeoutSeconds = 10);
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

    bool alive() const { return stream_ != nullptr; }
    pid_t pid() const { return pid_; } // -1 for an engine this client did not start
    bool isRemote() const { return remote_; }
    const nlohmann::json& engineInfo() const { return welcome_; } // remote: the welcome message
    // Remote: the geometry the engine makes shots at, from its welcome (inputs are prepared to it). Throws
    // std::runtime_error when there is none (a local engine, or one that did not say).
    ModelConfig modelConfig() const;
    double roundTripSeconds() const { return roundTrip_; }         // remote: hello → welcome
    const std::set<std::string>& unfinished() const { return unfinished_; }
    // Remote: what crossed the network, and how long the transfers took (uploads counted from the first
    // byte sent to the last; a download from its announcement to the file renamed into place).
    struct Transfers {
        uint64_t uploadedBytes = 0, downloadedBytes = 0;
        double uploadSeconds = 0, downloadSeconds = 0;
    };
    const Transfers& transfers() const { return transfers_; }

private:
    EngineClient() = default;
    void sendLine(const nlohmann::json& message);
    void sendAll(const void* data, size_t size);
    std::string describeExit();
    std::vector<nlohmann::json> lose(const std::string& why);
    nlohmann::json fileRef(const std::string& path);
    void upload(const std::string& hash);
    void onLine(const std::string& line, std::vector<nlohmann::json>& out);
    void finishDownload(std::vector<nlohmann::json>& out);

    std::unique_ptr<remote::Stream> stream_;
    pid_t pid_ = -1;
    protocol::FrameReader reader_;
    std::set<std::string> unfinished_;
    uint64_t nextJob_ = 1;
    // Remote only.
    bool remote_ = false;
    std::string where_;
    nlohmann::json welcome_;
    double roundTrip_ = 0;
    std::map<std::string, std::string> files_;  // sha256 → a local file with those bytes
    std::map<std::string, std::string> outputs_; // job → where its result goes
    std::set<std::string> sent_;                 // hashes uploaded on this connection
    Transfers transfers_;
    struct Download {
        std::chrono::steady_clock::time_point started;
        nlohmann::json result;
        std::string part, output, sha256;
        std::unique_ptr<std::ofstream> out;
        std::unique_ptr<remote::Sha256> hash;
    };
    std::optional<Download> download_;
};

} // namespace tandem::model
