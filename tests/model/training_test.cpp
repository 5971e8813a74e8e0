// The trainer on a tiny model: each stage lowers its loss, a stopped run resumes where it stopped, the
// VAE latents come out at unit scale, and an exported model loads and generates.
#include "model/checkpoint.h"
#include "model/engine.h"
#include "model/tandem_model.h"
#include "model/world/world.h"
#include "model/model_folder.h"
#include "model/precision.h"
#include "model/training.h"
#include "support/gpu.h"
#include "support/tiny_model.h"

#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <numeric>
#include <string>
#include <unistd.h>

using namespace tandem;
namespace fs = std::filesystem;

namespace {

std::string freshDir(const std::string& name) {
    const fs::path dir = fs::temp_directory_path() / ("tandem-training-test-" + std::to_string(getpid())) / name;
    fs::remove_all(dir);
    fs::create_directories(dir);
    return dir.string();
}

// Options for a one-thread CPU run into `outDir`.
model::TrainOptions cpuOptions(const std::string& outDir) {
    model::TrainOptions o;
    o.out_dir = outDir;
    o.device = "cpu";
    o.threads = 1;
    return o;
}

// The model stored in a model folder (or a training folder's checkpoint).
model::TandemModel loadModel(const std::string& dir) {
    model::TandemModel net(model::readModelFolder(dir).config);
    model::loadWeights(*net, model::SafetensorsFile(dir + "/" + model::kWeightsFile));
    return net;
}

model::Recipe tinyRecipe(int steps) {
    model::Recipe r;
    r.config = test::tinyModelConfig();
    r.log_every = 5;
    r.checkpoint_every = 10;
    r.stages = {{"video_vae", steps, 3e-3, 2, 0.5, 5, 8}, {"audio_vae", steps, 3e-3, 2, 0.5, 5, 8}, {"dit", steps, 2e-3, 4, 1.0, 5, 16}};
    return r;
}

// Trains the tiny recipe for `steps` a stage (a loss logged every 5) and checks every stage learned: the
// mean of its last `window` logged losses is below 0.85 of the mean of its first `window`.
void trainAndCheckEveryStageLearns(const model::TrainOptions& options, int steps, size_t window) {
    std::map<std::string, std::vector<double>> losses; // by stage
    const auto result = model::train(tinyRecipe(steps), options, [&](const model::LossRow& row) {
        losses[row.stage].push_back(row.loss);
        REQUIRE(std::isfinite(row.loss));
    });
    REQUIRE(result.finished);
    for (const char* stage : {"video_vae", "audio_vae", "dit"}) {
        const auto& l = losses[stage];
        REQUIRE(l.size() == size_t(steps / 5));
        const double first = std::accumulate(l.begin(), l.begin() + long(window), 0.0) / double(window);
        const double last = std::accumulate(l.end() - long(window), l.end(), 0.0) / double(window);
        INFO(stage << ": first " << first << " last " << last);
        CHECK(last < 0.85 * first);
    }
}

} // namespace

TEST_CASE("a short training run lowers the loss of every stage and leaves a loadable model") {
    const std::string out = freshDir("short");
    model::TrainOptions o = cpuOptions(out);
    trainAndCheckEveryStageLearns(o, 60, 2);
    std::ifstream csv(model::trainingLossCsv(out));
    std::string header;
    std::getline(csv, header);
    CHECK(header == "stage,step,seconds,loss,parts");

    // Exported with fp16 weights, it loads as a model folder and generates.
    const std::string exported = freshDir("exported");
    model::exportModel(out, exported);
    CHECK(fs::file_size(fs::path(exported) / model::kWeightsFile) < fs::file_size(fs::path(model::trainingCheckpointDir(out)) / model::kWeightsFile) * 0.6);
    auto engine = model::Engine::load(exported, {"cpu", 1, false});
    CHECK(engine->tokenizer().knownWords().count("bounces") == 1); // the world's vocabulary ships with it
    model::ShotRequest r;
    r.prompt = "a small red rubber circle bounces in front of a blue wall";
    r.seconds = 0.5;
    r.steps = 2;
    const model::Shot shot = engine->generate(r);
    CHECK(shot.frames == 8);
    CHECK(shot.rgb.size() == size_t(8 * 32 * 32 * 3));
}

