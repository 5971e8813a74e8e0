// Design note: how a Tandem model is trained on the procedural world (model/world). Three stages, each a
// plain loop over clips rendered on the fly from seeds no evaluation uses (kFirstTrainingSeed and up):
//   video_vae — pixels → latent → pixels (L1, objects weighted above the flat backdrop);
//   audio_vae — waveform → latent → waveform (L1 + multi-resolution STFT magnitudes);
//   video_decoder, audio_decoder — optional: the same losses with the decoder alone trained on the frozen
//               encoder's latents, so a finished diffusion stage keeps its latents under a retrained decoder;
//   dit       — the MMDiT and text encoder learn rectified-flow velocities with a random *task mask* per
//               clip (generate, image, inpaint, retake, extend, foley, dub; restyle trains as generate),
//               so one network does every editing task. Latents come from a replay pool: each step encodes
//               one fresh clip into the pool and trains on a batch drawn from it, which bounds the cost of
//               the frozen VAE encoders without training on a fixed set.
// After a VAE stage its latents are rescaled to unit RMS per channel (the VAE's latent_scale buffers), so
// the diffusion stage sees latents of the scale its noise has.
// Resume: every checkpoint writes the model folder, the optimiser state and state.json (stage, step); a
// run with the same output folder continues where it stopped. Losses are appended to loss.csv.
#pragma once

#include "model/config.h"

#include <torch/types.h>

#include <array>
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

namespace tandem::model {

// World seeds at or above this are the training set; evaluation uses seeds below it.
inline constexpr uint64_t kFirstTrainingSeed = 1ull << 32;

// The editing tasks a diffusion step's task mask stands for (restyle trains as generate), and how often a
// stage draws each. The default mix is the one every shipped stage used; a stage may shift it, e.g. towards
// dub to teach lips from voices (a recipe's "tasks": {"generate": 0.5, "dub": 0.5} draws only those two).
enum class TrainingTask { generate, image, inpaint, retake, extend, foley, dub };
inline constexpr int kTrainingTaskCount = 7;
const char* trainingTaskName(TrainingTask task);

struct TaskMix {
    std::array<double, kTrainingTaskCount> weights{0.30, 0.10, 0.15, 0.15, 0.10, 0.10, 0.10}; // by TrainingTask
    // The task for a uniform draw u in [0, 1): each with its share of the weights' sum.
    TrainingTask draw(double u) const;
};

struct StageRecipe {
    std::string name; // video_vae | audio_vae | video_decoder | audio_decoder | dit (or dit_… : several diffusion stages)
    int steps = 0;
    double learning_rate = 1e-3;
    int batch = 2;
    double clip_seconds = 2.0;
    int warmup_steps = 50;
    int pool_size = 256; // dit: clips kept as latents
    int pool_initial = 0; // dit: clips encoded before the first step (0: 4 batches, at least 32)
    int refresh_every = 1; // dit: a fresh clip joins the pool every this many steps
    // dit: this fraction of the steps trains on windows of long_clip_seconds in batches of long_batch
    // instead, so a stage of short clips (cheap, for appearance) also sees whole shots' time positions and
    // a model stopped in it already makes shots of the editor's length. 0 = never.
    // In a recipe either a number or [[first step, fraction], …] pieces (the first from step 0), so a
    // curriculum can give whole shots more of the steps once short clips have taught appearance.
    double long_fraction = 0;
    std::vector<std::pair<int, double>> long_fraction_changes{}; // (from this step on, this fraction), ascending
    double long_clip_seconds = 0;
    int long_batch = 0;
    TaskMix tasks{}; // dit: how often each task mask is drawn
    // dit: the noise levels drawn are logit-normal, then shifted as the sampler shifts its schedule
    // (shiftTime). 1 = unshifted; the sampler's 3 gives the high noise levels, where a shot's layout
    // and its objects are decided, the share of training that they have of the sampler's steps.
    double timestep_shift = 1.0;
    // dit: audio latent steps that stand out from their clip's typical step (impacts, syllables) weigh up to
    // 1 + audio_event_weight times the others in the diffusion loss (audioEventWeights), as the objects'
    // cells do in the video's: a few steps of a clip, but the ones that have to land with the picture.
    // 0 = every step the same (every shipped stage).
    double audio_event_weight = 0.0;
    // dit: the transformer's forward pass in bf16 mixed precision (model/precision.h: products in bf16,
    // weights, gradients and loss in fp32) — about 1.6× a 4-second batch's step on a CPU with bf16 units,
    // nothing on single-frame batches (docs/benchmarks.md). false = fp32 throughout (every shipped stage).
    bool bf16 = false;

