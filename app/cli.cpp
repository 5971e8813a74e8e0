// tandem-cli: the command-line face of Tandem. Each command is a short function over the libraries.
#include "app/cli_args.h"

#include "model/engine.h"
#include "render/media_error.h"
#include "render/movie_writer.h"
#include "render/probe.h"

#include <nlohmann/json.hpp>

#include <cstdio>
#include <functional>
#include <iostream>

namespace tandem::app {

namespace {

struct Command {
    const char* name;
    const char* summary;
    const char* usage;
    std::function<int(const std::vector<std::string>&)> run;
};

const char* kGenerateUsage = R"(usage: tandem-cli generate --prompt TEXT -o OUT.mp4 [options]

Generates a shot — pictures and sound together — from a text prompt and writes it as an MP4 (H.264 + AAC).
Dialogue written <S>like this<E> in the prompt is treated as speech.

options:
  --prompt TEXT           what the shot shows and sounds like (required)
  -o, --output FILE       the MP4 to write (required)
  --seconds S             length in seconds (default 4; rounded to whole latent steps)
  --seed N                random seed (default 0); the same seed gives the same shot on the same device
  --steps K               sampler steps (default 20)
  --shift X               timestep shift (default 3)
  --negative TEXT         negative prompt (used when a guidance scale is not 1)
  --video-guidance G      classifier-free guidance for the picture (default 1 = off)
  --audio-guidance G      classifier-free guidance for the sound (default 1 = off)
  --model DIR             model folder (config.json + model.safetensors); without it the weights are
                          random and the output is noise
  --device D              auto | cpu | cuda (default auto)
  --threads N             CPU threads (default: all cores)
  --quiet                 no progress lines
)";

const char* kProbeUsage = R"(usage: tandem-cli probe FILE [--json]

Prints the streams of a media file (codec, size, frame rate, sample rate, duration), or why it cannot be read.
)";

int runGenerate(const std::vector<std::string>& words) {
    Args args(words, "generate",
              {"prompt", "output", "seconds", "seed", "steps", "shift", "negative", "video-guidance",
               "audio-guidance", "device", "threads", "model"},
              {"quiet"}, {{"-o", "--output"}});
    if (!args.positional().empty()) throw UsageError("generate takes no positional arguments ('" + args.positional()[0] + "')");
    model::GenerateRequest req;
    req.prompt = args.required("prompt");
    const std::string out = args.required("output");
    req.seconds = args.number("seconds", 4.0, 0.05, 60.0);
    req.seed = static_cast<uint64_t>(args.integer("seed", 0, 0, (1LL << 62)));
    req.steps = static_cast<int>(args.integer("steps", 20, 1, 1000));
    req.shift = args.number("shift", 3.0, 0.1, 100.0);
    req.negative_prompt = args.text("negative");
    req.video_guidance = args.number("video-guidance", 1.0, 0.0, 50.0);
    req.audio_guidance = args.number("audio-guidance", 1.0, 0.0, 50.0);
    model::EngineOptions opts;
    opts.device = args.text("device", "auto");
    if (opts.device != "auto" && opts.device != "cpu" && opts.device != "cuda")
        throw UsageError("--device must be auto, cpu or cuda, got '" + opts.device + "'");
    opts.threads = static_cast<int>(args.integer("threads", 0, 0, 1024));
    const bool quiet = args.has("quiet");

    const std::string modelDir = args.text("model");
    auto engine = modelDir.empty() ? model::Engine::createUntrained(model::ModelConfig{}, opts)
                                   : model::Engine::load(modelDir, opts);
    if (!engine->hasTrainedWeights())
        std::cerr << "warning: no trained model is loaded — the weights are random, so the picture and the sound "
                     "will be meaningless noise.\n";
    const auto& cfg = engine->config();
    if (!quiet)
        std::cerr << "generating " << req.seconds << " s at " << cfg.video.width << "x" << cfg.video.height << ", "
                  << cfg.video.fps << " fps on " << engine->deviceName() << "\n";
    model::Shot shot = engine->generate(req, [&](const model::StepProgress& p) {
        if (!quiet) std::fprintf(stderr, "step %d/%d  elapsed %.1f s  ETA %.1f s\n", p.step, p.total, p.elapsed_seconds, p.eta_seconds);
        return true;
    });

    render::MovieSettings ms;
    ms.width = shot.width;
    ms.height = shot.height;
    ms.fps = shot.fps;
    ms.input_sample_rate = shot.sample_rate;
    ms.channels = 1;
    render::MovieWriter writer(out, ms);
    const size_t frameBytes = static_cast<size_t>(shot.width) * shot.height * 3;
    for (int64_t f = 0; f < shot.frames; ++f) writer.addFrame(shot.rgb.data() + f * frameBytes);
    writer.addAudio(shot.audio.data(), static_cast<int64_t>(shot.audio.size()));
    writer.finish();
    std::cout << "wrote " << out << " (" << shot.frames << " frames at " << shot.fps << " fps, "
              << shot.audio.size() << " audio samples at " << shot.sample_rate << " Hz)\n";
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
        {"generate", "text → a shot with picture and sound, written as MP4", kGenerateUsage, runGenerate},
        {"probe", "show the streams of a media file", kProbeUsage, runProbe},
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
                std::cout << c.usage;
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