TEST_CASE("on CUDA a short training run lowers the loss of every stage", "[gpu]") {
    TANDEM_SKIP_WITHOUT_GPU();
    model::TrainOptions o;
    o.out_dir = freshDir("cuda");
    o.device = "cuda";
    // Longer than the CPU case, over wider windows: GPU kernels are not bit-reproducible (cuDNN's choice of
    // algorithm, atomic sums), so a single run's curve is noisier.
    trainAndCheckEveryStageLearns(o, 150, 3);
    const std::string exported = freshDir("cuda-exported");
    model::exportModel(o.out_dir, exported);
    auto engine = model::Engine::load(exported, {"cuda", 0, false});
    CHECK(engine->hasTrainedWeights());
}

TEST_CASE("a stopped run resumes at its checkpoint instead of starting over") {
    const std::string out = freshDir("resume");
    model::Recipe recipe = tinyRecipe(20);
    recipe.stages.resize(1);
    bool stop = false;
    model::TrainOptions o = cpuOptions(out);
    o.stop = &stop;
    std::vector<int> steps;
    auto onLog = [&](const model::LossRow& row) {
        steps.push_back(row.step);
        if (row.step == 10) stop = true;
    };
    auto result = model::train(recipe, o, onLog);
    CHECK_FALSE(result.finished);
    CHECK(result.stopped_in == "video_vae");
    CHECK(result.stopped_at == 10); // the stop is seen before the next step begins
    CHECK(fs::exists(fs::path(out) / "state.json"));
    CHECK(fs::exists(fs::path(out) / "optimizer.pt"));

    // A recipe that gives the run its guidance (how it is sampled, not its sizes) resumes it, and the
    // checkpoints written from then on carry that guidance to the evaluations that read them.
    stop = false;
    recipe.config.sampler.video_guidance = 4.0;
    result = model::train(recipe, o, onLog);
    CHECK(result.finished);
    CHECK(steps == std::vector<int>{5, 10, 15, 20});
    CHECK(model::readModelFolder(model::trainingCheckpointDir(out)).config.sampler.video_guidance == 4.0);

    // Another recipe's sizes do not resume this folder.
    model::Recipe other = recipe;
    other.config.video.vae_channels = 16;
    CHECK_THROWS_WITH(model::train(other, o), Catch::Contains("other sizes than the recipe"));

    // A damaged state file is refused by name, not read with undefined behaviour.
    std::ofstream(fs::path(out) / "state.json") << R"({"done":[],"stage":"video_vae","step":1e30})";
    CHECK_THROWS_WITH(model::train(recipe, o), Catch::Contains("state.json") && Catch::Contains("'step' must be a whole number"));
}

TEST_CASE("after its stage a VAE's latents have unit scale per channel") {
    const std::string out = freshDir("scale");
    model::Recipe recipe = tinyRecipe(10);
    recipe.stages.resize(1);
    model::TrainOptions o = cpuOptions(out);
    REQUIRE(model::train(recipe, o).finished);
    // The saved encoder itself produces unit-RMS latents on a clip it never saw (an evaluation seed).
    const std::string dir = model::trainingCheckpointDir(out);
    const model::ModelFolder folder = model::readModelFolder(dir);
    model::TandemModel net(folder.config);
    model::loadWeights(*net, model::SafetensorsFile(dir + "/" + model::kWeightsFile));
    torch::NoGradGuard noGrad;
    const world::Clip clip = world::render(world::randomScene(7, 32, 32, 16, 16000, 1.0), 7);
    auto pixels = torch::from_blob(const_cast<uint8_t*>(clip.rgb.data()), {16, 32, 32, 3}, torch::kUInt8)
                      .permute({3, 0, 1, 2}).unsqueeze(0).to(torch::kFloat32) / 127.5 - 1;
    auto z = net->videoVae->encoder->forward(pixels);
    auto rms = z.transpose(0, 1).flatten(1).pow(2).mean(1).sqrt();
    for (int64_t c = 0; c < rms.size(0); ++c) {
        INFO("channel " << c);
        CHECK(rms[c].item<double>() > 0.3);
        CHECK(rms[c].item<double>() < 3.0);
    }
}

