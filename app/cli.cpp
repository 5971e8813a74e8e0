// tandem-cli: the command-line face of Tandem. Each command is a short function over the libraries.
#include "model/ltx2/pipeline.h" // first: LibTorch before any Qt header
#include "app/cli_args.h"
#include "app/eval.h"
#include "app/export_command.h"
#include "app/refine_command.h"
#include "app/sync_command.h"
#include "app/mlt_command.h"
#include "app/otio_command.h"

#include "model/engine.h"
#include "render/media_error.h"
#include "render/movie_writer.h"
#include "render/probe.h"
#include "render/conform.h"
#include "render/contact_sheet.h"
#include "model/engine_client.h"
#include "model/gpu_memory.h"
#include "model/installed_models.h"
#include "model/model_folder.h"
#include "model/shot_file.h"
#include "ui/shot_media.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <thread>
#include <functional>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <sys/resource.h>
#include <unistd.h>
#include <iostream>
#include <set>
#include <sstream>

namespace tandem::app {

namespace {

struct Command {
    const char* name;
    const char* summary;
    const char* usage;
    std::function<int(const std::vector<std::string>&)> run;
    bool task = true; // tasks share the common options (kCommonOptions)
};

const char* kCommonOptions = R"(
common options:
  --prompt TEXT           what the shot shows and sounds like; dialogue goes in <S>…<E>
  -o, --output FILE       the MP4 to write (H.264 + AAC)
  --shot FILE             also write the lossless shot (frames, sound and latents) as .safetensors;
                          other commands take it as --input, and extend continues from its latents
  --sheet FILE            also write a contact sheet (PNG): the prompt, 8 frames and the waveform
  --refs A,B,…            references: pictures, clips or sounds (a character, a style, a voice) that
                          condition the shot without appearing in it; up to 4 s of each is used
  --seed N                random seed (default 0); the same seed gives the same shot on the same device
  --steps K               sampler steps (default 20)
  --solver S              euler | heun (default euler; heun costs two network calls a step)
  --shift X               timestep shift (default 3)
  --negative TEXT         negative prompt (used when a guidance scale is not 1)
  --video-guidance G      classifier-free guidance for the picture (1 = off; default: the model's)
  --audio-guidance G      classifier-free guidance for the sound (1 = off; default: the model's)
  --guidance-floor T      guide only the steps at noise level ≥ T, 0 = every step (default: the model's)
  --model DIR|FILE        model folder (config.json + model.safetensors), or an LTX-2.3 checkpoint (the
                          single file, or a folder of ComfyUI-split files; see docs/models.md); default:
                          the shipped demo model (resources/models/demo)
  --untrained             random weights instead of a model (tests the pipeline; the output is noise)
  --device D              auto | cpu | cuda (default auto)
  --threads N             CPU threads (default: all cores)
  --offload               CUDA: keep transformer blocks in CPU memory (for GPUs too small for the model)
  --engine                run in a separate tandem-engine process (as the editor does) instead of
                          in this one
  --engine HOST:PORT --token-file F
                          run on an engine on another machine (tandem-engine serve --listen), over
                          TLS; F holds the line that engine printed (also in its configuration
                          folder as 'pairing'); its model and geometry are the engine's
  --quiet                 no progress lines
with an LTX-2.3 checkpoint (run in a tandem-engine process serving it; generate also in this one):
  --text-encoder DIR      the Gemma 3 folder (config.json, weight shards, tokenizer.model); required
  --size WxH              frame size, multiples of 32 (default 768x512); the input is conformed to it
  --fps F                 frame rate (default 24)
  --distilled             the distilled checkpoint's fixed 8 steps, no guidance passes
  (steps default to 30; --refs are refused with the reason)
)";

const char* kGenerateUsage = R"(usage: tandem-cli generate --prompt TEXT -o OUT.mp4 [--seconds S] [options]

Generates a shot — pictures and sound together — from a text prompt.

generate options:
  --seconds S             length (default 4; rounded to whole latent steps)
)";

const char* kImageUsage = R"(usage: tandem-cli image --input IMAGE --prompt TEXT -o OUT.mp4 [--seconds S] [options]

Generates a shot whose first frame is the given picture (scaled to cover the model's frame).

image options:
  --input FILE            the first frame (PNG, JPEG, or the first frame of a video)
  --seconds S             length (default 4)
)";

const char* kInpaintUsage = R"(usage: tandem-cli inpaint --input SHOT --mask PNG --prompt TEXT -o OUT.mp4 [options]

Regenerates the painted part of the picture; every pixel outside the mask is kept exactly.

inpaint options:
  --input FILE            the shot to repair (media or a .safetensors shot)
  --mask PNG              white = repaint, black = keep (scaled to the model's frame)
  --frames A-B            frame range the mask applies to (default: all)
  --regenerate-audio      regenerate the sound too (default: kept exactly)
)";

const char* kRetakeUsage = R"(usage: tandem-cli retake --input SHOT --start T0 --end T1 --prompt TEXT -o OUT.mp4 [options]

Regenerates the window [T0, T1) seconds; everything outside it is kept exactly.

retake options:
  --input FILE            the shot (media or a .safetensors shot)
  --start T0, --end T1    the window, in seconds
  --keep-video            retake the sound only
  --keep-audio            retake the picture only
)";

const char* kExtendUsage = R"(usage: tandem-cli extend --input SHOT --seconds S --prompt TEXT -o OUT.mp4 [options]

Adds S seconds after (or before) the shot, conditioned on its neighbouring seconds. From a .safetensors
shot it continues from the stored latents, so repeated extensions do not drift in colour.

extend options:
  --input FILE            the shot (media or a .safetensors shot)
  --seconds S             seconds to add (default 4)
  --backward              add them before the shot
  --context S             seconds of the shot that condition the new part (default 2)
)";

const char* kRestyleUsage = R"(usage: tandem-cli restyle --input SHOT --prompt TEXT -o OUT.mp4 [--strength s] [options]

Regenerates the picture under a new prompt, starting from the shot at noise level s; the sound is kept.

restyle options:
  --input FILE            the shot (media or a .safetensors shot)
  --strength s            0 < s ≤ 1: how far from the original (default 0.6)
)";

