// Design note: the engine process's server. One engine (model on one device) serves jobs from local clients
// over a Unix socket, one job at a time, in order of submission: a single accelerator gains nothing from
// running two diffusion jobs at once, and order is what a user queueing takes expects. The socket is
// created only once the model has loaded, so a client that can connect knows the engine is ready. A
// client that disconnects has its jobs cancelled. Protocol: docs/engine-protocol.md.
#pragma once

#include "model/engine.h"

#include <memory>
#include <string>

namespace tandem::model {

struct ServerOptions {
    std::string socketPath;
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
};

// Tandem's engine as a served model.
std::unique_ptr<ServedModel> servedEngine(std::unique_ptr<Engine> engine);

// Serves until a client sends {"type":"shutdown"} or the process is signalled. Returns the exit status.
int runEngineServer(const ServerOptions& options);
// The same for a model already loaded; `name` is what status messages report.
int serveModel(std::unique_ptr<ServedModel> model, const std::string& name, const std::string& socketPath);

} // namespace tandem::model