TEST_CASE("a recipe with a mistake is refused with the field named") {
    CHECK_THROWS_WITH(model::Recipe::fromJson("{"), Catch::Contains("not JSON"));
    CHECK_THROWS_WITH(model::Recipe::fromJson(R"({"model":{},"stages":[{"name":"vae","steps":3}]})"), Catch::Contains("'vae'"));
    CHECK_THROWS_WITH(model::Recipe::fromJson(R"({"model":{},"stages":[{"name":"dit"}]})"), Catch::Contains("steps"));
    CHECK_THROWS_WITH(model::Recipe::fromJson(R"({"model":{},"stages":[{"name":"dit","steps":0}]})"), Catch::Contains("≥ 1"));
    CHECK_THROWS_WITH(model::Recipe::fromJson(R"({"model":{},"stages":[]})"), Catch::Contains("no stages"));
    CHECK_THROWS_WITH(model::Recipe::fromJson(R"({"model":{"video":{"width":100}},"stages":[{"name":"dit","steps":1}]})"),
                      Catch::Contains("video size"));
    CHECK_THROWS_WITH(model::Recipe::fromJson(R"({"model":{},"stages":[{"name":"dit","steps":1,"long_fraction":0.5}]})"),
                      Catch::Contains("long_clip_seconds"));
    CHECK_THROWS_WITH(model::Recipe::fromJson(R"({"model":{},"stages":[{"name":"dit","steps":1,"long_fraction":1.5}]})"),
                      Catch::Contains("long_fraction"));
    CHECK_THROWS_WITH(model::Recipe::fromJson(R"({"model":{},"stages":[{"name":"dit","steps":1,"timestep_shift":0}]})"),
                      Catch::Contains("timestep_shift"));
    const model::Recipe r = model::Recipe::fromJson(R"({"model":{"name":"m"},"stages":[{"name":"dit","steps":7,"batch":3}]})");
    CHECK(r.stages.at(0).steps == 7);
    CHECK(r.stages.at(0).batch == 3);
    CHECK(r.stages.at(0).timestep_shift == 1.0);
    const model::Recipe shifted =
        model::Recipe::fromJson(R"({"model":{"name":"m"},"stages":[{"name":"dit","steps":7,"timestep_shift":3}]})");
    CHECK(shifted.stages.at(0).timestep_shift == 3.0);
    CHECK(r.stages.at(0).audio_event_weight == 0.0);
    CHECK_THROWS_WITH(model::Recipe::fromJson(R"({"model":{},"stages":[{"name":"dit","steps":1,"audio_event_weight":-1}]})"),
                      Catch::Contains("audio_event_weight"));
    const model::Recipe weighted =
        model::Recipe::fromJson(R"({"model":{"name":"m"},"stages":[{"name":"dit","steps":7,"audio_event_weight":4}]})");
    CHECK(weighted.stages.at(0).audio_event_weight == 4.0);
}

TEST_CASE("a recipe's whole-number fields must hold whole numbers an int holds") {
    // nlohmann would cast 1e30 into an int with undefined behaviour, and 2.5 steps to 2 without a word.
    CHECK_THROWS_WITH(model::Recipe::fromJson(R"({"model":{},"stages":[{"name":"dit","steps":1e30}]})"),
                      Catch::Contains("stage 'dit': 'steps' must be a whole number"));
    CHECK_THROWS_WITH(model::Recipe::fromJson(R"({"model":{},"stages":[{"name":"dit","steps":1,"batch":2.5}]})"),
                      Catch::Contains("'batch' must be a whole number"));
    CHECK_THROWS_WITH(model::Recipe::fromJson(R"({"model":{},"stages":[{"name":"dit","steps":1,"pool_size":99999999999}]})"),
                      Catch::Contains("'pool_size' must be a whole number in range"));
    CHECK_THROWS_WITH(model::Recipe::fromJson(R"({"model":{},"eval_every":"500","stages":[{"name":"dit","steps":1}]})"),
                      Catch::Contains("recipe: 'eval_every' must be a whole number"));
    CHECK_THROWS_WITH(model::Recipe::fromJson(R"({"model":{},"seed":-1,"stages":[{"name":"dit","steps":1}]})"),
                      Catch::Contains("'seed' must be a whole number in range"));
    CHECK_THROWS_WITH(
        model::Recipe::fromJson(R"({"model":{},"stages":[{"name":"dit","steps":9,"long_clip_seconds":4,"long_batch":1,"long_fraction":[[0,0.5],[1e20,1]]}]})"),
        Catch::Contains("long_fraction pieces"));
    const model::Recipe r = model::Recipe::fromJson(R"({"model":{},"seed":18446744073709551615,"stages":[{"name":"dit","steps":2147483647}]})");
    CHECK(r.seed == 18446744073709551615ull);
    CHECK(r.stages.at(0).steps == 2147483647);
}