const char* kFoleyUsage = R"(usage: tandem-cli foley --input VIDEO --prompt TEXT -o OUT.mp4 [options]

Generates sound for the picture; the picture is kept exactly.

foley options:
  --input FILE            the clip (media or a .safetensors shot)
)";

const char* kDubUsage = R"(usage: tandem-cli dub --input AUDIO --prompt TEXT -o OUT.mp4 [options]

Generates the picture for a voice line or any sound; the sound is kept exactly.

dub options:
  --input FILE            the sound (any audio or video file with sound, or a .safetensors shot)
)";

const char* kProbeUsage = R"(usage: tandem-cli probe FILE [--json]

Prints the streams of a media file (codec, size, frame rate, sample rate, duration), or why it cannot be read.
)";

struct TaskCommand {
    model::Task task;
    std::set<std::string> values;
    std::set<std::string> flags;
};

const std::set<std::string> kCommonValues = {"prompt", "output", "shot", "sheet", "refs", "seed", "steps", "solver", "shift", "negative",
                                             "video-guidance", "audio-guidance", "guidance-floor", "model", "device", "threads",
                                             "text-encoder", "size", "fps", "token-file"};

TaskCommand taskCommand(model::Task task) {
    TaskCommand c{task, kCommonValues, {"quiet", "engine", "offload", "untrained", "distilled"}};
    auto add = [&](std::initializer_list<const char*> values, std::initializer_list<const char*> flags = {}) {
        for (auto v : values) c.values.insert(v);
        for (auto f : flags) c.flags.insert(f);
    };
    switch (task) {
    case model::Task::Generate: add({"seconds"}); break;
    case model::Task::Image: add({"input", "seconds"}); break;
    case model::Task::Inpaint: add({"input", "mask", "frames"}, {"regenerate-audio"}); break;
    case model::Task::Retake: add({"input", "start", "end"}, {"keep-video", "keep-audio"}); break;
    case model::Task::Extend: add({"input", "seconds", "context"}, {"backward"}); break;
    case model::Task::Restyle: add({"input", "strength"}); break;
    case model::Task::Foley: add({"input"}); break;
    case model::Task::Dub: add({"input"}); break;
    }
    return c;
}

// Reads the --input of a task: a lossless shot file as it is, or any media conformed to the model.
model::Shot loadSource(const std::string& path, const model::ModelConfig& cfg, model::Task task) {
    try {
        return ui::loadSourceShot(path, cfg, task);
    } catch (const ui::ShotInputError& e) {
        throw UsageError(e.what());
    }
}

std::vector<std::string> splitList(const std::string& text) {
    std::vector<std::string> out;
    std::stringstream in(text);
    std::string item;
    while (std::getline(in, item, ','))
        if (!item.empty()) out.push_back(item);
    return out;
}

