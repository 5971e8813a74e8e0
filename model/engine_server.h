// Design note: the engine process's server. One engine (model on one device) runs one job at a time — a
// single accelerator gains nothing from running two diffusion jobs at once. It listens on a local Unix
// socket (the editor on the same machine; media pass as file paths), on TLS over TCP (editors on other
// machines; media uploaded once per content hash and the result downloaded), or both. All connections are
// served by one I/O thread that never blocks (non-blocking sockets, one poll loop); the model runs on a
// worker thread that talks to the I/O thread only through a mailbox. Jobs wait in one queue per
// connection and the worker takes them round robin, so one client's twenty jobs do not all run before
// another's one; a connection sees and cancels only its own jobs. A client that disconnects has its jobs
// cancelled and its half-sent or half-fetched files removed. Protocol: docs/engine-protocol.md.
#pragma once

#include "model/engine.h"

#include <cstdint>
#include <memory>
#include <string>

namespace tandem::model {

// How the engine is reached, and the limits that protect it from its clients.
struct ListenOptions {
    std::string socketPath;  // local Unix socket ("" = none)
    std::string listen;      // HOST:PORT for TLS ("" = none; port 0 = any free one)
    std::string identityDir; // certificate, key and token ("" = $XDG_CONFIG_HOME/tandem/engine)
    std::string spoolDir; // uploaded blobs and results in transit ("" = $XDG_CACHE_HOME/tandem/engine-spool)
    uint64_t maxBlobBytes = uint64_t(4) << 30;     // one upload (a 15 s 1080p shot file is 2.2 GB)
    uint64_t spoolLimitBytes = uint64_t(20) << 30; // uploads kept for reuse; the oldest unused go first
    double blobTimeoutSeconds = 60; // an upload (or a submit waiting for one) silent this long is dropped
    double handshakeTimeoutSeconds = 10; // TLS handshake and hello
    int maxQueuedPerClient = 100;
};

struct ServerOptions {
    ListenOptions listen;
    std::string modelDir;   // empty = untrained default model (noise)
    std::string configPath; // untrained model of this config.json (tests, benchmarks)
    EngineOptions engine;
};

// What the server runs jobs on: Tandem's own engine, or another architecture's (model/ltx2/ltx_engine.h)
// behind the same request. generate() throws std::invalid_argument for a request the model cannot do
// (the message is sent to the client as the job's error) and Cancelled when `progress` says stop.
class ServedModel {
public:
    virtual ~ServedModel() = default;
    virtual Shot generate(const ShotRequest& request, const ProgressFn& progress) = 0;
    virtual std::string deviceName() const = 0;
    virtual bool hasTrainedWeights() const = 0;
    // The geometry shots are made at (a remote editor prepares its inputs to it).
    virtual ModelConfig config() const = 0;
};

// Tandem's engine as a served model.
std::unique_ptr<ServedModel> servedEngine(std::unique_ptr<Engine> engine);

// Serves until a local client sends {"type":"shutdown"} or the process is signalled. Returns the exit status.
int runEngineServer(const ServerOptions& options);
// The same for a model already loaded; `name` is what status messages report.
int serveModel(std::unique_ptr<ServedModel> model, const std::string& name, const ListenOptions& listen);

} // namespace tandem::model