TEST_CASE("a recipe with a field the reader does not know is refused, not run on the default") {
    // A misspelt field would otherwise leave its default in place silently for a run of hours.
    CHECK_THROWS_WITH(model::Recipe::fromJson(R"({"model":{},"stages":[{"name":"dit","steps":1,"timestep_shfit":3}]})"),
                      Catch::Contains("stage 'dit': unknown field 'timestep_shfit'") && Catch::Contains("timestep_shift"));
    CHECK_THROWS_WITH(model::Recipe::fromJson(R"({"model":{},"eval_evry":500,"stages":[{"name":"dit","steps":1}]})"),
                      Catch::Contains("recipe: unknown field 'eval_evry'"));
    CHECK_THROWS_WITH(model::Recipe::fromJson(R"({"model":{"dit":{"layer":8}},"stages":[{"name":"dit","steps":1}]})"),
                      Catch::Contains("model.dit: unknown field 'layer'"));
    CHECK_THROWS_WITH(model::Recipe::fromJson(R"({"model":{"vdeo":{}},"stages":[{"name":"dit","steps":1}]})"),
                      Catch::Contains("model: unknown field 'vdeo'"));
    CHECK_THROWS_WITH(
        model::Recipe::fromJson(R"({"model":{"sampler":{"tasks":{"dub":{"guidnace":3}}}},"stages":[{"name":"dit","steps":1}]})"),
        Catch::Contains("model.sampler.tasks.dub: unknown field 'guidnace'"));
    // Every field the readers take still reads.
    const model::Recipe full = model::Recipe::fromJson(R"({"seed":3,"log_every":5,"checkpoint_every":50,"ema_decay":0.99,
        "eval_every":100,"model":{"name":"m","video":{"latent_channels":8},"dit":{"layers":2},"sampler":{"tasks":{}}},
        "stages":[{"name":"dit_4s","steps":7,"learning_rate":0.001,"batch":2,"clip_seconds":4,"warmup_steps":3,"pool_size":8,
        "pool_initial":4,"refresh_every":2,"long_fraction":0.5,"long_clip_seconds":4,"long_batch":1,"tasks":{"generate":1},
        "timestep_shift":3,"audio_event_weight":4,"precision":"bf16"}]})");
    CHECK(full.stages.at(0).audio_event_weight == 4.0);
    CHECK(full.stages.at(0).bf16);
    CHECK(full.config.dit.layers == 2);
}

TEST_CASE("a recipe's precision is fp32 or bf16, and bf16 only for diffusion stages") {
    CHECK_FALSE(model::Recipe::fromJson(R"({"model":{},"stages":[{"name":"dit","steps":1}]})").stages.at(0).bf16);
    CHECK_FALSE(model::Recipe::fromJson(R"({"model":{},"stages":[{"name":"dit","steps":1,"precision":"fp32"}]})").stages.at(0).bf16);
    CHECK_THROWS_WITH(model::Recipe::fromJson(R"({"model":{},"stages":[{"name":"dit","steps":1,"precision":"fp16"}]})"),
                      Catch::Contains("precision must be \"fp32\" or \"bf16\""));
    CHECK_THROWS_WITH(model::Recipe::fromJson(R"({"model":{},"stages":[{"name":"video_vae","steps":1,"precision":"bf16"}]})"),
                      Catch::Contains("stage 'video_vae': bf16 mixed precision is for diffusion stages"));
}

TEST_CASE("bf16 mixed precision runs products in bf16 inside its scope and leaves fp32 weights outside it") {
    torch::nn::Linear layer(8, 4);
    const auto x = torch::randn({2, 8});
    {
        model::BFloat16Autocast autocast(torch::kCPU, true);
        CHECK(layer(x).scalar_type() == torch::kBFloat16);
        {
            model::BFloat16Autocast off(torch::kCPU, false); // a disabled scope changes nothing
            CHECK(layer(x).scalar_type() == torch::kBFloat16);
        }
        CHECK(layer(x).scalar_type() == torch::kBFloat16);
    }
    CHECK(layer(x).scalar_type() == torch::kFloat32);
    CHECK(layer->weight.scalar_type() == torch::kFloat32);
}