// The inpaint mask: a picture, white = repaint, scaled to the model's frame and repeated over the frames.
std::vector<uint8_t> loadMask(const std::string& path, const model::ModelConfig& cfg, int64_t frames) {
    render::ConformSpec spec{cfg.video.width, cfg.video.height, cfg.video.fps, cfg.audio.sample_rate, 3600};
    const render::ConformedMedia m = render::conformMedia(path, spec);
    if (!m.hasVideo()) throw UsageError(path + " is not a picture");
    const size_t px = size_t(cfg.video.width) * cfg.video.height;
    std::vector<uint8_t> one(px);
    for (size_t i = 0; i < px; ++i) {
        const int grey = (m.rgb[i * 3] + m.rgb[i * 3 + 1] + m.rgb[i * 3 + 2]) / 3;
        one[i] = grey > 127 ? 255 : 0;
    }
    std::vector<uint8_t> all;
    all.reserve(px * frames);
    for (int64_t f = 0; f < frames; ++f) all.insert(all.end(), one.begin(), one.end());
    return all;
}



// A private folder for the files a job sends and receives, removed when the job is done.
struct JobFolder {
    std::filesystem::path dir;
    JobFolder() : dir(std::filesystem::temp_directory_path() / ("tandem-cli-" + std::to_string(::getpid()))) {
        std::filesystem::create_directories(dir);
    }
    ~JobFolder() {
        std::error_code ec;
        std::filesystem::remove_all(dir, ec);
    }
    std::string file(const std::string& name) const { return (dir / name).string(); }
};

// One line per sampler step on stderr (unless --quiet).
std::function<void(int, int, double, double)> progressPrinter(bool quiet) {
    return [quiet](int step, int total, double elapsed, double eta) {
        if (!quiet) std::fprintf(stderr, "step %d/%d  elapsed %.1f s  ETA %.1f s\n", step, total, elapsed, eta);
    };
}

// Runs the request on an engine (this machine's process or another machine's): the media travel as shot
// files in `work` — named to a local engine, uploaded to a remote one.
model::Shot runOnEngine(model::EngineClient& client, const model::ShotRequest& req, const JobFolder& work, bool quiet,
                        const std::function<void(int, int, double, double)>& onProgress) {
    std::string input, mask;
    if (req.source.frames > 0 || !req.source.audio.empty()) {
        input = work.file("input.safetensors");
        model::writeShotFile(input, req.source);
    }
    if (!req.paint_mask.empty()) {
        mask = work.file("mask.safetensors");
        model::writeMaskFile(mask, req.paint_mask, req.source.frames, req.source.height, req.source.width);
    }
    std::vector<std::string> refs;
    for (size_t i = 0; i < req.references.size(); ++i) {
        refs.push_back(work.file("ref" + std::to_string(i) + ".safetensors"));
        model::writeShotFile(refs.back(), req.references[i]);
    }
    const std::string output = work.file("output.safetensors");
    const std::string job = client.submit(req, input, mask, output, refs);
    if (!quiet) {
        if (client.isRemote()) std::cerr << "submitted " << job << " to the remote engine\n";
        else std::cerr << "submitted " << job << " to the engine process (pid " << client.pid() << ")\n";
    }
    while (true) {
        for (const auto& m : client.poll(200)) {
            const std::string type = m["type"];
            if (type == "progress") onProgress(m["step"], m["total"], m["elapsed"], m["eta"]);
            else if (type == "accepted" && !quiet && m.value("position", 0) > 0)
                std::cerr << m["position"] << " job(s) ahead of this one on the engine\n";
            else if (type == "result") return model::readShotFile(output);
            else if (type == "error" && m.value("job", job) == job) throw std::runtime_error(m["message"].get<std::string>());
            else if (type == "cancelled") throw std::runtime_error("the job was cancelled");
        }
    }
}

// Runs the request through a tandem-engine process of its own.
model::Shot runInEngineProcess(const model::ShotRequest& req, const std::string& modelDir, const model::EngineOptions& opts,
                               bool quiet, const std::function<void(int, int, double, double)>& onProgress,
                               const std::vector<std::string>& modelArgs = {}) {
    const JobFolder work;
    model::EngineLaunch launch;
    launch.program = programDir() + "/tandem-engine";
    launch.socketPath = work.file("engine.sock");
    launch.modelDir = modelDir;
    launch.device = opts.device;
    launch.threads = opts.threads;
    launch.offload = opts.offload;
    launch.extraArgs = modelArgs;
    if (!modelArgs.empty()) launch.readySeconds = 3600; // a 22 B model and its text encoder load for minutes
    auto client = model::EngineClient::launch(launch);
    return runOnEngine(*client, req, work, quiet, onProgress);
}

