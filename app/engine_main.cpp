// tandem-engine: the engine process. Loads one model and serves jobs over a local socket
// (docs/engine-protocol.md). The editor starts it; it can also be started by hand.
#include "model/engine_server.h"
#include "model/ltx2/ltx_engine.h"
#include "model/installed_models.h"
#include "model/model_folder.h"

#include <cstdlib>
#include <cstring>
#include <iostream>
#include <string>

namespace {

const char* kUsage =
    R"(usage: tandem-engine serve --socket PATH [--model DIR|FILE | --config FILE] [--device D] [--threads N] [--offload]
       tandem-engine serve --socket PATH --model FILE.safetensors|DIR --text-encoder DIR [--size WxH] [--fps F] [--distilled]

Serves generation jobs over a local socket, one at a time. Messages are JSON lines (docs/engine-protocol.md).
  --socket PATH   the Unix socket to listen on (created once the model has loaded, mode 0600)
  --model DIR     model folder (config.json + model.safetensors); without it the weights are random;
                  or an LTX-2.3 checkpoint: the single .safetensors file, or a folder of split files
  --config FILE   an untrained model of this config.json (for tests)
  --device D      auto | cpu | cuda (default auto)
  --threads N     CPU threads (default: all cores)
  --offload       CUDA: keep transformer blocks in CPU memory, moving each to the GPU for its turn
LTX-2.3 only (docs/models.md):
  --text-encoder DIR   the Gemma 3 folder (config.json, weight shards, tokenizer.model); required
  --size WxH      the size every shot is made at, multiples of 32 (default 768x512)
  --fps F         the frame rate every shot is made at (default 24)
  --distilled     the distilled checkpoint's fixed σ, no guidance passes
)";

// Serves an LTX-2.3 checkpoint (model/ltx2/ltx_engine.h).
int serveLtx(const tandem::model::ServerOptions& o, tandem::model::ltx2::LtxEngineOptions ltx) {
    ltx.model = o.modelDir;
    ltx.device = o.engine.device;
    ltx.offload = o.engine.offload;
    if (ltx.textEncoder.empty()) {
        std::cerr << "tandem-engine: an LTX-2.3 model needs --text-encoder DIR (its Gemma 3 folder)\n";
        return 2;
    }
    if (o.engine.threads > 0) torch::set_num_threads(o.engine.threads);
    std::unique_ptr<tandem::model::ServedModel> model;
    try {
        model = std::make_unique<tandem::model::ltx2::LtxServedModel>(ltx);
    } catch (const std::exception& e) {
        std::cerr << "tandem-engine: " << e.what() << "\n";
        return 1;
    }
    return tandem::model::serveModel(std::move(model), o.modelDir, o.socketPath);
}

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
    tandem::model::ltx2::LtxEngineOptions ltx;
    bool ltxOnly = false;
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
        if (a == "--distilled") {
            ltx.distilled = ltxOnly = true;
            continue;
        }
        if (i + 1 >= argc) {
            std::cerr << "tandem-engine: " << a << " needs a value\n";
            return 2;
        }
        const std::string v = argv[++i];
        if (a == "--socket")
            o.socketPath = v;
        else if (a == "--model")
            o.modelDir = v;
        else if (a == "--config")
            o.configPath = v;
        else if (a == "--device")
            o.engine.device = v;
        else if (a == "--threads")
            o.engine.threads = std::atoi(v.c_str());
        else if (a == "--text-encoder")
            ltx.textEncoder = v, ltxOnly = true;
        else if (a == "--fps")
            ltx.fps = std::atof(v.c_str()), ltxOnly = true;
        else if (a == "--size") {
            if (!tandem::model::parseFrameSize(v, ltx.width, ltx.height)) {
                std::cerr << "tandem-engine: --size must be WxH, got '" << v << "'\n";
                return 2;
            }
            ltxOnly = true;
        } else {
            std::cerr << "tandem-engine: unknown option " << a << "\n";
            return 2;
        }
    }
    if (o.socketPath.empty()) {
        std::cerr << "tandem-engine: serve needs --socket PATH\n";
        return 2;
    }
    if (!o.modelDir.empty() && tandem::model::isLtxModelPath(o.modelDir)) return serveLtx(o, ltx);
    if (ltxOnly) {
        std::cerr << "tandem-engine: --text-encoder, --size, --fps and --distilled are for LTX-2.3 models\n";
        return 2;
    }
    return tandem::model::runEngineServer(o);
}