TEST_CASE("a diffusion stage in bf16 mixed precision learns, and its weights stay fp32") {
    model::Recipe recipe = tinyRecipe(60);
    recipe.stages[2].bf16 = true;
    std::vector<double> losses;
    model::TrainOptions o = cpuOptions(freshDir("bf16"));
    REQUIRE(model::train(recipe, o, [&](const model::LossRow& row) {
                if (row.stage == "dit") losses.push_back(row.loss);
            }).finished);
    REQUIRE(losses.size() == 12);
    INFO("first " << losses[0] + losses[1] << " last " << losses[10] + losses[11]);
    CHECK(losses[10] + losses[11] < 0.85 * (losses[0] + losses[1]));
    // The checkpoint's weights are fp32 as written (the loader would widen bf16 silently, so read the file).
    const model::SafetensorsFile weights((fs::path(model::trainingCheckpointDir(o.out_dir)) / model::kWeightsFile).string());
    for (const auto& [name, tensor] : weights.tensors()) {
        INFO(name);
        CHECK(tensor.dtype == model::DType::F32);
    }
}

TEST_CASE("every recipe in the repository reads") {
    // The recipes the model card tells a reader to run: a misspelt field, a value the recipe reader refuses
    // or a size the model refuses would otherwise surface only when a run is started.
    int recipes = 0;
    for (const auto& entry : std::filesystem::directory_iterator(TANDEM_RECIPES_DIR)) {
        if (entry.path().extension() != ".json") continue;
        INFO(entry.path().filename().string());
        std::ifstream in(entry.path());
        const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
        const model::Recipe recipe = model::Recipe::fromJson(text);
        CHECK_FALSE(recipe.stages.empty());
        ++recipes;
    }
    CHECK(recipes >= 1);
}

TEST_CASE("the audio loss weighs a clip's standout steps (an impact) above its steady ones") {
    torch::manual_seed(3);
    // Two clips of 16 channels × 40 steps: steady sound (small variation around a level), the second with an
    // impact at step 25 that stands far out of it.
    auto audio = 0.3 + 0.2 * torch::randn({2, 16, 40});
    audio[1].select(1, 25) += 3.0;
    const auto w = model::audioEventWeights(audio, 4.0);
    REQUIRE(w.sizes() == torch::IntArrayRef({2, 1, 40}));
    CHECK(w[1][0][25].item<double>() == Approx(5.0)); // the impact: 1 + extra
    CHECK(w.min().item<double>() >= 1.0);
    CHECK(w.max().item<double>() <= 5.0 + 1e-6);
    // The steady steps weigh 1 or close to it: at least half of them exactly 1.
    CHECK(w[0].median().item<double>() == Approx(1.0));
    CHECK(w[1].median().item<double>() == Approx(1.0));
    CHECK(w[0].mean().item<double>() < 1.5);
    // Relative to the clip: the same clip ten times louder gets the same weights.
    CHECK(torch::allclose(model::audioEventWeights(10 * audio, 4.0), w, 1e-4, 1e-4));
    // A silent clip has no events, and no extra weight means every step the same.
    CHECK(torch::allclose(model::audioEventWeights(torch::zeros({1, 16, 40}), 4.0), torch::ones({1, 1, 40})));
    CHECK(torch::allclose(model::audioEventWeights(audio, 0.0), torch::ones({2, 1, 40})));
}

TEST_CASE("a recipe's long_fraction may change during a stage") {
    const auto stage = [](const std::string& fraction) {
        return model::Recipe::fromJson(R"({"model":{},"stages":[{"name":"dit","steps":9,"long_clip_seconds":4,"long_batch":2,"long_fraction":)" +
                                       fraction + "}]}")
            .stages.at(0);
    };
    const model::StageRecipe s = stage("[[0, 0.25], [1520, 0.5], [3000, 0]]");
    CHECK(s.longFractionAt(0) == 0.25);
    CHECK(s.longFractionAt(1519) == 0.25);
    CHECK(s.longFractionAt(1520) == 0.5);
    CHECK(s.longFractionAt(2999) == 0.5);
    CHECK(s.longFractionAt(3000) == 0);
    CHECK(s.hasLongSteps());
    CHECK(stage("[[0, 0], [5, 1]]").hasLongSteps());
    CHECK_FALSE(stage("0").hasLongSteps());
    CHECK(stage("0.3").longFractionAt(100) == 0.3);
    CHECK_THROWS_WITH(stage("[[5, 0.5]]"), Catch::Contains("start at step 0"));
    CHECK_THROWS_WITH(stage("[[0, 0.5], [0, 0.6]]"), Catch::Contains("ascend"));
    CHECK_THROWS_WITH(stage("[[0, 0.5], [10, 2]]"), Catch::Contains("[0, 1]"));
    CHECK_THROWS_WITH(stage("[[0, 0.5, 1]]"), Catch::Contains("pairs"));
    CHECK_THROWS_WITH(stage("\"half\""), Catch::Contains("a number or a list"));
    CHECK_THROWS_WITH(model::Recipe::fromJson(R"({"model":{},"stages":[{"name":"dit","steps":1,"long_fraction":[[0, 0], [4, 0.5]]}]})"),
                      Catch::Contains("long_clip_seconds"));
}

