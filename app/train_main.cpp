// tandem-train: trains a Tandem model on the procedural world (model/training.h) from a recipe file,
// resumable, with the loss curve kept as CSV (and drawn as PNG where render/ is built).
#include "app/cli_args.h"
#include "model/training.h"

#ifdef TANDEM_HAVE_RENDER
#include "render/chart.h"
#endif

#include <csignal>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <map>
#include <sstream>

namespace {

const char* kUsage = R"(usage: tandem-train COMMAND [options]

Commands:
  run     --recipe FILE --out DIR [--device auto|cpu|cuda] [--threads N] [--max-minutes M] [--stage NAME]
          Trains (or resumes, when DIR holds an earlier run of the same recipe) the stages of the recipe:
          video_vae, audio_vae, dit. DIR gets checkpoint/ (a model folder), optimizer.pt, state.json,
          loss.csv and loss.png. --max-minutes stops with a checkpoint after that much time; Ctrl-C too.
  export  --from DIR --to MODEL_DIR
          Writes the training checkpoint of DIR as a model folder with fp16 weights.
  plot    --csv FILE --png FILE
          Draws a loss.csv as a PNG, one panel per stage.
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

bool plotLosses(const std::string& csvPath, const std::string& pngPath) {
#ifdef TANDEM_HAVE_RENDER
    std::ifstream in(csvPath);
    if (!in) throw std::runtime_error(csvPath + ": cannot be read");
    std::string line;
    std::getline(in, line); // header
    std::vector<tandem::render::ChartSeries> panels;
    while (std::getline(in, line)) {
        std::stringstream row(line);
        std::string stage, step, seconds, loss;
        if (!std::getline(row, stage, ',') || !std::getline(row, step, ',') || !std::getline(row, seconds, ',') ||
            !std::getline(row, loss, ','))
            continue;
        if (panels.empty() || panels.back().title != stage) panels.push_back({stage, {}, {}});
        panels.back().x.push_back(std::stod(step));
        panels.back().y.push_back(std::stod(loss));
    }
    tandem::render::writeLogChart(panels, pngPath, "step");
    return true;
#else
    (void)csvPath;
    (void)pngPath;
    return false;
#endif
}

int run(const tandem::app::Args& a) {
    using namespace tandem::model;
    const Recipe recipe = Recipe::fromJson(readFile(a.required("recipe")));
    TrainOptions o;
    o.out_dir = a.required("out");
    o.device = a.text("device", "auto");
    o.threads = int(a.integer("threads", 0, 0, 1024));
    o.max_minutes = a.number("max-minutes", 0, 0, 1e6);
    o.only_stage = a.text("stage");
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
        if (++sincePlot % 10 == 0) plotLosses(trainingLossCsv(o.out_dir), png);
    });
    if (plotLosses(trainingLossCsv(o.out_dir), png)) std::printf("loss curve: %s\n", png.c_str());
    if (result.finished) {
        std::printf("finished every stage; checkpoint in %s\n", trainingCheckpointDir(o.out_dir).c_str());
        return 0;
    }
    std::printf("stopped in stage %s at step %d (checkpoint written); run the same command again to resume\n",
                result.stopped_in.c_str(), result.stopped_at);
    return 3;
}

} // namespace

int main(int argc, char** argv) {
    using tandem::app::Args;
    std::vector<std::string> words(argv + 1, argv + argc);
    if (words.empty() || words[0] == "help" || words[0] == "-h") {
        std::cout << kUsage;
        return words.empty() ? 2 : 0;
    }
    const std::string command = words[0];
    words.erase(words.begin());
    try {
        if (command == "run") {
            return run(Args(words, command, {"recipe", "out", "device", "threads", "max-minutes", "stage"}, {}));
        }
        if (command == "export") {
            Args a(words, command, {"from", "to"}, {});
            tandem::model::exportModel(a.required("from"), a.required("to"));
            std::printf("wrote %s\n", a.required("to").c_str());
            return 0;
        }
        if (command == "plot") {
            Args a(words, command, {"csv", "png"}, {});
            if (!plotLosses(a.required("csv"), a.required("png"))) {
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