// --engine HOST:PORT --token-file F: F holds the engine's pairing line (or its token= and sha256= parts).
std::unique_ptr<model::EngineClient> connectRemoteEngine(const std::string& hostPort, const std::string& tokenFile, bool quiet) {
    model::remote::EngineAddress address = model::remote::readPairingFile(tokenFile);
    if (!model::remote::parseHostPort(hostPort, address.host, address.port))
        throw UsageError("--engine must be HOST:PORT, got '" + hostPort + "'");
    auto client = model::EngineClient::connectRemote(address);
    if (!quiet)
        std::cerr << "engine at " << hostPort << ": " << client->engineInfo().value("device", std::string()) << ", "
                  << client->engineInfo().value("model", std::string()) << ", round trip "
                  << int(client->roundTripSeconds() * 1000) << " ms\n";
    return client;
}

// The most GPU memory LibTorch's tensors held since the last reset, in GB (then reset); -1 without a CUDA
// build or GPU.
double peakGpuGb() {
    const double bytes = model::peakGpuMemoryBytes();
    model::resetPeakGpuMemory();
    return bytes < 0 ? -1 : bytes / 1e9;
}

// Peak resident memory of this process so far, in GB (Linux reports kB).
double peakResidentGb() {
    struct rusage usage {};
    getrusage(RUSAGE_SELF, &usage);
    return usage.ru_maxrss / 1e6;
}

// An LTX-2.3 engine's delivery as the command asks it (--size, --fps; the vocoder's 48 kHz): the geometry
// the task's input is conformed to.
model::ModelConfig ltxDelivery(Args& args) {
    model::ModelConfig c;
    const std::string size = args.text("size", "768x512");
    if (!model::parseFrameSize(size, c.video.width, c.video.height)) throw UsageError("--size must be WxH, got '" + size + "'");
    c.video.fps = args.number("fps", 24.0, 1.0, 120.0);
    c.audio.sample_rate = 48000;
    return c;
}

// The options a tandem-engine serving an LTX-2.3 checkpoint is started with.
std::vector<std::string> ltxEngineArgs(Args& args) {
    std::vector<std::string> a{"--text-encoder", args.required("text-encoder"), "--size", args.text("size", "768x512"),
                               "--fps", args.text("fps", "24")};
    if (args.has("distilled")) a.push_back("--distilled");
    if (args.has("offload")) a.push_back("--offload");
    return a;
}

