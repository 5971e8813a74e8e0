// tandem-train: trains a Tandem model on the procedural world (model/training.h) from a recipe file,
// resumable, with the loss curve kept as CSV (and drawn as PNG where render/ is built).
#include "app/cli_args.h"
#include "model/host_memory.h"
#include "model/training.h"

#ifdef TANDEM_HAVE_RENDER
#include "render/chart.h"
#endif

#include <nlohmann/json.hpp>

#include <csignal>
#include <filesystem>
#include <sys/wait.h>
#include <unistd.h>
#include <fcntl.h>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <map>
#include <sstream>

namespace {

const char* kUsage = R"(usage: tandem-train COMMAND [options]

Commands:
  run     --recipe FILE --out DIR [--device auto|cpu|cuda] [--threads N] [--max-minutes M] [--stage NAME]
          [--init-from DIR [--from-step N]] [--eval-seeds A-B] [--eval-tasks LIST] [--eval-seconds S]
          Trains (or resumes, when DIR holds an earlier run of the same recipe) the stages of the recipe:
          video_vae, audio_vae, video_decoder, audio_decoder, dit (or several dit_… stages). DIR gets
          checkpoint/ (a model folder), checkpoint-average/ (the averaged weights of the diffusion stages),
          optimizer.pt, state.json, the latent pool, loss.csv and loss.png. --max-minutes stops with a
          checkpoint after that much time; Ctrl-C too. --init-from starts a fresh run from the weights of
          another run (or model folder) where they fit, e.g. trained autoencoders; with --stage and
          --from-step, that stage continues its schedule at step N (a later sitting continuing a shipped
          model; the model card says where).
          With the recipe's eval_every, the averaged weights are evaluated with `tandem-cli eval` on
          held-out seeds (default 100-115; tasks generate,foley,dub; 4 s shots) and the figures appended
          to metrics.csv.
  export  --from DIR --to MODEL_DIR
          Writes the training checkpoint of DIR as a model folder with fp16 weights.
  blend   --from MODEL_A --with MODEL_B [--weight W] --to MODEL_DIR
          Writes (1 − W)·A + W·B weight by weight (W 0.5 by default) as a model folder with fp16 weights:
          two models of one config, one fine-tuned from the other, keep part of what each does well.
  plot    --csv FILE --png FILE
          Draws a loss.csv as a PNG, one panel per stage (log scale), or a metrics.csv, one panel per
          figure over the diffusion steps.
)";

volatile std::sig_atomic_t gInterrupted = 0;
bool gStop = false;

void onSignal(int) { gInterrupted = 1; }

