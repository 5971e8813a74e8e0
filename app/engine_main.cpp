// tandem-engine: the engine process. Loads one model and serves jobs over a local socket
// (docs/engine-protocol.md). The editor starts it; it can also be started by hand.
#include "model/engine_server.h"

#include <cstdlib>
#include <cstring>
#include <iostream>
#include <string>

namespace {

const char* kUsage = R"(usage: tandem-engine serve --socket PATH [--model DIR | --config FILE] [--device D] [--threads N] [--offload]

Serves generation jobs over a local socket, one at a time. Messages are JSON lines (docs/engine-protocol.md).
  --socket PATH   the Unix socket to listen on (created once the model has loaded, mode 0600)
  --model DIR     model folder (config.json + model.safetensors); without it the weights are random
  --config FILE   an untrained model of this config.json (for tests)
  --device D      auto | cpu | cuda (default auto)
  --threads N     CPU threads (default: all cores)
  --offload       CUDA: keep transformer blocks in CPU memory, moving each to the GPU for its turn
)";

} // namespace

int main(int argc, char** argv) {
    if (argc < 2 || std::strcmp(argv[1], "serve") != 0) {
        if (argc >= 2 && (!std::strcmp(argv[1], "--help") || !std::strcmp(argv[1], "-h"))) {
            std::cout << kUsage;
            return 0;
        }
        std::cerr << "tandem-engine: expected 'serve' (see tandem-engine --help)\n";
        return 2;
    }
    tandem::model::ServerOptions o;
    for (int i = 2; i < argc; ++i) {
        const std::string a = argv[i];
        if (a == "--help" || a == "-h") {
            std::cout << kUsage;
            return 0;
        }
        if (a == "--offload") {
            o.engine.offload = true;
            continue;
        }
        if (i + 1 >= argc) {
            std::cerr << "tandem-engine: " << a << " needs a value\n";
            return 2;
        }
        const std::string v = argv[++i];
        if (a == "--socket") o.socketPath = v;
        else if (a == "--model") o.modelDir = v;
        else if (a == "--config") o.configPath = v;
        else if (a == "--device") o.engine.device = v;
        else if (a == "--threads") o.engine.threads = std::atoi(v.c_str());
        else {
            std::cerr << "tandem-engine: unknown option " << a << "\n";
            return 2;
        }
    }
    if (o.socketPath.empty()) {
        std::cerr << "tandem-engine: serve needs --socket PATH\n";
        return 2;
    }
    return tandem::model::runEngineServer(o);
}