// generate with an LTX-2.3 checkpoint (single file or split folder): the model/ltx2 pipeline, in this
// process. The stages run one after the other and the text encoder is released before denoising, so its
// weights never sit beside the transformer's; each stage reports its time and the peak memory so far.
int runLtxGenerate(Args& args) {
    namespace ltx = model::ltx2;
    const std::string textEncoder = args.required("text-encoder");
    ltx::LtxShotRequest r;
    r.prompt = args.required("prompt");
    r.negative_prompt = args.text("negative");
    const std::string out = args.required("output");
    const model::ModelConfig delivery = ltxDelivery(args);
    r.fps = delivery.video.fps;
    r.width = delivery.video.width;
    r.height = delivery.video.height;
    r.seed = static_cast<uint64_t>(args.integer("seed", 0, 0, (1LL << 62)));
    r.steps = static_cast<int>(args.integer("steps", 30, 1, 1000));
    r.distilled = args.has("distilled");
    if (r.distilled) r.video_guider = r.audio_guider = ltx::GuiderParams{};
    const int threads = static_cast<int>(args.integer("threads", 0, 0, 1024));
    torch::set_num_threads(threads > 0 ? threads : static_cast<int>(std::thread::hardware_concurrency()));
    const std::string device = args.text("device", "auto");
    if (device != "auto" && device != "cpu" && device != "cuda")
        throw UsageError("--device must be auto, cpu or cuda, got '" + device + "'");
    const bool cuda = device == "cuda" || (device == "auto" && torch::cuda::is_available());
    const auto options = cuda ? torch::TensorOptions().device(torch::kCUDA).dtype(torch::kBFloat16) : torch::TensorOptions();
    ltx::LtxTextEncoder text(textEncoder, cuda ? options : torch::TensorOptions());
    // --offload: the blocks stay in host memory and are streamed to the GPU for their turn.
    auto ltxModel = ltx::LtxModel::load(args.required("model"), options, text.width(), args.has("offload"));
    // Frames: the length rounded to the VAE's time scale, plus the causal first frame.
    r.frames = ltx::ltxFrameCount(ltxModel, args.number("seconds", 4.0, 0.05, 20.0), r.fps);
    ltx::keepStgBlocksOf(ltxModel, r);
    ltx::checkShotRequest(ltxModel, r);
    const bool quiet = args.has("quiet");
    if (!quiet) {
        std::cerr << "generate (LTX-2): " << r.width << "x" << r.height << ", " << r.frames << " frames at " << r.fps
                  << " fps, 48000 Hz stereo on " << (cuda ? "cuda" : "cpu") << "\n";
        for (const auto& section : ltxModel.recognised)
            std::cerr << "  no file carries the \"" << section << "\" header: recognised as LTX-2.3's from the tensors\n";
    }
    auto stageStart = std::chrono::steady_clock::now();
    model::resetPeakGpuMemory(); // each stage reports its own peak
    auto report = [&](const char* stage) {
        const auto now = std::chrono::steady_clock::now();
        const double gpu = peakGpuGb();
        if (!quiet) {
            std::fprintf(stderr, "%-13s %6.1f s   peak resident memory %.2f GB", stage,
                         std::chrono::duration<double>(now - stageStart).count(), peakResidentGb());
            if (gpu >= 0) std::fprintf(stderr, ", peak GPU memory in this stage %.2f GB", gpu);
            std::fprintf(stderr, "\n");
        }
        stageStart = now;
    };
    const auto contexts = ltx::encodePrompts(ltxModel, text, r);
    text.release();
    report("text encoder");
    const auto started = std::chrono::steady_clock::now();
    const auto printProgress = progressPrinter(quiet);
    const auto latents = ltx::sampleLatents(ltxModel, contexts, r, [&](int step, int total) {
        const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
        printProgress(step, total, elapsed, elapsed / step * (total - step));
    });
    report("denoising");
    const auto shot = ltx::decodeLatents(ltxModel, latents, r);
    report("decoding");
    ui::writeShotMovie(ltx::toShot(shot), out);
    return 0;
}

// The request a task's options describe (its media are loaded separately, at the model's geometry).
model::ShotRequest requestFromArgs(model::Task task, const Args& args, bool ltx) {
    // Asked now, before any model or media is read, not after minutes of generating.
    (void)args.required("output");
    if (task != model::Task::Generate) (void)args.required("input");
    if (task == model::Task::Inpaint) (void)args.required("mask");
    model::ShotRequest req;
    req.task = task;
    req.prompt = args.required("prompt");
    req.seconds = args.number("seconds", 4.0, 0.05, ltx ? 20.0 : 60.0); // LTX-2.3 makes up to 20 s
    req.seed = static_cast<uint64_t>(args.integer("seed", 0, 0, (1LL << 62)));
    req.steps = static_cast<int>(args.integer("steps", ltx ? 30 : 20, 1, 1000)); // LTX-2.3 dev wants about 30
    req.shift = args.number("shift", 3.0, 0.1, 100.0);
    const std::string solver = args.text("solver", "euler");
    if (solver != "euler" && solver != "heun") throw UsageError("--solver must be euler or heun, got '" + solver + "'");
    req.solver = solver == "heun" ? model::Solver::Heun : model::Solver::Euler;
    req.negative_prompt = args.text("negative");
    // Unset: the model's own defaults (its config.json "sampler").
    if (args.has("video-guidance")) req.video_guidance = args.number("video-guidance", 1.0, 0.0, 50.0);
    if (args.has("audio-guidance")) req.audio_guidance = args.number("audio-guidance", 1.0, 0.0, 50.0);
    if (args.has("guidance-floor")) req.guidance_noise_floor = args.number("guidance-floor", 0.0, 0.0, 1.0);
    req.strength = args.number("strength", 0.6, 0.01, 1.0);
    req.context_seconds = args.number("context", 2.0, 0.05, 60.0);
    req.backward = args.has("backward");
    req.regenerate_audio = task == model::Task::Inpaint ? args.has("regenerate-audio") : !args.has("keep-audio");
    req.regenerate_video = !args.has("keep-video");
    if (task == model::Task::Retake) {
        req.window_start = args.number("start", -1, 0, 60);
        req.window_end = args.number("end", -1, 0, 60);
        if (req.window_start < 0 || req.window_end < 0) throw UsageError("retake needs --start and --end");
        if (!req.regenerate_video && !req.regenerate_audio)
            throw UsageError("--keep-video and --keep-audio together leave nothing to retake");
    }
    if (const std::string frames = args.text("frames"); !frames.empty()) {
        long long a = 0, b = 0;
        char dash = 0;
        std::istringstream in(frames);
        if (!(in >> a >> dash >> b) || dash != '-' || a < 0 || b < a) throw UsageError("--frames must be A-B with 0 ≤ A ≤ B");
        req.mask_first_frame = a;
        req.mask_last_frame = b;
    }
    return req;
}

