#include "model/training.h"

#include "model/checkpoint.h"
#include "model/json_number.h"
#include "model/latent_pool.h"
#include "model/precision.h"
#include "model/sampler.h"
#include "model/tandem_model.h"
#include "model/tokenizer.h"
#include "model/world/world.h"

#include <nlohmann/json.hpp>
#include <torch/torch.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <random>
#include <set>
#include <sstream>
#include <stdexcept>
#include <thread>

namespace tandem::model {

namespace fs = std::filesystem;
using json = nlohmann::json;

namespace {

// Latent noise the VAE decoders learn to tolerate, and the pull that keeps latents from growing to outrun it.
constexpr double kLatentNoise = 0.1;
constexpr double kLatentPenalty = 1e-3;
// Pixels that differ from their frame's mean colour by more than this (in [-1, 1] units, summed over RGB)
// belong to objects, faces or streaks; they weigh kObjectWeight times a backdrop pixel.
constexpr double kObjectThreshold = 0.15;
constexpr double kObjectWeight = 5.0;
// Prompts dropped to "" so classifier-free guidance has an unconditional model to push away from.
constexpr double kPromptDropout = 0.1;
constexpr double kGradientClip = 1.0;
// Latent cells that differ from their frame's typical cell (objects, the face, streaks) weigh up to
// 1 + kObjectLatentWeight times a backdrop cell in the diffusion loss: they are a few percent of the cells
// but all of what a caption is about. A cell counts fully at kObjectLatentDistance (latent units, mean over
// channels, from the per-step median).
constexpr double kObjectLatentWeight = 4.0;
constexpr double kObjectLatentDistance = 0.5;
// An audio step counts fully as an event (audioEventWeights) at this many times its clip's median distance
// from the median step: an impact's or a syllable's onset is several times the rain's or the silence's
// step-to-step variation, so a clip of steady sound has no events at all.
constexpr double kAudioEventRatio = 3.0;
// A clip whose median distance is below this (latent units, unit RMS per channel) is taken as this, so a
// silent clip's tiny variations are not read as events.
constexpr double kAudioEventFloor = 0.05;
// A batch carries reference tokens with this probability; in such a batch each clip gets its object's
// reference picture (caption without its colour) and, with a speaker, a reference of the voice, each with
// kReferenceProbability.
constexpr double kReferenceBatchProbability = 0.25;
constexpr double kReferenceProbability = 0.6;
// References sit before the shot on the time axis, as the engine places them (engine.cpp).
constexpr double kReferenceSpacingSeconds = 100.0;
constexpr double kFinalLearningRateFraction = 0.1;

// A uniform draw in [0, 1) from the top 53 bits of the generator (a double's mantissa).
double uniform01(std::mt19937_64& rng) { return double(rng() >> 11) * (1.0 / 9007199254740992.0); }

bool isDitStage(const std::string& name) { return name.rfind("dit", 0) == 0; }
// The decoder stages fine-tune an autoencoder's decoder alone: the encoder, its latents and their scale stay
// as they are, so a diffusion transformer trained on those latents keeps working with the retrained decoder.
bool isDecoderStage(const std::string& name) { return name == "video_decoder" || name == "audio_decoder"; }
bool isVideoAutoencoderStage(const std::string& name) { return name == "video_vae" || name == "video_decoder"; }
bool isAudioAutoencoderStage(const std::string& name) { return name == "audio_vae" || name == "audio_decoder"; }
bool isKnownStage(const std::string& name) {
    return isVideoAutoencoderStage(name) || isAudioAutoencoderStage(name) || isDitStage(name);
}

std::string readText(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    if (!in) throw std::runtime_error(p.string() + ": cannot be read");
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

void writeAtomically(const fs::path& p, const std::string& text) {
    const fs::path tmp = p.string() + ".part";
    {
        std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
        out << text;
        out.flush();
        if (!out) throw std::runtime_error(p.string() + ": cannot be written (disk full?)");
    }
    fs::rename(tmp, p);
}

// ---- Clips from the world ---------------------------------------------------------------------------

struct ClipTensors {
    torch::Tensor pixels; // [B, 3, F, H, W] in [-1, 1]
    torch::Tensor wave;   // [B, 1, L·hop], zero-padded past the clip
    std::vector<std::string> captions;
};

struct ClipGeometry {
    int64_t frames, samples, audioSteps;
};

ClipGeometry geometryFor(const ModelConfig& cfg, double seconds) {
    const TimeBase tb = cfg.timeBase();
    const int64_t frames = tb.framesForVideoLatentSteps(tb.videoLatentStepsForSeconds(seconds));
    const int64_t samples = tb.samplesForFrames(frames);
    return {frames, samples, tb.audioLatentStepsForSamples(samples)};
}

ClipTensors renderClips(const ModelConfig& cfg, uint64_t firstSeed, int count, double seconds) {
    const ClipGeometry g = geometryFor(cfg, seconds);
    const int H = cfg.video.height, W = cfg.video.width;
    auto pixels = torch::empty({count, g.frames, H, W, 3}, torch::kUInt8);
    auto wave = torch::zeros({count, 1, g.audioSteps * cfg.audio.hop});
    ClipTensors out;
    for (int b = 0; b < count; ++b) {
        const uint64_t seed = firstSeed + uint64_t(b);
        const double clipSeconds = double(g.frames) / cfg.video.fps;
        world::Clip clip = world::render(world::randomScene(seed, W, H, cfg.video.fps, cfg.audio.sample_rate, clipSeconds), seed);
        const int64_t have = std::min<int64_t>(clip.frames, g.frames);
        auto dst = pixels[b];
        std::memcpy(dst.data_ptr(), clip.rgb.data(), size_t(have) * H * W * 3);
        if (have < g.frames) dst.narrow(0, have, g.frames - have).copy_(dst[have - 1].expand({g.frames - have, H, W, 3}));
        const int64_t n = std::min<int64_t>(int64_t(clip.audio.size()), g.samples);
        std::memcpy(wave[b].data_ptr(), clip.audio.data(), size_t(n) * sizeof(float));
        out.captions.push_back(clip.caption);
    }
    out.pixels = pixels.permute({0, 4, 1, 2, 3}).to(torch::kFloat32) / 127.5 - 1;
    out.wave = wave;
    return out;
}

// ---- Initialisation ---------------------------------------------------------------------------------

// The video VAE starts as the identity it can most easily refine: every convolution on its main path
// starts at zero, so at step 0 the pixels' colour travels through the parameter-free shortcuts alone
// (average-pooled into latent channels 0–2, upsampled back out) and the decoder shows a blurred copy of its
// input; the convolutions then learn the detail. Residual branches start as the identity (first conv
// He-initialised, last at zero). The audio VAE gets He init with its output layer small, so tanh does not
// start saturated. (LibTorch's default init shrinks the signal about threefold per layer.)
void initialiseAutoencoders(TandemModelImpl& net) {
    torch::NoGradGuard noGrad;
    auto he = [](torch::Tensor& w, torch::Tensor& b) {
        torch::nn::init::kaiming_normal_(w, 0.0, torch::kFanIn, torch::kReLU);
        if (b.defined()) b.zero_();
    };
    auto zero = [](CausalConv3dImpl& c) {
        c.conv->weight.zero_();
        if (c.conv->bias.defined()) c.conv->bias.zero_();
    };
    for (const auto& m : net.videoVae->modules())
        if (auto* block = m->as<ResBlock3dImpl>()) {
            he(block->conv1->conv->weight, block->conv1->conv->bias);
            zero(*block->conv2);
        }
    auto& enc = *net.videoVae->encoder;
    auto& dec = *net.videoVae->decoder;
    zero(*enc.convIn);
    zero(*enc.convOut);
    zero(*dec.convIn);
    zero(*dec.convOut);
    for (const auto& stage : *enc.stages) zero(*stage->as<torch::nn::Sequential>()->ptr(1)->as<CausalConv3dImpl>());
    for (const auto& stage : *dec.stages) zero(*stage->as<torch::nn::Sequential>()->ptr(0)->as<CausalConv3dImpl>());

    for (const auto& m : net.audioVae->modules()) {
        if (auto* c1 = m->as<torch::nn::Conv1dImpl>()) he(c1->weight, c1->bias);
        else if (auto* t = m->as<torch::nn::ConvTranspose1dImpl>()) he(t->weight, t->bias);
    }
    // Residual units start as the identity, so the signal keeps its scale through every stage.
    for (const auto& m : net.audioVae->modules())
        if (auto* unit = m->as<AudioResUnitImpl>()) {
            unit->mix->weight.zero_();
            unit->mix->bias.zero_();
        }
    // The first ("plain") layout's mixing convolutions likewise.
    for (auto* mixes : {&net.audioVae->encoder->mixes, &net.audioVae->decoder->mixes})
        if (*mixes)
            for (const auto& m : **mixes) {
                auto* c = m->as<torch::nn::Conv1dImpl>();
                c->weight.zero_();
                c->bias.zero_();
            }
    net.audioVae->decoder->convOut->weight.mul_(0.1);
}

// ---- Losses -----------------------------------------------------------------------------------------

// L1 (sharp edges) plus squared error (large mistakes, such as a wrong backdrop colour, cost more), both
// with object pixels weighted up.
torch::Tensor videoReconstructionLoss(const torch::Tensor& recon, const torch::Tensor& pixels) {
    auto frameMean = pixels.mean({3, 4}, true);
    auto isObject = ((pixels - frameMean).abs().sum(1, true) > kObjectThreshold).to(pixels.dtype());
    auto weight = 1 + (kObjectWeight - 1) * isObject;
    auto error = recon - pixels;
    return ((error.abs() + error.pow(2)) * weight).sum() / (weight.sum() * 3);
}

torch::Tensor stftLoss(const torch::Tensor& recon, const torch::Tensor& wave) {
    auto r = recon.flatten(0, 1), w = wave.flatten(0, 1); // [B, N]
    torch::Tensor total = torch::zeros({}, recon.options());
    for (int64_t nfft : {128, 512, 2048}) {
        auto window = torch::hann_window(nfft, recon.options());
        auto spec = [&](const torch::Tensor& x) {
            return torch::stft(x, nfft, nfft / 4, nfft, window, false, true, true).abs();
        };
        auto R = spec(r), S = spec(w);
        auto convergence = (S - R).norm() / (S.norm() + 1e-7);
        auto logMagnitude = ((R + 1e-5).log() - (S + 1e-5).log()).abs().mean();
        total = total + convergence + logMagnitude;
    }
    return total / 3;
}

// ---- Task masks (1 = generate) ----------------------------------------------------------------------

struct TaskMasks {
    torch::Tensor video; // [1, 1, T, h, w]
    torch::Tensor audio; // [1, 1, L]
    bool stillFirstStep = false; // image: the first video step is the encoded still
};

// Audio latent steps touched by the video steps [j0, j1).
std::pair<int64_t, int64_t> audioStepsOf(const TimeBase& tb, int64_t j0, int64_t j1, int64_t L) {
    const int64_t s0 = tb.samplesForFrames(tb.framesForVideoLatentSteps(j0));
    const int64_t s1 = tb.samplesForFrames(tb.framesForVideoLatentSteps(j1));
    return {std::clamp<int64_t>(s0 / tb.audio_hop, 0, L), std::clamp<int64_t>((s1 + tb.audio_hop - 1) / tb.audio_hop, 0, L)};
}

TaskMasks randomTaskMasks(std::mt19937_64& rng, const TaskMix& mix, const TimeBase& tb, int64_t T, int64_t h, int64_t w, int64_t L) {
    auto uniform = [&](int64_t lo, int64_t hi) { return lo + int64_t(rng() % uint64_t(hi - lo + 1)); }; // inclusive
    TaskMasks m{torch::ones({1, 1, T, h, w}), torch::ones({1, 1, L})};
    const TrainingTask task = mix.draw(uniform01(rng));
    if (task == TrainingTask::generate) return m; // (and restyle)
    if (task == TrainingTask::image) {
        m.video.narrow(2, 0, 1).zero_();
        m.stillFirstStep = true;
    } else if (task == TrainingTask::inpaint) { // a box over some steps; audio kept or regenerated whole
        m.video.zero_();
        const int64_t bh = uniform(1, h), bw = uniform(1, w), y = uniform(0, h - bh), x = uniform(0, w - bw);
        const int64_t j0 = uniform(0, T - 1), j1 = uniform(j0 + 1, T);
        m.video.narrow(2, j0, j1 - j0).narrow(3, y, bh).narrow(4, x, bw).fill_(1);
        if (rng() % 2) m.audio.zero_();
    } else if (task == TrainingTask::retake) { // a window of video, audio or both
        const int64_t j0 = uniform(0, T - 1), j1 = uniform(j0 + 1, T);
        const int which = int(rng() % 3); // 0 both, 1 video, 2 audio
        m.video.zero_();
        m.audio.zero_();
        if (which != 2) m.video.narrow(2, j0, j1 - j0).fill_(1);
        if (which != 1) {
            auto [l0, l1] = audioStepsOf(tb, j0, j1, L);
            m.audio.narrow(2, l0, l1 - l0).fill_(1);
        }
    } else if (task == TrainingTask::extend) { // forwards or backwards from k context steps
        if (T < 2) return m;
        const int64_t k = uniform(1, T - 1);
        const bool backward = rng() % 2;
        const int64_t g0 = backward ? 0 : k, g1 = backward ? T - k : T;
        m.video.zero_();
        m.video.narrow(2, g0, g1 - g0).fill_(1);
        auto [l0, l1] = audioStepsOf(tb, g0, g1, L);
        m.audio.zero_();
        m.audio.narrow(2, l0, l1 - l0).fill_(1);
    } else if (task == TrainingTask::foley) { // sound for a given picture
        m.video.zero_();
    } else { // dub: a face for a given voice
        m.audio.zero_();
    }
    return m;
}

torch::Tensor maskedMse(const torch::Tensor& pred, const torch::Tensor& target, const torch::Tensor& mask) {
    auto m = mask.expand_as(pred);
    return ((pred - target).pow(2) * m).sum() / m.sum().clamp_min(1.0);
}

// ---- The run ----------------------------------------------------------------------------------------

// The sampler block is how the model is sampled, not what it is: a recipe may give a run its guidance
// (so the checkpoints its evaluations measure are sampled as the editor will) without restarting it.
bool sameSizes(const ModelConfig& a, const ModelConfig& b) {
    json ja = json::parse(a.toJson()), jb = json::parse(b.toJson());
    ja.erase("sampler");
    jb.erase("sampler");
    return ja == jb;
}

class Run {
public:
    Run(const Recipe& recipe, const TrainOptions& options, const std::function<void(const LossRow&)>& onLog)
        : recipe_(recipe), opt_(options), onLog_(onLog), cfg_(recipe.config), tb_(cfg_.timeBase()),
          device_(resolveDevice(options.device)), tokenizer_(makeTokenizer(cfg_)) {
        const int threads = options.threads > 0 ? options.threads : int(std::thread::hardware_concurrency());
        at::set_num_threads(std::max(1, threads));
        torch::manual_seed(recipe.seed);
        // Training convolutions in full fp32 on CUDA, not TF32: on an H100 a short video-VAE run with TF32
        // ended above its starting loss once in eight runs, and none of three without (docs/benchmarks.md).
        // The setting is process-wide; a training process does nothing else.
        if (device_.is_cuda()) at::globalContext().setAllowTF32CuDNN(false);
        net_ = TandemModel(cfg_);
        fs::create_directories(opt_.out_dir);
        initialiseAutoencoders(*net_);
        readState(); // a resumed run's weights replace the fresh ones
        net_->to(device_);
        started_ = std::chrono::steady_clock::now();
    }

    TrainResult run() {
        TrainResult result;
        for (const StageRecipe& stage : recipe_.stages) {
            if (isDone(stage.name)) continue;
            if (!opt_.only_stage.empty() && opt_.only_stage != stage.name) continue;
            if (!runStage(stage)) {
                result.stopped_in = stage.name;
                result.stopped_at = step_;
                return result;
            }
        }
        result.finished = true;
        for (const StageRecipe& stage : recipe_.stages) result.finished = result.finished && isDone(stage.name);
        return result;
    }

private:
    // The world's words: as the byte tokenizer's known-word list, or as the word tokenizer's vocabulary.
    static Tokenizer makeTokenizer(const ModelConfig& cfg) {
        const auto words = world::vocabulary();
        if (cfg.text.tokenizer == "bytes") return Tokenizer(cfg.text.max_tokens, {words.begin(), words.end()});
        Tokenizer t = Tokenizer::words(cfg.text.max_tokens, words);
        if (t.vocabularySize() > cfg.text.vocab_size)
            throw std::invalid_argument("recipe: the world's words need text.vocab_size ≥ " + std::to_string(t.vocabularySize()));
        return t;
    }
    fs::path statePath() const { return fs::path(opt_.out_dir) / "state.json"; }
    fs::path optimizerPath() const { return fs::path(opt_.out_dir) / "optimizer.pt"; }
    bool isDone(const std::string& name) const { return std::find(done_.begin(), done_.end(), name) != done_.end(); }

    void readState() {
        if (!fs::exists(statePath())) {
            if (!opt_.init_from.empty()) initialiseFrom(opt_.init_from);
            return;
        }
        const json state = json::parse(readText(statePath()));
        done_ = state.at("done").get<std::vector<std::string>>();
        stage_ = state.at("stage").get<std::string>();
        if (!holdsWholeNumber<int>(state.at("step")) || state.at("step").get<int>() < 0)
            throw std::runtime_error(statePath().string() + ": 'step' must be a whole number ≥ 0");
        step_ = state.at("step").get<int>();
        const std::string dir = trainingCheckpointDir(opt_.out_dir);
        const ModelFolder folder = readModelFolder(dir);
        if (!sameSizes(folder.config, cfg_))
            throw std::runtime_error(opt_.out_dir + ": its checkpoint has other sizes than the recipe; use a new output folder");
        loadWeights(*net_, SafetensorsFile((fs::path(dir) / kWeightsFile).string()));
        const std::string average = trainingAverageDir(opt_.out_dir);
        if (fs::exists(fs::path(average) / kWeightsFile)) {
            TandemModel averaged(cfg_);
            loadWeights(*averaged, SafetensorsFile((fs::path(average) / kWeightsFile).string()));
            const auto named = averaged->named_parameters(true);
            for (const auto& p : net_->named_parameters(true))
                if (isAveraged(p.key())) ema_[p.key()] = named[p.key()].detach().clone();
        }
    }

    // Copies every tensor of `from` (a training or model folder) whose name and shape match.
    void initialiseFrom(const std::string& from) {
        std::string dir = from;
        if (fs::exists(fs::path(from) / "checkpoint" / kWeightsFile)) dir = trainingCheckpointDir(from);
        const SafetensorsFile file((fs::path(dir) / kWeightsFile).string());
        const ModelConfig sourceConfig = readModelFolder(dir).config;
        TandemModel source(sourceConfig);
        loadWeights(*source, file);
        auto theirs = source->named_parameters(true);
        auto theirBuffers = source->named_buffers(true);
        int copied = 0, kept = 0;
        torch::NoGradGuard noGrad;
        auto copy = [&](torch::Tensor& mine, const torch::Tensor* other) {
            if (other && other->sizes() == mine.sizes()) mine.copy_(*other), ++copied;
            else ++kept;
        };
        for (auto& p : net_->named_parameters(true)) copy(p.value(), theirs.find(p.key()));
        for (auto& b : net_->named_buffers(true)) copy(b.value(), theirBuffers.find(b.key()));
        std::fprintf(stderr, "started from %s: %d tensors copied, %d fresh\n", dir.c_str(), copied, kept);
        if (sourceConfig.dit.width != cfg_.dit.width) return;
        if (const int grown = silenceNewBlocks(sourceConfig.dit.layers); grown > 0)
            std::fprintf(stderr, "the transformer grows from %d to %d blocks: the %d new ones start as identity\n",
                         sourceConfig.dit.layers, cfg_.dit.layers, grown);
    }

    // A deeper transformer started from a shallower one: the blocks the source lacks come after its own, and
    // their modulations start at zero, so their gates are zero and each block passes its input through
    // (adaLN-Zero). The grown model then predicts exactly what the source did, and training adds from there
    // instead of first repairing what random blocks would scramble. Returns how many blocks were silenced.
    int silenceNewBlocks(int sourceLayers) {
        if (sourceLayers >= cfg_.dit.layers) return 0;
        torch::NoGradGuard noGrad;
        auto& blocks = *net_->dit->blocks;
        for (int i = sourceLayers; i < cfg_.dit.layers; ++i)
            for (auto& p : blocks[i]->named_parameters(true))
                if (p.key().find("modulation.") != std::string::npos) p.value().zero_();
        return cfg_.dit.layers - sourceLayers;
    }

    static bool isAveraged(const std::string& name) { return name.rfind("dit.", 0) == 0 || name.rfind("text_encoder.", 0) == 0; }

    void updateAverage() {
        if (recipe_.ema_decay <= 0) return;
        torch::NoGradGuard noGrad;
        // A short warm-up of the decay, so early weights do not linger in the average.
        const double decay = std::min(recipe_.ema_decay, (1.0 + step_) / (10.0 + step_));
        for (const auto& p : net_->named_parameters(true)) {
            if (!isAveraged(p.key())) continue;
            auto it = ema_.find(p.key());
            if (it == ema_.end()) ema_[p.key()] = p.value().detach().clone();
            else it->second.mul_(decay).add_(p.value().detach(), 1 - decay);
        }
    }

    // Writes the averaged weights as a model folder (the live weights swapped out and back).
    void saveAverage() {
        if (ema_.empty()) return;
        torch::NoGradGuard noGrad;
        std::map<std::string, torch::Tensor> live;
        for (auto& p : net_->named_parameters(true))
            if (ema_.count(p.key())) {
                live[p.key()] = p.value().detach().clone();
                p.value().copy_(ema_.at(p.key()));
            }
        net_->to(torch::kCPU);
        saveCheckpoint(trainingAverageDir(opt_.out_dir), cfg_, *net_, DType::F32, &tokenizer_);
        net_->to(device_);
        for (auto& p : net_->named_parameters(true))
            if (live.count(p.key())) p.value().copy_(live.at(p.key()));
    }

    void checkpoint(torch::optim::Optimizer& optimizer) {
        net_->to(torch::kCPU);
        saveCheckpoint(trainingCheckpointDir(opt_.out_dir), cfg_, *net_, DType::F32, &tokenizer_);
        net_->to(device_);
        saveAverage();
        if (pool_ && pool_->size() > 0) pool_->save(opt_.out_dir);
        const std::string tmp = optimizerPath().string() + ".part";
        torch::save(optimizer, tmp);
        fs::rename(tmp, optimizerPath());
        json state{{"done", done_}, {"stage", stage_}, {"step", step_}};
        writeAtomically(statePath(), state.dump(2) + "\n");
    }

    void evaluate(const std::string& stage) {
        if (!opt_.onEvaluate) return;
        const std::string dir = ema_.empty() ? trainingCheckpointDir(opt_.out_dir) : trainingAverageDir(opt_.out_dir);
        opt_.onEvaluate(dir, stage, step_);
    }

    bool outOfTime() const {
        if (opt_.stop && *opt_.stop) return true;
        if (opt_.max_minutes <= 0) return false;
        return std::chrono::duration<double>(std::chrono::steady_clock::now() - started_).count() > opt_.max_minutes * 60;
    }

    double learningRate(const StageRecipe& s, int step) const {
        if (step < s.warmup_steps) return s.learning_rate * double(step + 1) / s.warmup_steps;
        const double progress = double(step - s.warmup_steps) / std::max(1, s.steps - s.warmup_steps);
        const double cosine = 0.5 * (1 + std::cos(M_PI * std::min(1.0, progress)));
        const double rate = s.learning_rate * (kFinalLearningRateFraction + (1 - kFinalLearningRateFraction) * cosine);
        // Mid-schedule with a fresh optimiser (Adam's moments unknown): warm up again, as at the start.
        if (rewarmFrom_ >= 0 && step - rewarmFrom_ < s.warmup_steps) return rate * double(step - rewarmFrom_ + 1) / s.warmup_steps;
        return rate;
    }

    std::vector<torch::Tensor> parametersOf(const std::string& stage) {
        if (stage == "video_vae") return net_->videoVae->parameters();
        if (stage == "audio_vae") return net_->audioVae->parameters();
        if (stage == "video_decoder") return net_->videoVae->decoder->parameters();
        if (stage == "audio_decoder") return net_->audioVae->decoder->parameters();
        return ditParameters();
    }

    // What the diffusion stages train (and keep an average of): the transformer and the text encoder.
    std::vector<torch::Tensor> ditParameters() {
        auto p = net_->dit->parameters();
        for (auto& t : net_->textEncoder->parameters()) p.push_back(t);
        return p;
    }

    uint64_t clipSeed(uint64_t index) const { return kFirstTrainingSeed + (recipe_.seed << 24) + index; }

    bool runStage(const StageRecipe& s) {
        if (stage_ != s.name) { // a fresh stage
            stage_ = s.name;
            step_ = s.name == opt_.only_stage ? opt_.start_step : 0;
            if (step_ < 0 || step_ >= s.steps)
                throw std::invalid_argument("start step " + std::to_string(step_) + " is outside stage '" + s.name + "' (" +
                                            std::to_string(s.steps) + " steps)");
        }
        for (auto& p : net_->parameters()) p.set_requires_grad(false);
        auto params = parametersOf(s.name);
        for (auto& p : params) p.set_requires_grad(true);
        torch::optim::AdamW optimizer(params, torch::optim::AdamWOptions(s.learning_rate).betas({0.9, 0.99}).weight_decay(0.01));
        const bool resumedOptimizer = step_ > 0 && fs::exists(optimizerPath());
        if (resumedOptimizer) torch::load(optimizer, optimizerPath().string());
        rewarmFrom_ = step_ > 0 && !resumedOptimizer ? step_ : -1;
        net_->train();
        if (isDitStage(s.name)) fillPool(s);

        std::map<std::string, double> sums;
        int counted = 0;
        while (step_ < s.steps) {
            if (outOfTime()) {
                checkpoint(optimizer);
                return false;
            }
            for (auto& group : optimizer.param_groups()) group.options().set_lr(learningRate(s, step_));
            optimizer.zero_grad();
            std::map<std::string, torch::Tensor> parts = isVideoAutoencoderStage(s.name)   ? videoVaeStep(s)
                                                       : isAudioAutoencoderStage(s.name) ? audioVaeStep(s)
                                                                                         : ditStep(s);
            torch::Tensor loss = torch::zeros({}, torch::TensorOptions().device(device_));
            for (auto& [name, value] : parts) {
                loss = loss + value;
                sums[name] += value.item<double>();
            }
            if (!std::isfinite(loss.item<double>()))
                throw std::runtime_error(s.name + ": the loss became " + std::to_string(loss.item<double>()) + " at step " +
                                         std::to_string(step_) + "; lower the learning rate in the recipe");
            sums["loss"] += loss.item<double>();
            ++counted;
            loss.backward();
            torch::nn::utils::clip_grad_norm_(params, kGradientClip);
            optimizer.step();
            ++step_;
            if (isDitStage(s.name)) updateAverage();
            if (step_ % recipe_.log_every == 0 || step_ == s.steps) {
                log(s.name, sums, counted);
                sums.clear();
                counted = 0;
            }
            if (step_ % recipe_.checkpoint_every == 0 && step_ < s.steps) checkpoint(optimizer);
            if (isDitStage(s.name) && recipe_.eval_every > 0 && step_ % recipe_.eval_every == 0 && step_ < s.steps) {
                if (step_ % recipe_.checkpoint_every != 0) checkpoint(optimizer);
                evaluate(s.name);
            }
        }
        net_->eval();
        if (s.name == "video_vae") normaliseLatents(true);
        if (s.name == "audio_vae") normaliseLatents(false);
        done_.push_back(s.name);
        checkpoint(optimizer);
        if (isDitStage(s.name)) evaluate(s.name);
        return true;
    }

    void log(const std::string& stage, const std::map<std::string, double>& sums, int counted) {
        LossRow row;
        row.stage = stage;
        row.step = step_;
        row.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started_).count();
        for (auto& [name, sum] : sums)
            if (name == "loss") row.loss = sum / counted;
            else row.parts[name] = sum / counted;
        const fs::path csv = trainingLossCsv(opt_.out_dir);
        const bool fresh = !fs::exists(csv);
        std::ofstream out(csv, std::ios::app);
        if (fresh) out << "stage,step,seconds,loss,parts\n";
        out << row.stage << ',' << row.step << ',' << row.seconds << ',' << row.loss << ',';
        bool first = true;
        for (auto& [name, value] : row.parts) {
            out << (first ? "" : " ") << name << '=' << value;
            first = false;
        }
        out << '\n';
        if (!out) throw std::runtime_error(csv.string() + ": cannot be written (disk full?)");
        if (onLog_) onLog_(row);
    }

    // A decoder stage encodes without a graph (the encoder is frozen) and drops the latent penalty, which
    // only shapes the encoder; it draws clips the autoencoder stage before it never saw.
    static constexpr uint64_t kDecoderStageSeeds = 1ull << 20;

    std::map<std::string, torch::Tensor> videoVaeStep(const StageRecipe& s) {
        const bool decoderOnly = isDecoderStage(s.name);
        ClipTensors clips = renderClips(cfg_, clipSeed((decoderOnly ? kDecoderStageSeeds : 0) + uint64_t(step_) * s.batch), s.batch,
                                        s.clip_seconds);
        auto pixels = clips.pixels.to(device_);
        auto z = encodeFor(s, [&] { return net_->videoVae->encoder->forward(pixels); });
        auto recon = net_->videoVae->decoder->forward(z + kLatentNoise * torch::randn_like(z));
        std::map<std::string, torch::Tensor> parts{{"recon", videoReconstructionLoss(recon, pixels)}};
        if (!decoderOnly) parts["latent"] = kLatentPenalty * z.pow(2).mean();
        return parts;
    }

    std::map<std::string, torch::Tensor> audioVaeStep(const StageRecipe& s) {
        const bool decoderOnly = isDecoderStage(s.name);
        ClipTensors clips = renderClips(cfg_, clipSeed((1ull << 22) + (decoderOnly ? kDecoderStageSeeds : 0) + uint64_t(step_) * s.batch),
                                        s.batch, s.clip_seconds);
        auto wave = clips.wave.to(device_);
        auto z = encodeFor(s, [&] { return net_->audioVae->encoder->forward(wave); });
        auto recon = net_->audioVae->decoder->forward(z + kLatentNoise * torch::randn_like(z));
        std::map<std::string, torch::Tensor> parts{{"wave", (recon - wave).abs().mean()}, {"stft", stftLoss(recon, wave)}};
        if (!decoderOnly) parts["latent"] = kLatentPenalty * z.pow(2).mean();
        return parts;
    }

    template <typename Encode> torch::Tensor encodeFor(const StageRecipe& s, Encode encode) {
        if (!isDecoderStage(s.name)) return encode();
        torch::NoGradGuard noGrad;
        return encode();
    }

    // Sets each VAE's latent scale (a buffer of its encoder and decoder) to the RMS per channel over fresh
    // clips, so the stored network itself produces unit-scale latents.
    void normaliseLatents(bool video) {
        torch::NoGradGuard noGrad;
        ClipTensors clips = renderClips(cfg_, clipSeed(1ull << 23), 8, 2.0);
        torch::Tensor z = video ? net_->videoVae->encoder->forward(clips.pixels.to(device_))
                                : net_->audioVae->encoder->forward(clips.wave.to(device_));
        // Root mean square, not spread: a channel with a large mean and a small spread must come out near 1 too.
        auto rms = z.transpose(0, 1).flatten(1).pow(2).mean(1).sqrt().clamp_min(1e-3);
        torch::Tensor& enc = video ? net_->videoVae->encoder->latentScale : net_->audioVae->encoder->latentScale;
        torch::Tensor& dec = video ? net_->videoVae->decoder->latentScale : net_->audioVae->decoder->latentScale;
        enc.mul_(rms);
        dec.copy_(enc);
        std::ostringstream msg;
        msg << (video ? "video" : "audio") << " latents rescaled; channel RMS were";
        for (int64_t c = 0; c < rms.size(0); ++c) msg << ' ' << rms[c].item<double>();
        std::fprintf(stderr, "%s\n", msg.str().c_str());
    }

    // The diffusion stages' replay pool (model/latent_pool.h): clips as long as the longest stage's,
    // filled once (or read back from the training folder), then refreshed as training goes.
    double poolSeconds() const {
        double longest = 0;
        for (const auto& st : recipe_.stages)
            if (isDitStage(st.name)) longest = std::max({longest, st.clip_seconds, st.hasLongSteps() ? st.long_clip_seconds : 0.0});
        return longest;
    }
    // A sitting that continues a stage mid-schedule (start_step) draws clips no earlier sitting drew, as
    // long as each sitting adds fewer than kPoolSeedsPerStep clips per step it trains.
    static constexpr uint64_t kPoolSeedsPerStep = 64;
    uint64_t poolSeed(uint64_t index) const { return clipSeed((1ull << 21) + uint64_t(opt_.start_step) * kPoolSeedsPerStep + index); }

    void fillPool(const StageRecipe& s) {
        net_->videoVae->eval();
        net_->audioVae->eval();
        if (pool_ && pool_->size() > 0) return; // an earlier diffusion stage of this run filled it
        pool_ = std::make_unique<LatentPool>(cfg_, poolSeconds(), size_t(s.pool_size));
        if (pool_->load(opt_.out_dir)) {
            std::fprintf(stderr, "latent pool: %zu clips read back\n", pool_->size());
            return;
        }
        const int initial = s.pool_initial > 0 ? std::min(s.pool_initial, s.pool_size) : std::min(s.pool_size, std::max(4 * s.batch, 32));
        const auto started = std::chrono::steady_clock::now();
        for (int i = 0; i < initial; ++i) {
            pool_->add(*net_, device_, poolSeed(pool_->added()));
            if ((i + 1) % 100 == 0)
                std::fprintf(stderr, "latent pool: %d of %d clips encoded (%.0f s)\n", i + 1, initial,
                             std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
        }
        pool_->save(opt_.out_dir);
    }

    // One training example: a window of a pool clip, its task masks and its prompt.
    struct Example {
        torch::Tensor video, audio, known, mv, ma; // [1, Cv, T, h, w], [1, Ca, L], known video, masks
        double audioStart = 0;                    // seconds of the audio window's start after the video's
        torch::Tensor objectRef, voiceRef;        // reference features, undefined when not given
        std::string prompt;
    };

    // A window of `T` video steps starting at step `j0` of a pool clip (clamped to the clip).
    Example makeExample(std::mt19937_64& rng, const TaskMix& mix, int64_t T, int64_t j0, bool withReferences) {
        const PoolItem& item = (*pool_)[rng() % pool_->size()];
        const int64_t fullT = item.video.size(1), fullL = item.audio.size(1);
        T = std::min(T, fullT);
        j0 = std::min(j0, fullT - T);
        const int64_t s0 = tb_.samplesForFrames(tb_.framesForVideoLatentSteps(j0)), a0 = s0 / tb_.audio_hop;
        const int64_t windowL = tb_.audioLatentStepsForSamples(tb_.samplesForFrames(tb_.framesForVideoLatentSteps(T)));
        const int64_t L = std::min(windowL, fullL - a0);
        TaskMasks m = randomTaskMasks(rng, mix, tb_, T, cfg_.latentHeight(), cfg_.latentWidth(), L);
        if (j0 > 0) m.stillFirstStep = false; // the still is of the clip's first frame: elsewhere it is plain extension
        Example e;
        e.video = item.video.narrow(1, j0, T).unsqueeze(0).to(device_);
        e.audio = item.audio.narrow(1, a0, L).unsqueeze(0).to(device_);
        e.audioStart = double(a0 * tb_.audio_hop) / cfg_.audio.sample_rate - tb_.secondsForFrames(tb_.framesForVideoLatentSteps(j0));
        e.known = e.video.clone();
        if (m.stillFirstStep) e.known.narrow(2, 0, 1).copy_(item.still.unsqueeze(0).to(device_));
        e.mv = m.video.to(device_);
        e.ma = m.audio.to(device_);
        e.prompt = item.caption;
        if (withReferences && uniform01(rng) < kReferenceProbability) {
            e.objectRef = net_->dit->videoReferenceFeatures(item.objectRef.unsqueeze(0).to(device_));
            e.prompt = uniform01(rng) < 0.5 ? item.captionNoColour : item.captionNoColourShape;
        }
        if (withReferences && item.voiceRef.defined() && uniform01(rng) < kReferenceProbability)
            e.voiceRef = net_->dit->audioReferenceFeatures(item.voiceRef.unsqueeze(0).to(device_));
        if (uniform01(rng) < kPromptDropout) e.prompt.clear();
        return e;
    }

    // Reference features of the batch, zero where a clip has none, with a mask of which are real.
    static std::pair<torch::Tensor, torch::Tensor> stackReferences(const std::vector<torch::Tensor>& refs, int64_t tokens, int64_t features,
                                                                   const torch::Device& device) {
        const int64_t B = int64_t(refs.size());
        auto out = torch::zeros({B, tokens, features}, torch::TensorOptions().device(device));
        auto valid = torch::zeros({B, tokens}, torch::TensorOptions().dtype(torch::kBool).device(device));
        for (int64_t b = 0; b < B; ++b)
            if (refs[size_t(b)].defined()) {
                out[b].copy_(refs[size_t(b)]);
                valid[b].fill_(true);
            }
        return {out, valid};
    }

    // Per-cell weights of the video loss: object cells count up to 1 + kObjectLatentWeight.
    static torch::Tensor objectWeights(const torch::Tensor& video) {
        auto flat = video.flatten(3);                                  // [B, C, T, h·w]
        auto median = std::get<0>(flat.median(-1, true));              // per channel and step
        auto distance = (flat - median).abs().mean(1, true);           // [B, 1, T, h·w]
        auto w = 1 + kObjectLatentWeight * (distance / kObjectLatentDistance).clamp_max(1.0);
        return w.reshape({video.size(0), 1, video.size(2), video.size(3), video.size(4)});
    }

    static torch::Tensor weightedMaskedMse(const torch::Tensor& pred, const torch::Tensor& target, const torch::Tensor& mask,
                                           const torch::Tensor& weight) {
        auto m = (mask * weight).expand_as(pred);
        return ((pred - target).pow(2) * m).sum() / m.sum().clamp_min(1.0);
    }

    std::map<std::string, torch::Tensor> ditStep(const StageRecipe& s) {
        if (step_ % s.refresh_every == 0) pool_->add(*net_, device_, poolSeed(pool_->added()));
        std::mt19937_64 rng(recipe_.seed * 7919 + uint64_t(step_) * 104729 + std::hash<std::string>()(s.name));
        const bool withReferences = uniform01(rng) < kReferenceBatchProbability;
        const double longFraction = s.longFractionAt(step_);
        const bool isLong = longFraction > 0 && uniform01(rng) < longFraction;
        // One window per batch: its start is shared so the audio's positions are (RoPE tables are per token).
        // Half the time the clip's start, where every shot starts.
        const int64_t T = tb_.videoLatentStepsForSeconds(isLong ? s.long_clip_seconds : s.clip_seconds);
        const int64_t fullT = (*pool_)[0].video.size(1);
        const int64_t j0 = rng() % 2 ? 0 : int64_t(rng() % uint64_t(std::max<int64_t>(1, fullT - T + 1)));
        std::vector<Example> batch;
        for (int b = 0; b < (isLong ? s.long_batch : s.batch); ++b) batch.push_back(makeExample(rng, s.tasks, T, j0, withReferences));
        // Windows of one batch share their length (audio steps may differ by one at odd offsets).
        int64_t L = batch[0].audio.size(2);
        for (const auto& e : batch) L = std::min<int64_t>(L, e.audio.size(2));
        std::vector<torch::Tensor> x0v, x0a, knownV, maskV, maskA;
        std::vector<std::string> prompts;
        for (auto& e : batch) {
            x0v.push_back(e.video);
            x0a.push_back(e.audio.narrow(2, 0, L));
            knownV.push_back(e.known);
            maskV.push_back(e.mv);
            maskA.push_back(e.ma.narrow(2, 0, L));
            prompts.push_back(e.prompt);
        }
        auto video = torch::cat(x0v), audio = torch::cat(x0a);
        auto kv = torch::cat(knownV), ka = audio, mv = torch::cat(maskV), ma = torch::cat(maskA);
        // Image-to-shot: the still stands in for the first step in the clean target too, as at inference.
        video = video * mv + kv * (1 - mv);
        const int64_t B = int64_t(batch.size()), h = video.size(3), w = video.size(4);

        auto t = shiftTime(torch::sigmoid(torch::randn({B}, torch::TensorOptions().device(device_))), s.timestep_shift);
        auto ev = torch::randn_like(video), ea = torch::randn_like(audio);
        auto tv = t.reshape({B, 1, 1, 1, 1}), ta = t.reshape({B, 1, 1});
        auto xv = (1 - tv) * video + tv * ev, xa = (1 - ta) * audio + ta * ea;

        // From here the network runs in bf16 mixed precision if the stage asks (the pool's encoding above does not).
        BFloat16Autocast autocast(device_, s.bf16);

        // Text.
        std::vector<int64_t> ids, segments, valid;
        for (const auto& p : prompts) {
            Tokens tk = tokenizer_.encode(p);
            ids.insert(ids.end(), tk.ids.begin(), tk.ids.end());
            segments.insert(segments.end(), tk.segments.begin(), tk.segments.end());
            valid.insert(valid.end(), tk.valid.begin(), tk.valid.end());
        }
        const int64_t N = cfg_.text.max_tokens;
        auto idT = torch::tensor(ids).reshape({B, N}).to(device_);
        auto segT = torch::tensor(segments).reshape({B, N}).to(device_);
        auto validT = torch::tensor(valid).reshape({B, N}).to(torch::kBool).to(device_);
        const int64_t used = std::max<int64_t>(1, validT.sum(1).max().item<int64_t>());
        auto text = net_->textEncoder->forward(idT, segT, validT).narrow(1, 0, used);
        validT = validT.narrow(1, 0, used);

        DitInputs in;
        in.video = torch::cat({xv, kv * (1 - mv), mv}, 1);
        in.audio = torch::cat({xa, ka * (1 - ma), ma}, 1);
        in.text = text;
        in.textValid = validT;
        in.t = t;
        // The audio window may start up to one audio step before the video's: its positions say so.
        const double audioStart = batch[0].audioStart;
        torch::Tensor videoRefPositions = torch::zeros({0, 3}), audioRefPositions = torch::zeros({0, 3});
        if (withReferences) {
            // The two kinds of reference take the engine's first and second reference places, either way round.
            const bool swap = rng() % 2;
            const double objectAt = -kReferenceSpacingSeconds * (swap ? 2 : 1), voiceAt = -kReferenceSpacingSeconds * (swap ? 1 : 2);
            std::vector<torch::Tensor> objects, voices;
            for (auto& e : batch) objects.push_back(e.objectRef), voices.push_back(e.voiceRef);
            const int64_t p = cfg_.video.patch_size, objectTokens = (h / p) * (w / p);
            std::tie(in.videoRefs, in.videoRefsValid) = stackReferences(objects, objectTokens, (2 * cfg_.video.latent_channels + 1) * p * p, device_);
            const int64_t voiceTokens = tb_.audioLatentStepsForSamples(tb_.sampleForSeconds(kVoiceReferenceSeconds));
            std::tie(in.audioRefs, in.audioRefsValid) = stackReferences(voices, voiceTokens, 2 * cfg_.audio.latent_channels + 1, device_);
            videoRefPositions = net_->dit->videoPositions(1, h, w, objectAt);
            audioRefPositions = net_->dit->audioPositions(voiceTokens, voiceAt);
        }
        auto positions = torch::cat({net_->dit->videoPositions(T, h, w, 0.0), videoRefPositions, net_->dit->audioPositions(L, audioStart),
                                     audioRefPositions, torch::zeros({used, 3})});
        in.angles = ropeAngles(positions, cfg_.dit.width / cfg_.dit.heads, cfg_.dit.rope_theta).to(device_);
        auto [vPred, aPred] = net_->dit->forward(in);
        vPred = vPred.to(torch::kFloat32), aPred = aPred.to(torch::kFloat32); // bf16 under mixed precision
        auto audioLoss = s.audio_event_weight > 0 ? weightedMaskedMse(aPred, ea - audio, ma, audioEventWeights(audio, s.audio_event_weight))
                                                  : maskedMse(aPred, ea - audio, ma);
        return {{"video", weightedMaskedMse(vPred, ev - video, mv, objectWeights(video))}, {"audio", audioLoss}};
    }

    Recipe recipe_;
    TrainOptions opt_;
    std::function<void(const LossRow&)> onLog_;
    ModelConfig cfg_;
    TimeBase tb_;
    torch::Device device_;
    Tokenizer tokenizer_;
    TandemModel net_{nullptr};
    std::vector<std::string> done_;
    std::string stage_;
    int step_ = 0;
    int rewarmFrom_ = -1; // the step a stage started at mid-schedule without optimiser state (-1: none)
    std::unique_ptr<LatentPool> pool_;
    std::map<std::string, torch::Tensor> ema_; // averaged weights of the diffusion stages, by parameter name
    std::chrono::steady_clock::time_point started_;
};

} // namespace

const char* trainingTaskName(TrainingTask task) {
    static const char* const names[kTrainingTaskCount] = {"generate", "image", "inpaint", "retake", "extend", "foley", "dub"};
    return names[int(task)];
}

TrainingTask TaskMix::draw(double u) const {
    double sum = 0;
    for (double w : weights) sum += w;
    double below = 0;
    TrainingTask drawn = TrainingTask::generate;
    for (int t = 0; t < kTrainingTaskCount; ++t) {
        if (weights[size_t(t)] <= 0) continue;
        drawn = TrainingTask(t);
        below += weights[size_t(t)];
        if (u * sum < below) return drawn;
    }
    return drawn; // u at the top end after rounding: the last task with a weight
}

double StageRecipe::longFractionAt(int step) const {
    double f = long_fraction;
    for (const auto& [from, fraction] : long_fraction_changes)
        if (step >= from) f = fraction;
    return f;
}

bool StageRecipe::hasLongSteps() const {
    if (long_fraction > 0) return true;
    return std::any_of(long_fraction_changes.begin(), long_fraction_changes.end(), [](const auto& c) { return c.second > 0; });
}

namespace {

// A whole-number field, or `fallback` when absent. nlohmann's value()/get<int>() cast a float or an
// out-of-range integer with undefined behaviour (1e30 into an int), so the reader checks first.
template <typename T> T wholeField(const json& object, const char* name, T fallback, const std::string& where) {
    if (!object.contains(name)) return fallback;
    const json& v = object.at(name);
    if (!holdsWholeNumber<T>(v))
        throw std::invalid_argument(where + ": '" + name + "' must be a whole number" + (v.is_number_integer() ? " in range" : ""));
    return v.get<T>();
}

// `long_fraction`: a number, or [[first step, fraction], …] with the first piece from step 0.
void readLongFraction(const json& stage, StageRecipe& st) {
    const auto bad = [&](const std::string& why) {
        return std::invalid_argument("stage '" + st.name + "': long_fraction " + why);
    };
    const auto checked = [&](double f) {
        if (!(f >= 0 && f <= 1)) throw bad("must be in [0, 1]");
        return f;
    };
    if (!stage.contains("long_fraction")) return;
    const json& v = stage.at("long_fraction");
    if (v.is_number()) {
        st.long_fraction = checked(v.get<double>());
        return;
    }
    if (!v.is_array() || v.empty()) throw bad("must be a number or a list of [first step, fraction] pairs");
    int previous = -1;
    for (const json& piece : v) {
        if (!piece.is_array() || piece.size() != 2 || !holdsWholeNumber<int>(piece[0]) || !piece[1].is_number())
            throw bad("pieces must be [first step, fraction] pairs");
        const int from = piece[0].get<int>();
        if (previous < 0 ? from != 0 : from <= previous) throw bad("pieces must start at step 0 and ascend");
        const double f = checked(piece[1].get<double>());
        if (previous < 0)
            st.long_fraction = f;
        else
            st.long_fraction_changes.emplace_back(from, f);
        previous = from;
    }
}

// `tasks`: {"generate": w, …}; the tasks it names are drawn in proportion to their weights, the others never.
void readTaskMix(const json& stage, StageRecipe& st) {
    if (!stage.contains("tasks")) return;
    const json& v = stage.at("tasks");
    const auto bad = [&](const std::string& why) { return std::invalid_argument("stage '" + st.name + "': tasks " + why); };
    if (!v.is_object() || v.empty()) throw bad("must be an object of task weights, e.g. {\"generate\": 0.5, \"dub\": 0.5}");
    TaskMix mix;
    mix.weights.fill(0);
    double sum = 0;
    for (const auto& [name, weight] : v.items()) {
        int t = 0;
        while (t < kTrainingTaskCount && name != trainingTaskName(TrainingTask(t))) ++t;
        if (t == kTrainingTaskCount) {
            std::string known;
            for (int k = 0; k < kTrainingTaskCount; ++k) known += std::string(k ? ", " : "") + trainingTaskName(TrainingTask(k));
            throw bad("names '" + name + "', not one of " + known);
        }
        if (!weight.is_number() || !(weight.get<double>() >= 0)) throw bad("weights must be numbers ≥ 0 ('" + name + "')");
        mix.weights[size_t(t)] = weight.get<double>();
        sum += mix.weights[size_t(t)];
    }
    if (!(sum > 0)) throw bad("must give some task a weight above 0");
    st.tasks = mix;
}

// A field the reader does not know would otherwise be ignored and its default used without a word, so a
// misspelt "timestep_shfit" would cost a run of hours. Every object level of a recipe is checked against
// the names its reader takes; the model block against the names ModelConfig writes.
void refuseUnknownFields(const json& object, const std::vector<std::string>& known, const std::string& where) {
    if (!object.is_object()) return; // the readers say what is wrong with a non-object
    for (const auto& item : object.items())
        if (std::find(known.begin(), known.end(), item.key()) == known.end()) {
            std::string names;
            for (const auto& k : known) names += (names.empty() ? "" : ", ") + k;
            throw std::invalid_argument(where + ": unknown field '" + item.key() + "' (known: " + names + ")");
        }
}

std::vector<std::string> keysOf(const json& object) {
    std::vector<std::string> keys;
    for (const auto& item : object.items()) keys.push_back(item.key());
    return keys;
}

void refuseUnknownModelFields(const json& model) {
    const json known = json::parse(ModelConfig{}.toJson());
    refuseUnknownFields(model, keysOf(known), "recipe: model");
    for (const auto& [section, fields] : model.items()) {
        if (!known.at(section).is_object()) continue;
        std::vector<std::string> names = keysOf(known.at(section));
        if (section == "sampler") {
            names.push_back("tasks"); // task names are checked by the config; their fields are sampler fields
            if (fields.is_object() && fields.contains("tasks") && fields.at("tasks").is_object())
                for (const auto& [task, own] : fields.at("tasks").items())
                    refuseUnknownFields(own, keysOf(known.at(section)), "recipe: model.sampler.tasks." + task);
        }
        refuseUnknownFields(fields, names, "recipe: model." + section);
    }
}

const std::vector<std::string> kRecipeFields = {"seed", "log_every", "checkpoint_every", "ema_decay", "eval_every", "model", "stages"};
const std::vector<std::string> kStageFields = {"name", "steps", "learning_rate", "batch", "clip_seconds", "warmup_steps",
                                               "pool_size", "pool_initial", "refresh_every", "long_fraction", "tasks",
                                               "long_clip_seconds", "long_batch", "timestep_shift", "audio_event_weight", "precision"};

} // namespace

Recipe Recipe::fromJson(const std::string& text) {
    json j;
    try {
        j = json::parse(text);
    } catch (const json::exception& e) {
        throw std::invalid_argument(std::string("the recipe is not JSON: ") + e.what());
    }
    Recipe r;
    try {
        refuseUnknownFields(j, kRecipeFields, "recipe");
        refuseUnknownModelFields(j.at("model"));
        r.config = ModelConfig::fromJson(j.at("model").dump());
        r.seed = wholeField<uint64_t>(j, "seed", r.seed, "recipe");
        r.log_every = wholeField<int>(j, "log_every", r.log_every, "recipe");
        r.checkpoint_every = wholeField<int>(j, "checkpoint_every", r.checkpoint_every, "recipe");
        r.ema_decay = j.value("ema_decay", r.ema_decay);
        r.eval_every = wholeField<int>(j, "eval_every", r.eval_every, "recipe");
        if (!(r.ema_decay >= 0 && r.ema_decay < 1) || r.eval_every < 0)
            throw std::invalid_argument("recipe: ema_decay must be in [0, 1) and eval_every ≥ 0");
        for (const json& s : j.at("stages")) {
            StageRecipe st;
            st.name = s.at("name").get<std::string>();
            if (!isKnownStage(st.name))
                throw std::invalid_argument("stage '" + st.name + "' is not one of video_vae, audio_vae, video_decoder, audio_decoder, dit (or dit_…)");
            const std::string where = "stage '" + st.name + "'";
            refuseUnknownFields(s, kStageFields, where);
            if (!s.contains("steps")) throw std::invalid_argument(where + ": 'steps' is missing");
            st.steps = wholeField<int>(s, "steps", 0, where);
            st.learning_rate = s.value("learning_rate", st.learning_rate);
            st.batch = wholeField<int>(s, "batch", st.batch, where);
            st.clip_seconds = s.value("clip_seconds", st.clip_seconds);
            st.warmup_steps = wholeField<int>(s, "warmup_steps", st.warmup_steps, where);
            st.pool_size = wholeField<int>(s, "pool_size", st.pool_size, where);
            st.pool_initial = wholeField<int>(s, "pool_initial", st.pool_initial, where);
            st.refresh_every = wholeField<int>(s, "refresh_every", st.refresh_every, where);
            readLongFraction(s, st);
            readTaskMix(s, st);
            st.long_clip_seconds = s.value("long_clip_seconds", st.long_clip_seconds);
            st.long_batch = wholeField<int>(s, "long_batch", st.long_batch, where);
            st.timestep_shift = s.value("timestep_shift", st.timestep_shift);
            if (!(st.timestep_shift > 0)) throw std::invalid_argument("stage '" + st.name + "': timestep_shift must be > 0");
            st.audio_event_weight = s.value("audio_event_weight", st.audio_event_weight);
            if (!(st.audio_event_weight >= 0)) throw std::invalid_argument("stage '" + st.name + "': audio_event_weight must be ≥ 0");
            if (s.contains("precision")) {
                const json& precision = s.at("precision");
                if (precision != "fp32" && precision != "bf16")
                    throw std::invalid_argument(where + ": precision must be \"fp32\" or \"bf16\" (mixed precision)");
                if (precision == "bf16" && !isDitStage(st.name))
                    throw std::invalid_argument(where + ": bf16 mixed precision is for diffusion stages; the autoencoders train in fp32");
                st.bf16 = precision == "bf16";
            }
            if (st.hasLongSteps() && !(st.long_clip_seconds > 0 && st.long_batch >= 1))
                throw std::invalid_argument("stage '" + st.name + "': with long_fraction, long_clip_seconds must be > 0 and long_batch ≥ 1");
            if (st.pool_initial < 0 || st.refresh_every < 1)
                throw std::invalid_argument("stage '" + st.name + "': pool_initial must be ≥ 0 and refresh_every ≥ 1");
            if (st.steps < 1 || st.batch < 1 || !(st.learning_rate > 0) || !(st.clip_seconds > 0) || st.warmup_steps < 1 ||
                st.pool_size < 1)
                throw std::invalid_argument("stage '" + st.name + "': steps, batch, warmup_steps and pool_size must be ≥ 1 and "
                                            "learning_rate, clip_seconds > 0");
            r.stages.push_back(st);
        }
    } catch (const json::exception& e) {
        throw std::invalid_argument(std::string("recipe: ") + e.what());
    }
    if (r.stages.empty()) throw std::invalid_argument("recipe: no stages");
    if (r.log_every < 1 || r.checkpoint_every < 1) throw std::invalid_argument("recipe: log_every and checkpoint_every must be ≥ 1");
    r.config.validate();
    return r;
}

TrainResult train(const Recipe& recipe, const TrainOptions& options, const std::function<void(const LossRow&)>& onLog) {
    if (options.out_dir.empty()) throw std::invalid_argument("no output folder given");
    if (!options.only_stage.empty() &&
        std::none_of(recipe.stages.begin(), recipe.stages.end(), [&](const StageRecipe& s) { return s.name == options.only_stage; }))
        throw std::invalid_argument("the recipe has no stage '" + options.only_stage + "'");
    Run run(recipe, options, onLog);
    return run.run();
}

void exportModel(const std::string& trainingDir, const std::string& modelDir) {
    const std::string average = trainingAverageDir(trainingDir);
    const std::string dir = fs::exists(fs::path(average) / kWeightsFile) ? average : trainingCheckpointDir(trainingDir);
    ModelFolder folder = readModelFolder(dir);
    TandemModel net(folder.config);
    loadWeights(*net, SafetensorsFile((fs::path(dir) / kWeightsFile).string()));
    saveCheckpoint(modelDir, folder.config, *net, DType::F16, &folder.tokenizer);
}

void blendModels(const std::string& modelA, const std::string& modelB, double weight, const std::string& modelDir) {
    if (!(weight >= 0.0 && weight <= 1.0)) throw std::invalid_argument("the blend weight must be between 0 and 1");
    const ModelFolder a = readModelFolder(modelA);
    const ModelFolder b = readModelFolder(modelB);
    if (a.config.toJson() != b.config.toJson()) throw CheckpointError(modelA + " and " + modelB + " have different configs: they cannot be blended");
    if (a.tokenizer.toJson() != b.tokenizer.toJson()) throw CheckpointError(modelA + " and " + modelB + " have different tokenizers: they cannot be blended");
    TandemModel netA(a.config), netB(b.config);
    loadWeights(*netA, SafetensorsFile((fs::path(modelA) / kWeightsFile).string()));
    loadWeights(*netB, SafetensorsFile((fs::path(modelB) / kWeightsFile).string()));
    torch::NoGradGuard noGrad;
    auto mix = [weight](torch::Tensor to, const torch::Tensor& from) {
        if (to.is_floating_point()) to.mul_(1.0 - weight).add_(from, weight); // integer buffers (counters) stay A's
    };
    const auto paramsB = netB->named_parameters();
    for (auto& p : netA->named_parameters()) mix(p.value(), paramsB[p.key()]);
    const auto buffersB = netB->named_buffers();
    for (auto& p : netA->named_buffers()) mix(p.value(), buffersB[p.key()]);
    saveCheckpoint(modelDir, a.config, *netA, DType::F16, &a.tokenizer);
}

std::string trainingCheckpointDir(const std::string& trainingDir) { return (fs::path(trainingDir) / "checkpoint").string(); }
std::string trainingAverageDir(const std::string& trainingDir) { return (fs::path(trainingDir) / "checkpoint-average").string(); }
std::string trainingLossCsv(const std::string& trainingDir) { return (fs::path(trainingDir) / "loss.csv").string(); }

torch::Tensor audioEventWeights(const torch::Tensor& audio, double extra) {
    auto median = std::get<0>(audio.median(-1, true));    // [B, C, 1]: the clip's typical step
    auto distance = (audio - median).abs().mean(1, true); // [B, 1, L]
    auto typical = std::get<0>(distance.median(-1, true)).clamp_min(kAudioEventFloor);
    // 1 up to the typical distance (the rain, the silence), 1 + extra from kAudioEventRatio times it.
    return 1 + extra * ((distance - typical) / ((kAudioEventRatio - 1) * typical)).clamp(0.0, 1.0);
}

} // namespace tandem::model
