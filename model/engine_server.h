// Design note: the engine process's server. One engine (model on one device) serves jobs from local clients
// over a Unix socket, one job at a time, in order of submission: a single accelerator gains nothing from
// running two diffusion jobs at once, and order is what a user queueing takes expects. The socket is
// created only once the model has loaded, so a client that can connect knows the engine is ready. A
// client that disconnects has its jobs cancelled. Protocol: docs/engine-protocol.md.
#pragma once

#include "model/engine.h"

#include <string>

namespace tandem::model {

struct ServerOptions {
    std::string socketPath;
    std::string modelDir; // empty = untrained default model (noise)
    std::string configPath; // untrained model of this config.json (tests, benchmarks)
    EngineOptions engine;
};

// Serves until a client sends {"type":"shutdown"} or the process is signalled. Returns the exit status.
int runEngineServer(const ServerOptions& options);

} // namespace tandem::model