// The shot as the options ask: the movie, the lossless shot file, a contact sheet.
void writeTaskOutputs(const model::Shot& shot, const model::ShotRequest& req, const Args& args) {
    const std::string out = args.required("output");
    const std::string shotOut = args.text("shot");
    ui::writeShotMovie(shot, out);
    if (!shotOut.empty()) model::writeShotFile(shotOut, shot);
    if (const std::string sheet = args.text("sheet"); !sheet.empty()) {
        render::ContactSheet c;
        c.title = req.prompt;
        c.width = shot.width, c.height = shot.height, c.fps = shot.fps, c.frames = shot.frames, c.rgb = shot.rgb.data();
        c.sampleRate = shot.sample_rate, c.audio = shot.audio, c.scale = 2;
        render::writeContactSheet(c, sheet);
        std::cout << "wrote " << sheet << " (prompt, frames and waveform)\n";
    }
    std::cout << "wrote " << out << " (" << shot.frames << " frames at " << shot.fps << " fps, "
              << shot.audio.size() << " audio samples at " << shot.sample_rate << " Hz)\n";
}

// The task's media (source, references, mask) at the geometry of the model that will run it.
void loadTaskMedia(model::ShotRequest& req, model::Task task, const Args& args, const model::ModelConfig& cfg) {
    if (task != model::Task::Generate) req.source = loadSource(args.required("input"), cfg, task);
    for (const auto& ref : splitList(args.text("refs"))) req.references.push_back(ui::loadReferenceShot(ref, cfg));
    if (task == model::Task::Inpaint) req.paint_mask = loadMask(args.required("mask"), cfg, req.source.frames);
}

// The task on an engine on another machine: its model, its geometry.
int runTaskRemotely(model::Task task, const Args& args, model::EngineClient& engine) {
    model::ShotRequest req = requestFromArgs(task, args, false);
    loadTaskMedia(req, task, args, engine.modelConfig());
    const JobFolder work;
    const model::Shot shot = runOnEngine(engine, req, work, args.has("quiet"), progressPrinter(args.has("quiet")));
    writeTaskOutputs(shot, req, args);
    return 0;
}