std::string readFile(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw std::runtime_error(path + ": cannot be read");
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

std::vector<std::string> splitCsv(const std::string& line) {
    std::vector<std::string> cells;
    std::stringstream row(line);
    std::string cell;
    while (std::getline(row, cell, ',')) cells.push_back(cell);
    return cells;
}

#ifdef TANDEM_HAVE_RENDER

// metrics.csv (stage, step, seconds, then one figure a column): one linear panel per figure, over the
// diffusion steps of all stages in the order they ran (a later stage's steps continue the earlier's).
void plotMetrics(std::ifstream& in, const std::vector<std::string>& header, const std::string& pngPath) {
    std::vector<tandem::render::ChartSeries> panels;
    for (size_t c = 3; c < header.size(); ++c) panels.push_back({header[c], {}, {}});
    std::vector<std::string> stages;
    double offset = 0, lastStep = 0;
    std::string line;
    while (std::getline(in, line)) {
        const auto cells = splitCsv(line);
        if (cells.size() < 3) continue;
        if (stages.empty() || stages.back() != cells[0]) {
            if (!stages.empty()) offset += lastStep;
            stages.push_back(cells[0]);
        }
        lastStep = std::stod(cells[1]);
        for (size_t c = 3; c < cells.size() && c < header.size(); ++c)
            if (!cells[c].empty()) {
                panels[c - 3].x.push_back(offset + lastStep);
                panels[c - 3].y.push_back(std::stod(cells[c]));
            }
    }
    tandem::render::writeLinearChart(panels, pngPath, "diffusion step");
}
#endif

// Draws loss.csv (log axes) or metrics.csv (linear axes), told apart by their header.
bool plotCsv(const std::string& csvPath, const std::string& pngPath) {
#ifdef TANDEM_HAVE_RENDER
    std::ifstream in(csvPath);
    if (!in) throw std::runtime_error(csvPath + ": cannot be read");
    std::string line;
    std::getline(in, line); // header
    const auto header = splitCsv(line);
    if (header.size() > 3 && header[3] != "loss") {
        plotMetrics(in, header, pngPath);
        return true;
    }
    std::vector<tandem::render::ChartSeries> panels;
    while (std::getline(in, line)) {
        const auto cells = splitCsv(line); // stage, step, seconds, loss, parts
        if (cells.size() < 4) continue;
        if (panels.empty() || panels.back().title != cells[0]) panels.push_back({cells[0], {}, {}});
        panels.back().x.push_back(std::stod(cells[1]));
        panels.back().y.push_back(std::stod(cells[3]));
    }
    tandem::render::writeLogChart(panels, pngPath, "step");
    return true;
#else
    (void)csvPath;
    (void)pngPath;
    return false;
#endif
}

// The figures of one evaluation, as a row of metrics.csv.
struct EvalSettings {
    std::string cli, seeds, tasks, seconds, threads;
};

std::string figure(const nlohmann::json& report, const std::vector<const char*>& path) {
    const nlohmann::json* at = &report;
    for (const char* key : path) {
        if (!at->is_object() || !at->contains(key)) return "";
        at = &(*at)[key];
    }
    return at->is_number() ? std::to_string(at->get<double>()) : "";
}

// metrics.csv's columns after stage, step and seconds: one figure of the evaluation report each (the
// first twelve as they have always been, the later ones added after them).
struct MetricColumn {
    const char* name;
    std::vector<const char*> path; // under the report's "tasks"
};
const std::vector<MetricColumn> kMetricColumns = {
    {"adherence_all", {"generate", "adherence", "all"}},
    {"adherence_colour", {"generate", "adherence", "colour"}},
    {"adherence_shape", {"generate", "adherence", "shape"}},
    {"adherence_motion", {"generate", "adherence", "motion"}},
    {"scene_all", {"generate", "scene", "all"}},
    {"impact_median", {"generate", "impact_sync", "median_abs_frames"}},
    {"impact_p90", {"generate", "impact_sync", "p90_abs_frames"}},
    {"impact_matched", {"generate", "impact_sync", "matched_fraction"}},
    {"lip_lag", {"generate", "lip_sync", "median_abs_lag_frames"}},
    {"lip_correlation", {"generate", "lip_sync", "median_correlation"}},
    {"foley_impact_median", {"foley", "impact_sync", "median_abs_frames"}},
    {"dub_lip_correlation", {"dub", "lip_sync", "median_correlation"}},
    // The share of frames an object's colour is seen on: whether objects hold from frame to frame.
    {"colour_frames", {"generate", "adherence", "colour_frames_median"}},
    {"impacts_drawn", {"generate", "impact_sync", "video_events"}},
    {"foley_matched", {"foley", "impact_sync", "matched_fraction"}},
    {"dub_lip_lag", {"dub", "lip_sync", "median_abs_lag_frames"}},
    {"dub_within_1_frame", {"dub", "lip_sync", "within_1_frame"}},
};

void evaluateCheckpoint(const EvalSettings& e, const std::string& outDir, const std::string& modelDir, const std::string& stage, int step,
                        double seconds) {
    const std::string json = outDir + "/eval-latest.json";
    std::vector<std::string> argv = {e.cli, "eval", "--model", modelDir, "--seeds", e.seeds, "--tasks", e.tasks, "--seconds", e.seconds,
                                     "--json", json, "--quiet", "--threads", e.threads};
    std::vector<char*> raw;
    for (auto& s : argv) raw.push_back(s.data());
    raw.push_back(nullptr);
    const pid_t pid = fork();
    if (pid == 0) {
        const int null = ::open("/dev/null", O_WRONLY);
        if (null >= 0) dup2(null, 1);
        execv(e.cli.c_str(), raw.data());
        _exit(127);
    }
    int status = 0;
    if (pid < 0 || waitpid(pid, &status, 0) < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        // 127: execv failed (the child exits so); anything else is the evaluation's own failure, said above.
        const char* why = pid < 0 ? "could not start it" : WIFEXITED(status) && WEXITSTATUS(status) == 127 ? "could not run it"
                                                                                                                : "it failed";
        std::fprintf(stderr, "evaluation at %s step %d skipped: %s (%s)\n", stage.c_str(), step, why, e.cli.c_str());
        return;
    }
    std::ifstream in(json);
    const auto r = nlohmann::json::parse(in, nullptr, false);
    if (r.is_discarded()) return;
    const std::string csv = outDir + "/metrics.csv";
    const auto& t = r["tasks"];
    // A run resumed from before a column was added keeps its file's columns, so its rows stay aligned.
    std::vector<std::string> header;
    if (std::ifstream existing(csv); existing) {
        std::string line;
        std::getline(existing, line);
        header = splitCsv(line);
    }
    const bool fresh = header.empty();
    if (fresh) {
        header = {"stage", "step", "seconds"};
        for (const MetricColumn& c : kMetricColumns) header.push_back(c.name);
    }
    std::ofstream out(csv, std::ios::app);
    if (fresh) {
        for (size_t i = 0; i < header.size(); ++i) out << (i ? "," : "") << header[i];
        out << '\n';
    }
    out << stage << ',' << step << ',' << seconds;
    for (size_t i = 3; i < header.size(); ++i) {
        const auto c = std::find_if(kMetricColumns.begin(), kMetricColumns.end(), [&](const MetricColumn& m) { return header[i] == m.name; });
        out << ',' << (c == kMetricColumns.end() ? "" : figure(t, c->path));
    }
    out << '\n';
    std::printf("eval %s step %d: adherence %s (colour %s, on %s of frames), impact %s, lip %s, foley %s, dub lip %s\n", stage.c_str(), step,
                figure(t, {"generate", "adherence", "all"}).c_str(), figure(t, {"generate", "adherence", "colour"}).c_str(),
                figure(t, {"generate", "adherence", "colour_frames_median"}).c_str(),
                figure(t, {"generate", "impact_sync", "median_abs_frames"}).c_str(), figure(t, {"generate", "lip_sync", "median_correlation"}).c_str(),
                figure(t, {"foley", "impact_sync", "median_abs_frames"}).c_str(), figure(t, {"dub", "lip_sync", "median_correlation"}).c_str());
    std::fflush(stdout);
}

int run(const tandem::app::Args& a, const std::string& programDir) {
    using namespace tandem::model;
    const Recipe recipe = Recipe::fromJson(readFile(a.required("recipe")));
    TrainOptions o;
    o.out_dir = a.required("out");
    o.device = a.text("device", "auto");
    o.threads = int(a.integer("threads", 0, 0, 1024));
    o.max_minutes = a.number("max-minutes", 0, 0, 1e6);
    o.only_stage = a.text("stage");
    o.init_from = a.text("init-from");
    o.start_step = int(a.integer("from-step", 0, 0, 100000000));
    if (o.start_step > 0 && (o.only_stage.empty() || o.init_from.empty()))
        throw std::invalid_argument("--from-step continues one stage of an exported model: give --stage and --init-from too");
    const EvalSettings evalSettings{programDir + "/tandem-cli", a.text("eval-seeds", "100-115"), a.text("eval-tasks", "generate,foley,dub"),
                                    a.text("eval-seconds", "4"), std::to_string(o.threads)};
    const auto started = std::chrono::steady_clock::now();
    o.onEvaluate = [&](const std::string& modelDir, const std::string& stage, int step) {
        evaluateCheckpoint(evalSettings, o.out_dir, modelDir, stage, step,
                           std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
    };
    o.stop = &gStop;
    std::signal(SIGINT, onSignal);
    std::signal(SIGTERM, onSignal);
    const std::string png = o.out_dir + "/loss.png";
    int sincePlot = 0;
    const TrainResult result = train(recipe, o, [&](const LossRow& row) {
        std::printf("%-9s step %6d  %7.0f s  loss %.5f ", row.stage.c_str(), row.step, row.seconds, row.loss);
        for (auto& [name, value] : row.parts) std::printf(" %s %.5f", name.c_str(), value);
        std::printf("\n");
        std::fflush(stdout);
        gStop = gInterrupted != 0;
        if (++sincePlot % 10 == 0) plotCsv(trainingLossCsv(o.out_dir), png);
    });
    if (plotCsv(trainingLossCsv(o.out_dir), png)) std::printf("loss curve: %s\n", png.c_str());
    if (result.finished) {
        std::printf("finished every stage; checkpoint in %s\n", trainingCheckpointDir(o.out_dir).c_str());
        return 0;
    }
    if (result.stopped_in.empty()) { // --stage ran its stage to the end; the recipe's others were not run here
        std::printf("finished stage %s; checkpoint in %s\n", o.only_stage.c_str(), trainingCheckpointDir(o.out_dir).c_str());
        return 0;
    }
    std::printf("stopped in stage %s at step %d (checkpoint written); run the same command again to resume\n",
                result.stopped_in.c_str(), result.stopped_at);
    return 3;
}

} // namespace

int main(int argc, char** argv) {
    using tandem::app::Args;
    tandem::model::keepFreedTensorMemory();
    std::vector<std::string> words(argv + 1, argv + argc);
    if (words.empty() || words[0] == "help" || words[0] == "-h") {
        std::cout << kUsage;
        return words.empty() ? 2 : 0;
    }
    const std::string command = words[0];
    words.erase(words.begin());
    try {
        if (command == "run") {
            return run(Args(words, command, {"recipe", "out", "device", "threads", "max-minutes", "stage", "init-from", "from-step", "eval-seeds", "eval-tasks", "eval-seconds"}, {}),
                       tandem::app::programDir());
        }
        if (command == "export") {
            Args a(words, command, {"from", "to"}, {});
            tandem::model::exportModel(a.required("from"), a.required("to"));
            std::printf("wrote %s\n", a.required("to").c_str());
            return 0;
        }
        if (command == "blend") {
            Args a(words, command, {"from", "with", "weight", "to"}, {});
            tandem::model::blendModels(a.required("from"), a.required("with"), a.number("weight", 0.5, 0.0, 1.0), a.required("to"));
            std::printf("wrote %s\n", a.required("to").c_str());
            return 0;
        }
        if (command == "plot") {
            Args a(words, command, {"csv", "png"}, {});
            if (!plotCsv(a.required("csv"), a.required("png"))) {
                std::cerr << "tandem-train: this build has no charts (built without render/)\n";
                return 1;
            }
            return 0;
        }
        std::cerr << "tandem-train: unknown command '" << command << "' (see tandem-train --help)\n";
        return 2;
    } catch (const tandem::app::UsageError& e) {
        std::cerr << "tandem-train: " << e.what() << "\n";
        return 2;
    } catch (const std::exception& e) {
        std::cerr << "tandem-train: " << e.what() << "\n";
        return 1;
    }
}