    double longFractionAt(int step) const;
    bool hasLongSteps() const;
};

// A recipe file (resources/recipes/*.json): the model's sizes and the stages.
struct Recipe {
    ModelConfig config;
    uint64_t seed = 1;
    int log_every = 10;
    int checkpoint_every = 200;
    // The diffusion stages keep an exponential moving average of the transformer's and text encoder's
    // weights (what is exported and evaluated; the raw weights keep training). 0 = none.
    double ema_decay = 0.999;
    int eval_every = 0; // diffusion stages: TrainOptions::onEvaluate every this many steps (0 = never)
    std::vector<StageRecipe> stages;

    static Recipe fromJson(const std::string& text); // throws std::invalid_argument naming the field
};

struct TrainOptions {
    std::string out_dir;
    std::string device = "auto";
    int threads = 0;
    double max_minutes = 0;  // stop (with a checkpoint) after this much wall time; 0 = run to the end
    std::string only_stage;  // train just this stage (others are skipped)
    // With only_stage, in a fresh output folder: that stage starts at this step of its schedule instead of 0,
    // so a later sitting that continues an exported model (init_from) picks up its learning-rate schedule
    // where the earlier sitting stopped. The optimiser's state does not travel with a model folder, so the
    // learning rate warms up again over the stage's warm-up steps.
    int start_step = 0;
    const bool* stop = nullptr; // set by a signal handler: checkpoint and return at the next step
    // A training folder (or model folder) whose weights a fresh run starts from, where names and shapes
    // match: e.g. the autoencoders of an earlier run, for a run whose recipe has only diffusion stages.
    std::string init_from;
    // Called with the model folder to evaluate (the averaged weights), the stage and the step, every
    // Recipe::eval_every steps of a diffusion stage and at its end.
    std::function<void(const std::string& modelDir, const std::string& stage, int step)> onEvaluate;
};

struct LossRow {
    std::string stage;
    int step = 0;
    double loss = 0;
    std::map<std::string, double> parts;
    double seconds = 0; // wall time since this run started
};

struct TrainResult {
    bool finished = false; // every stage reached its step count
    std::string stopped_in; // the stage a time limit or a stop request interrupted
    int stopped_at = 0;
};

// The weights of the diffusion loss's audio steps: clean latents [B, C, L] → [B, 1, L]. A step's distance
// is its mean absolute difference (over channels) from the clip's median step; a step no further than the
// clip's median distance weighs 1, one kAudioEventRatio times as far or further 1 + extra. Relative to the
// clip, so it needs no scale of the latents: a quiet clip's impact stands out as much as a loud one's.
torch::Tensor audioEventWeights(const torch::Tensor& audio, double extra);

// Runs (or resumes) the recipe. `onLog` sees each logged row after it is appended to loss.csv.
TrainResult train(const Recipe& recipe, const TrainOptions& options, const std::function<void(const LossRow&)>& onLog = {});

// Writes the checkpoint of a training folder as a model folder with weights stored in fp16 — the averaged
// weights where the run kept an average.
void exportModel(const std::string& trainingDir, const std::string& modelDir);

// Writes (1 − weight)·A + weight·B, parameter by parameter, as a model folder with fp16 weights: a
// weight-space ensemble of two models fine-tuned from one another (Wortsman et al., "Robust fine-tuning of
// zero-shot models"), which can keep what the first does well while taking part of what the second learnt.
// Both must be model folders of the same config and tokenizer; weight in [0, 1]. Throws otherwise.
void blendModels(const std::string& modelA, const std::string& modelB, double weight, const std::string& modelDir);

// Paths inside a training folder.
std::string trainingCheckpointDir(const std::string& trainingDir);
std::string trainingAverageDir(const std::string& trainingDir); // the averaged weights (may not exist)
std::string trainingLossCsv(const std::string& trainingDir);

} // namespace tandem::model