int runTask(model::Task task, const std::vector<std::string>& words) {
    const TaskCommand tc = taskCommand(task);
    const std::string name = model::taskName(task);
    Args args(words, name, tc.values, tc.flags, {{"-o", "--output"}}, {"engine"});
    if (!args.positional().empty()) throw UsageError(name + " takes no positional arguments ('" + args.positional()[0] + "')");
    // An engine on another machine serves its own model: the inputs are prepared to its geometry.
    if (!args.text("engine").empty()) {
        for (const char* local : {"model", "untrained", "device", "threads", "offload", "text-encoder", "size", "fps", "distilled"})
            if (args.has(local))
                throw UsageError(std::string("--") + local + " is chosen on the engine's machine, not with --engine HOST:PORT");
        const auto engine = connectRemoteEngine(args.text("engine"), args.required("token-file"), args.has("quiet"));
        return runTaskRemotely(task, args, *engine);
    }
    if (args.has("token-file")) throw UsageError("--token-file goes with --engine HOST:PORT");
    // An LTX-2.3 checkpoint runs in an engine process serving it, as the editor runs it; text → shot also in
    // this one, stage by stage.
    const bool ltx = args.has("model") && model::isLtxModelPath(args.text("model"));
    if (ltx && task == model::Task::Generate && !args.has("engine")) return runLtxGenerate(args);
    if (!ltx)
        for (const char* ltxOnly : {"text-encoder", "size", "fps", "distilled"})
            if (args.has(ltxOnly))
                throw UsageError(std::string("--") + ltxOnly + " is for LTX-2.3 checkpoints (--model FILE.safetensors)");
    model::ShotRequest req = requestFromArgs(task, args, ltx);
    model::EngineOptions opts;
    opts.device = args.text("device", "auto");
    if (opts.device != "auto" && opts.device != "cpu" && opts.device != "cuda")
        throw UsageError("--device must be auto, cpu or cuda, got '" + opts.device + "'");
    opts.threads = static_cast<int>(args.integer("threads", 0, 0, 1024));
    opts.offload = args.has("offload");
    const bool quiet = args.has("quiet");
    if (args.has("untrained") && args.has("model")) throw UsageError("--untrained and --model exclude each other");
    const std::string modelDir = args.has("untrained") ? std::string() : args.text("model", model::defaultModelDir(programDir()));
    if (modelDir.empty() && !args.has("untrained"))
        throw std::runtime_error("no model: the demo model is not installed and no --model was given (--untrained runs "
                                 "with random weights)");
    const model::ModelFolder folder =
        modelDir.empty() || ltx ? model::ModelFolder{} : model::readModelFolder(modelDir);
    const model::ModelConfig cfg = ltx ? ltxDelivery(args) : folder.config;
    loadTaskMedia(req, task, args, cfg);
    if (!modelDir.empty() && !ltx) { // Gemma reads any words
        const auto unknown = folder.tokenizer.unknownWords(req.prompt);
        if (!unknown.empty()) {
            std::cerr << "note: the model was not trained on these words of the prompt:";
            for (const auto& w : unknown) std::cerr << " " << w;
            std::cerr << "\n";
        }
    }
    if (modelDir.empty())
        std::cerr << "warning: --untrained: no trained model is loaded — the weights are random, so the picture and the sound "
                     "will be meaningless noise.\n";
    const auto onProgress = progressPrinter(quiet);
    model::Shot shot;
    if (ltx) {
        shot = runInEngineProcess(req, modelDir, opts, quiet, onProgress, ltxEngineArgs(args));
    } else if (args.has("engine")) {
        shot = runInEngineProcess(req, modelDir, opts, quiet, onProgress);
    } else {
        auto engine = modelDir.empty() ? model::Engine::createUntrained(cfg, opts) : model::Engine::load(modelDir, opts);
        if (!quiet)
            std::cerr << name << ": " << cfg.video.width << "x" << cfg.video.height << ", " << cfg.video.fps << " fps, "
                      << cfg.audio.sample_rate << " Hz on " << engine->deviceName() << "\n";
        shot = engine->generate(req, [&](const model::StepProgress& p) {
            onProgress(p.step, p.total, p.elapsed_seconds, p.eta_seconds);
            return true;
        });
    }
    writeTaskOutputs(shot, req, args);
    return 0;
}

int runProbe(const std::vector<std::string>& words) {
    Args args(words, "probe", {}, {"json"});
    if (args.positional().size() != 1) throw UsageError("probe needs exactly one FILE");
    const render::MediaInfo info = render::probe(args.positional()[0]);
    if (args.has("json")) {
        nlohmann::json j{{"path", info.path}, {"container", info.container}, {"duration", info.duration}};
        j["streams"] = nlohmann::json::array();
        for (const auto& s : info.streams) {
            nlohmann::json st{{"index", s.index}, {"codec", s.codec}, {"duration", s.duration}};
            if (s.kind == render::StreamInfo::Kind::Video) {
                st["type"] = "video";
                st["width"] = s.width;
                st["height"] = s.height;
                st["fps"] = s.fps;
                st["frames"] = s.frames;
            } else if (s.kind == render::StreamInfo::Kind::Audio) {
                st["type"] = "audio";
                st["sample_rate"] = s.sample_rate;
                st["channels"] = s.channels;
            } else {
                st["type"] = "other";
            }
            j["streams"].push_back(st);
        }
        std::cout << j.dump(2) << "\n";
        return 0;
    }
    std::printf("%s: %s, %.3f s\n", info.path.c_str(), info.container.c_str(), info.duration);
    for (const auto& s : info.streams) {
        if (s.kind == render::StreamInfo::Kind::Video)
            std::printf("  #%d video %s %dx%d %.3f fps, %.3f s\n", s.index, s.codec.c_str(), s.width, s.height, s.fps, s.duration);
        else if (s.kind == render::StreamInfo::Kind::Audio)
            std::printf("  #%d audio %s %d Hz, %d ch, %.3f s\n", s.index, s.codec.c_str(), s.sample_rate, s.channels, s.duration);
        else
            std::printf("  #%d other %s\n", s.index, s.codec.c_str());
    }
    return 0;
}

