// tandem-engine: the engine process. Loads one model and serves jobs over a local socket, over TLS to
// other machines, or both (docs/engine-protocol.md). The editor starts a local one; a GPU machine runs one
// for several editors (docs/deploy.md).
#include "model/engine_server.h"
#include "model/host_memory.h"
#include "model/installed_models.h"
#include "model/ltx2/ltx_engine.h"
#include "model/model_folder.h"

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <string>

namespace {

const char* kUsage =
    R"(usage: tandem-engine serve [--socket PATH] [--listen HOST:PORT] [--model DIR|FILE | --config FILE] [--device D] [--threads N] [--offload]
       tandem-engine serve [--socket PATH] [--listen HOST:PORT] --model FILE.safetensors|DIR --text-encoder DIR [--size WxH] [--fps F] [--distilled]

Serves generation jobs, one at a time, round robin between clients. Messages are JSON lines
(docs/engine-protocol.md; running it on a GPU machine for other machines: docs/deploy.md).
  --socket PATH   the Unix socket to listen on (created once the model has loaded, mode 0600)
  --listen HOST:PORT  also (or only) serve other machines over TLS; 127.0.0.1 unless you name another
                  address (0.0.0.0 = every interface). On first start a certificate and a token are made
                  (mode 0600, in --identity DIR); the line to paste into the editor is printed
  --identity DIR  certificate, key and token (default $XDG_CONFIG_HOME/tandem/engine)
  --spool DIR     uploads kept for reuse and results in transit (default $XDG_CACHE_HOME/tandem/engine-spool)
  --spool-limit-mb N   uploads kept at most (default 20480; the least recently used go first)
  --max-upload-mb N    the largest single upload (default 4096)
  --upload-timeout S   an upload silent this long is dropped and its bytes deleted (default 60)
  --handshake-timeout S  TLS handshake and token must come within (default 10)
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
    return tandem::model::serveModel(std::move(model), o.modelDir, o.listen);
}

} // namespace

int main(int argc, char** argv) {
    tandem::model::keepFreedTensorMemory();
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
            o.listen.socketPath = v;
        else if (a == "--listen")
            o.listen.listen = v.find(':') == std::string::npos ? "127.0.0.1:" + v : v; // a bare port: loopback
        else if (a == "--identity")
            o.listen.identityDir = v;
        else if (a == "--spool")
            o.listen.spoolDir = v;
        else if (a == "--spool-limit-mb")
            o.listen.spoolLimitBytes = uint64_t(std::max(0.0, std::atof(v.c_str())) * (1 << 20));
        else if (a == "--max-upload-mb")
            o.listen.maxBlobBytes = uint64_t(std::max(0.0, std::atof(v.c_str())) * (1 << 20));
        else if (a == "--upload-timeout")
            o.listen.blobTimeoutSeconds = std::max(0.05, std::atof(v.c_str()));
        else if (a == "--handshake-timeout")
            o.listen.handshakeTimeoutSeconds = std::max(0.05, std::atof(v.c_str()));
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
    if (o.listen.socketPath.empty() && o.listen.listen.empty()) {
        std::cerr << "tandem-engine: serve needs --socket PATH, --listen HOST:PORT or both\n";
        return 2;
    }
    if (!o.modelDir.empty() && tandem::model::isLtxModelPath(o.modelDir)) return serveLtx(o, ltx);
    if (ltxOnly) {
        std::cerr << "tandem-engine: --text-encoder, --size, --fps and --distilled are for LTX-2.3 models\n";
        return 2;
    }
    return tandem::model::runEngineServer(o);
}