TEST_CASE("a later sitting continues the diffusion stage from an exported model, autoencoders kept") {
    // The first sitting trains the autoencoders (and a little diffusion) and exports the model, as the
    // shipped demo model is exported; the next starts from that folder with the diffusion stage alone.
    const std::string first = freshDir("sitting-1");
    model::Recipe recipe = tinyRecipe(10);
    // Half the diffusion steps on whole 2-second windows (the pool then holds 2-second clips).
    recipe.stages[2].long_fraction = 0.5;
    recipe.stages[2].long_clip_seconds = 2.0;
    recipe.stages[2].long_batch = 2;
    model::TrainOptions o = cpuOptions(first);
    REQUIRE(model::train(recipe, o).finished);
    const std::string shipped = freshDir("sitting-1-exported");
    model::exportModel(first, shipped);

    model::TrainOptions next = o;
    next.out_dir = freshDir("sitting-2");
    next.init_from = shipped;
    next.only_stage = "dit";
    next.start_step = 5; // where "the first sitting" stopped its schedule
    // The later sitting weighs the audio's standout steps, as a fine-tune aimed at impacts would.
    recipe.stages[2].audio_event_weight = 4.0;
    std::vector<std::pair<std::string, int>> logged;
    const auto result = model::train(recipe, next, [&](const model::LossRow& row) {
        logged.emplace_back(row.stage, row.step);
        CHECK(std::isfinite(row.parts.at("audio")));
    });
    CHECK_FALSE(result.finished); // the autoencoder stages were not run in this folder
    CHECK(logged == std::vector<std::pair<std::string, int>>{{"dit", 10}}); // steps 5–10 of the diffusion stage only

    // A start past the stage's end is refused, naming it.
    model::TrainOptions past = next;
    past.out_dir = freshDir("sitting-2-past");
    past.start_step = 10;
    CHECK_THROWS_WITH(model::train(recipe, past), Catch::Contains("outside stage 'dit'"));
    // So is a stage the recipe does not have.
    model::TrainOptions unknown = next;
    unknown.out_dir = freshDir("sitting-2-unknown");
    unknown.only_stage = "dit_4s";
    CHECK_THROWS_WITH(model::train(recipe, unknown), Catch::Contains("no stage 'dit_4s'"));

    // The autoencoders and their latent scales are the shipped ones, bit for bit (fp16 widened exactly).
    auto before = loadModel(shipped), after = loadModel(model::trainingCheckpointDir(next.out_dir));
    auto theirs = before->named_parameters(true);
    for (const auto& p : after->named_parameters(true)) {
        if (p.key().rfind("video_vae.", 0) != 0 && p.key().rfind("audio_vae.", 0) != 0) continue;
        INFO(p.key());
        CHECK(torch::equal(p.value(), theirs[p.key()]));
    }
    auto theirBuffers = before->named_buffers(true);
    int scales = 0;
    for (const auto& b : after->named_buffers(true))
        if (b.key().find("latent_scale") != std::string::npos) {
            INFO(b.key());
            CHECK(torch::equal(b.value(), theirBuffers[b.key()]));
            ++scales;
        }
    CHECK(scales == 4); // each autoencoder's encoder and decoder
    // And the diffusion weights moved on from where the first sitting left them.
    bool moved = false;
    for (const auto& p : after->named_parameters(true))
        if (p.key().rfind("dit.", 0) == 0 && !torch::equal(p.value(), theirs[p.key()])) moved = true;
    CHECK(moved);
}