const std::vector<Command>& commands() {
    static const std::vector<Command> list = {
        {"generate", "text → a shot with picture and sound", kGenerateUsage, [](const std::vector<std::string>& w) { return runTask(model::Task::Generate, w); }},
        {"image", "a still as the first frame → a shot", kImageUsage, [](const std::vector<std::string>& w) { return runTask(model::Task::Image, w); }},
        {"inpaint", "repaint a masked region over a frame range", kInpaintUsage, [](const std::vector<std::string>& w) { return runTask(model::Task::Inpaint, w); }},
        {"retake", "regenerate a time window", kRetakeUsage, [](const std::vector<std::string>& w) { return runTask(model::Task::Retake, w); }},
        {"extend", "continue a shot forwards or backwards", kExtendUsage, [](const std::vector<std::string>& w) { return runTask(model::Task::Extend, w); }},
        {"restyle", "re-imagine the picture, keep the sound", kRestyleUsage, [](const std::vector<std::string>& w) { return runTask(model::Task::Restyle, w); }},
        {"foley", "give a silent clip its sound", kFoleyUsage, [](const std::vector<std::string>& w) { return runTask(model::Task::Foley, w); }},
        {"dub", "give a voice line a face", kDubUsage, [](const std::vector<std::string>& w) { return runTask(model::Task::Dub, w); }},
        {"probe", "show the streams of a media file", kProbeUsage, runProbe, false},
        {"export", "render a project's sequence to an MP4", kExportUsage, runExport, false},
        {"sync", "measure the audio-visual offset of a shot (lips or impacts), its confidence and drift", kSyncUsage, runSync, false},
        {"refine", "a shot to a deliverable rate and size (flow interpolation, upscaling)", kRefineUsage, runRefine, false},
        {"otio", "OpenTimelineIO: import a timeline as a project, export a sequence", kOtioUsage, runOtio, false},
        {"export-mlt", "a sequence as a Shotcut / Kdenlive (MLT XML) project, with its media beside it", kExportMltUsage, runExportMlt, false},
        {"import-mlt", "a Shotcut project or MLT XML document as a new project", kImportMltUsage, runImportMlt, false},
        {"eval", "measure the model on held-out world seeds (sync, lips, adherence, keeps, drift)", kEvalUsage,
         [](const std::vector<std::string>& w) { return runEval(w, programDir()); }, false},
    };
    return list;
}

void printHelp() {
    std::cout << "usage: tandem-cli COMMAND [options]   (tandem-cli COMMAND --help for details)\n\ncommands:\n";
    for (const auto& c : commands()) std::printf("  %-10s %s\n", c.name, c.summary);
    std::cout << "\n  --help     this text\n  --version  the program's version\n";
}

} // namespace

int runCli(int argc, char** argv) {
    std::vector<std::string> words(argv + 1, argv + argc);
    if (words.empty()) {
        printHelp();
        std::cerr << "tandem-cli: no command given\n";
        return 2;
    }
    if (words[0] == "--help" || words[0] == "-h" || words[0] == "help") {
        printHelp();
        return 0;
    }
    if (words[0] == "--version") {
        std::cout << "tandem-cli " << TANDEM_VERSION << "\n";
        return 0;
    }
    for (const auto& c : commands()) {
        if (words[0] != c.name) continue;
        std::vector<std::string> rest(words.begin() + 1, words.end());
        for (const auto& w : rest)
            if (w == "--help" || w == "-h") {
                std::cout << c.usage << (c.task ? kCommonOptions : "");
                return 0;
            }
        try {
            return c.run(rest);
        } catch (const UsageError& e) {
            std::cerr << "tandem-cli " << c.name << ": " << e.what() << " (see tandem-cli " << c.name << " --help)\n";
            return 2;
        } catch (const render::MediaError& e) {
            std::cerr << "tandem-cli " << c.name << ": " << e.what() << "\n";
            return 1;
        } catch (const std::exception& e) {
            std::cerr << "tandem-cli " << c.name << ": " << e.what() << "\n";
            return 1;
        }
    }
    std::cerr << "tandem-cli: unknown command '" << words[0] << "' (see tandem-cli --help)\n";
    return 2;
}

} // namespace tandem::app