TEST_CASE("a deeper transformer started from a shallower model predicts what it did, its new blocks passing through") {
    const std::string first = freshDir("grow-source");
    model::Recipe recipe = tinyRecipe(5);
    REQUIRE(model::train(recipe, cpuOptions(first)).finished);
    const std::string shallow = freshDir("grow-source-exported");
    model::exportModel(first, shallow);

    // Two blocks more; a sitting at learning rate 0 keeps the starting point so it can be compared.
    model::Recipe deeper = recipe;
    deeper.config.dit.layers = recipe.config.dit.layers + 2;
    deeper.stages[2].learning_rate = 0;
    deeper.stages[2].steps = 1;
    model::TrainOptions grow = cpuOptions(freshDir("grow-deeper"));
    grow.init_from = shallow;
    grow.only_stage = "dit";
    model::train(deeper, grow);

    auto source = loadModel(shallow), grown = loadModel(model::trainingCheckpointDir(grow.out_dir));
    REQUIRE(grown->dit->blocks->size() == source->dit->blocks->size() + 2);
    int silenced = 0;
    for (const auto& p : grown->dit->named_parameters(true)) {
        if (p.key().rfind("blocks.", 0) != 0 || p.key().rfind("blocks.0.", 0) == 0) continue;
        if (p.key().find("modulation.") == std::string::npos) continue;
        INFO(p.key());
        CHECK(p.value().abs().max().item<float>() == 0.0f);
        ++silenced;
    }
    CHECK(silenced == 2 * 3 * 2); // two blocks × three streams × weight and bias

    torch::NoGradGuard noGrad;
    torch::manual_seed(3);
    const auto& c = recipe.config;
    const int64_t T = 2, h = 2, w = 2, L = 12, Nt = c.text.max_tokens;
    auto ids = torch::randint(3, 40, {1, Nt});
    auto valid = torch::ones({1, Nt}, torch::kBool);
    const auto segments = torch::zeros({1, Nt}, torch::kLong);
    auto inputs = [&](model::TandemModel& net) {
        return model::DitInputs{torch::randn({1, 2 * c.video.latent_channels + 1, T, h, w}),
                                torch::randn({1, 2 * c.audio.latent_channels + 1, L}),
                                net->textEncoder(ids, segments, valid), valid, torch::tensor({0.6f}),
                                net->dit->tokenAngles(T, h, w, L, Nt), {}, {}, {}, {}};
    };
    torch::manual_seed(4);
    auto [sourceVideo, sourceAudio] = source->dit(inputs(source));
    torch::manual_seed(4);
    auto [grownVideo, grownAudio] = grown->dit(inputs(grown));
    CHECK(torch::allclose(grownVideo, sourceVideo, 1e-5, 1e-5));
    CHECK(torch::allclose(grownAudio, sourceAudio, 1e-5, 1e-5));
}

TEST_CASE("a blend of two models is their weighted mean, weight by weight — models that do not match are refused") {
    const model::ModelConfig config = test::tinyModelConfig();
    auto randomModel = [&](int seed, const std::string& name) {
        torch::manual_seed(seed);
        model::TandemModel net(config);
        const std::string dir = freshDir(name);
        model::saveCheckpoint(dir, config, *net);
        return dir;
    };
    const std::string a = randomModel(1, "blend-a"), b = randomModel(2, "blend-b");
    const std::string blended = freshDir("blend-out");
    model::blendModels(a, b, 0.25, blended);
    auto netA = loadModel(a), netB = loadModel(b), mixed = loadModel(blended);
    auto paramsA = netA->named_parameters(true), paramsB = netB->named_parameters(true);
    int differing = 0;
    for (const auto& p : mixed->named_parameters(true)) {
        INFO(p.key());
        const torch::Tensor expected = 0.75 * paramsA[p.key()] + 0.25 * paramsB[p.key()];
        CHECK(torch::allclose(p.value(), expected, 1e-3, 1e-3)); // stored as fp16
        if (!torch::equal(paramsA[p.key()], paramsB[p.key()])) ++differing;
    }
    CHECK(differing > 10); // the two random models really differ, so the check above means something

    // Weight 0 gives the first model back (to fp16).
    const std::string same = freshDir("blend-zero");
    model::blendModels(a, b, 0.0, same);
    auto zero = loadModel(same);
    for (const auto& p : zero->named_parameters(true)) {
        INFO(p.key());
        CHECK(torch::allclose(p.value(), paramsA[p.key()], 1e-3, 1e-3));
    }

    model::ModelConfig other = config;
    other.dit.layers += 1;
    other.name = config.name; // only the sizes differ
    torch::manual_seed(3);
    model::TandemModel larger(other);
    const std::string c = freshDir("blend-c");
    model::saveCheckpoint(c, other, *larger);
    CHECK_THROWS_WITH(model::blendModels(a, c, 0.5, freshDir("blend-refused")), Catch::Contains("different configs"));
    CHECK_THROWS_WITH(model::blendModels(a, b, 1.5, freshDir("blend-refused")), Catch::Contains("between 0 and 1"));
}

TEST_CASE("a stage's task mix draws each task in proportion to its weight — a mix with a mistake is refused") {
    const auto share = [](const model::TaskMix& mix) { // of 10 000 evenly spread draws
        std::map<std::string, double> s;
        for (int i = 0; i < 10000; ++i) s[model::trainingTaskName(mix.draw((i + 0.5) / 10000))] += 1e-4;
        return s;
    };
    const auto defaults = share(model::TaskMix{});
    CHECK(defaults.at("generate") == Approx(0.30).margin(1e-3));
    CHECK(defaults.at("inpaint") == Approx(0.15).margin(1e-3));
    CHECK(defaults.at("dub") == Approx(0.10).margin(1e-3));
    CHECK(defaults.size() == 7);
    CHECK(model::TaskMix{}.draw(0.9999999) == model::TrainingTask::dub);

    const auto stage = [](const std::string& tasks) {
        return model::Recipe::fromJson(R"({"model":{},"stages":[{"name":"dit","steps":9,"tasks":)" + tasks + "}]}").stages.at(0);
    };
    const auto shifted = share(stage(R"({"generate": 1, "dub": 3})").tasks);
    CHECK(shifted.size() == 2); // the tasks not named are never drawn
    CHECK(shifted.at("generate") == Approx(0.25).margin(1e-3));
    CHECK(shifted.at("dub") == Approx(0.75).margin(1e-3));
    CHECK(stage(R"({"foley": 2})").tasks.draw(0.0) == model::TrainingTask::foley);
    CHECK(stage(R"({"foley": 2})").tasks.draw(0.9999999) == model::TrainingTask::foley);
    CHECK_THROWS_WITH(stage(R"({"juggle": 1})"), Catch::Contains("'juggle', not one of"));
    CHECK_THROWS_WITH(stage(R"({"dub": -1})"), Catch::Contains("≥ 0"));
    CHECK_THROWS_WITH(stage(R"({"dub": 0})"), Catch::Contains("above 0"));
    CHECK_THROWS_WITH(stage(R"([0.5, 0.5])"), Catch::Contains("object of task weights"));
}

TEST_CASE("a decoder stage trains an autoencoder's decoder alone: encoders, latent scales and transformer kept bit for bit") {
    // A finished model's decoders fine-tuned on its frozen encoders' latents: the diffusion transformer
    // trained on those latents must find them unchanged.
    const std::string first = freshDir("decoders-base");
    model::TrainOptions o = cpuOptions(first);
    REQUIRE(model::train(tinyRecipe(10), o).finished);
    const std::string base = freshDir("decoders-base-exported");
    model::exportModel(first, base);

    model::Recipe decoders = tinyRecipe(20);
    decoders.stages = {{"video_decoder", 20, 3e-3, 2, 0.5, 5, 8}, {"audio_decoder", 20, 3e-3, 2, 0.5, 5, 8}};
    model::TrainOptions next = o;
    next.out_dir = freshDir("decoders");
    next.init_from = base;
    std::map<std::string, std::vector<model::LossRow>> logged;
    REQUIRE(model::train(decoders, next, [&](const model::LossRow& row) { logged[row.stage].push_back(row); }).finished);
    for (const char* stage : {"video_decoder", "audio_decoder"}) {
        INFO(stage);
        REQUIRE(logged[stage].size() == 4);
        // No penalty on latents the stage cannot move. (That the step learns is the autoencoder stages' test:
        // the same losses; 20 steps over different clips are too few to compare here.)
        CHECK(logged[stage].front().parts.count("latent") == 0);
        CHECK(std::isfinite(logged[stage].back().loss));
    }

    auto before = loadModel(base), after = loadModel(model::trainingCheckpointDir(next.out_dir));
    auto theirs = before->named_parameters(true);
    int decoderTensors = 0, movedDecoderTensors = 0;
    for (const auto& p : after->named_parameters(true)) {
        INFO(p.key());
        const bool decoder = p.key().find(".decoder.") != std::string::npos &&
                             (p.key().rfind("video_vae.", 0) == 0 || p.key().rfind("audio_vae.", 0) == 0);
        if (!decoder) {
            CHECK(torch::equal(p.value(), theirs[p.key()]));
            continue;
        }
        ++decoderTensors;
        if (!torch::equal(p.value(), theirs[p.key()])) ++movedDecoderTensors;
    }
    CHECK(decoderTensors > 0);
    CHECK(movedDecoderTensors > decoderTensors / 2);
    auto theirBuffers = before->named_buffers(true);
    for (const auto& b : after->named_buffers(true)) {
        INFO(b.key());
        CHECK(torch::equal(b.value(), theirBuffers[b.key()]));
    }
}
