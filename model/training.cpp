#include "model/training.h"

#include "model/checkpoint.h"
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
constexpr double kFinalLearningRateFraction = 0.1;

const std::vector<std::string> kStageNames = {"video_vae", "audio_vae", "dit"};

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

TaskMasks randomTaskMasks(std::mt19937_64& rng, const TimeBase& tb, int64_t T, int64_t h, int64_t w, int64_t L) {
    auto uniform = [&](int64_t lo, int64_t hi) { return lo + int64_t(rng() % uint64_t(hi - lo + 1)); }; // inclusive
    TaskMasks m{torch::ones({1, 1, T, h, w}), torch::ones({1, 1, L})};
    const double draw = double(rng() >> 11) * (1.0 / 9007199254740992.0);
    // generate (and restyle) .30, image .10, inpaint .15, retake .15, extend .10, foley .10, dub .10
    if (draw < 0.30) return m;
    if (draw < 0.40) {
        m.video.narrow(2, 0, 1).zero_();
        m.stillFirstStep = true;
    } else if (draw < 0.55) { // inpaint: a box over some steps; audio kept or regenerated whole
        m.video.zero_();
        const int64_t bh = uniform(1, h), bw = uniform(1, w), y = uniform(0, h - bh), x = uniform(0, w - bw);
        const int64_t j0 = uniform(0, T - 1), j1 = uniform(j0 + 1, T);
        m.video.narrow(2, j0, j1 - j0).narrow(3, y, bh).narrow(4, x, bw).fill_(1);
        if (rng() % 2) m.audio.zero_();
    } else if (draw < 0.70) { // retake a window of video, audio or both
        const int64_t j0 = uniform(0, T - 1), j1 = uniform(j0 + 1, T);
        const int which = int(rng() % 3); // 0 both, 1 video, 2 audio
        m.video.zero_();
        m.audio.zero_();
        if (which != 2) m.video.narrow(2, j0, j1 - j0).fill_(1);
        if (which != 1) {
            auto [l0, l1] = audioStepsOf(tb, j0, j1, L);
            m.audio.narrow(2, l0, l1 - l0).fill_(1);
        }
    } else if (draw < 0.80) { // extend forwards or backwards from k context steps
        if (T < 2) return m;
        const int64_t k = uniform(1, T - 1);
        const bool backward = rng() % 2;
        const int64_t g0 = backward ? 0 : k, g1 = backward ? T - k : T;
        m.video.zero_();
        m.video.narrow(2, g0, g1 - g0).fill_(1);
        auto [l0, l1] = audioStepsOf(tb, g0, g1, L);
        m.audio.zero_();
        m.audio.narrow(2, l0, l1 - l0).fill_(1);
    } else if (draw < 0.90) { // foley: sound for a given picture
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

struct PoolItem {
    torch::Tensor video, audio, still; // [Cv, T, h, w], [Ca, L], [Cv, 1, h, w]
    std::string caption;
};

class Run {
public:
    Run(const Recipe& recipe, const TrainOptions& options, const std::function<void(const LossRow&)>& onLog)
        : recipe_(recipe), opt_(options), onLog_(onLog), cfg_(recipe.config), tb_(cfg_.timeBase()),
          device_(resolveDevice(options.device)), tokenizer_(cfg_.text.max_tokens, knownWords()) {
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
    static std::set<std::string> knownWords() {
        const auto words = world::vocabulary();
        return {words.begin(), words.end()};
    }
    fs::path statePath() const { return fs::path(opt_.out_dir) / "state.json"; }
    fs::path optimizerPath() const { return fs::path(opt_.out_dir) / "optimizer.pt"; }
    bool isDone(const std::string& name) const { return std::find(done_.begin(), done_.end(), name) != done_.end(); }

    void readState() {
        if (!fs::exists(statePath())) return;
        const json state = json::parse(readText(statePath()));
        done_ = state.at("done").get<std::vector<std::string>>();
        stage_ = state.at("stage").get<std::string>();
        step_ = state.at("step").get<int>();
        const std::string dir = trainingCheckpointDir(opt_.out_dir);
        const ModelFolder folder = readModelFolder(dir);
        if (folder.config.toJson() != cfg_.toJson())
            throw std::runtime_error(opt_.out_dir + ": its checkpoint has other sizes than the recipe; use a new output folder");
        loadWeights(*net_, SafetensorsFile((fs::path(dir) / kWeightsFile).string()));
    }

    void checkpoint(torch::optim::Optimizer& optimizer) {
        net_->to(torch::kCPU);
        saveCheckpoint(trainingCheckpointDir(opt_.out_dir), cfg_, *net_, DType::F32, &tokenizer_);
        net_->to(device_);
        const std::string tmp = optimizerPath().string() + ".part";
        torch::save(optimizer, tmp);
        fs::rename(tmp, optimizerPath());
        json state{{"done", done_}, {"stage", stage_}, {"step", step_}};
        writeAtomically(statePath(), state.dump(2) + "\n");
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
        return s.learning_rate * (kFinalLearningRateFraction + (1 - kFinalLearningRateFraction) * cosine);
    }

    std::vector<torch::Tensor> parametersOf(const std::string& stage) {
        if (stage == "video_vae") return net_->videoVae->parameters();
        if (stage == "audio_vae") return net_->audioVae->parameters();
        auto p = net_->dit->parameters();
        for (auto& t : net_->textEncoder->parameters()) p.push_back(t);
        return p;
    }

    uint64_t clipSeed(uint64_t index) const { return kFirstTrainingSeed + (recipe_.seed << 24) + index; }

    bool runStage(const StageRecipe& s) {
        if (stage_ != s.name) { // a fresh stage
            stage_ = s.name;
            step_ = 0;
        }
        for (auto& p : net_->parameters()) p.set_requires_grad(false);
        auto params = parametersOf(s.name);
        for (auto& p : params) p.set_requires_grad(true);
        torch::optim::AdamW optimizer(params, torch::optim::AdamWOptions(s.learning_rate).betas({0.9, 0.99}).weight_decay(0.01));
        if (step_ > 0 && fs::exists(optimizerPath())) torch::load(optimizer, optimizerPath().string());
        net_->train();
        if (s.name == "dit") fillPool(s);

        std::map<std::string, double> sums;
        int counted = 0;
        while (step_ < s.steps) {
            if (outOfTime()) {
                checkpoint(optimizer);
                return false;
            }
            for (auto& group : optimizer.param_groups()) group.options().set_lr(learningRate(s, step_));
            optimizer.zero_grad();
            std::map<std::string, torch::Tensor> parts = s.name == "video_vae" ? videoVaeStep(s)
                                                       : s.name == "audio_vae" ? audioVaeStep(s)
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
            if (step_ % recipe_.log_every == 0 || step_ == s.steps) {
                log(s.name, sums, counted);
                sums.clear();
                counted = 0;
            }
            if (step_ % recipe_.checkpoint_every == 0 && step_ < s.steps) checkpoint(optimizer);
        }
        net_->eval();
        if (s.name == "video_vae") normaliseLatents(true);
        if (s.name == "audio_vae") normaliseLatents(false);
        done_.push_back(s.name);
        checkpoint(optimizer);
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

    std::map<std::string, torch::Tensor> videoVaeStep(const StageRecipe& s) {
        ClipTensors clips = renderClips(cfg_, clipSeed(uint64_t(step_) * s.batch), s.batch, s.clip_seconds);
        auto pixels = clips.pixels.to(device_);
        auto z = net_->videoVae->encoder->forward(pixels);
        auto recon = net_->videoVae->decoder->forward(z + kLatentNoise * torch::randn_like(z));
        return {{"recon", videoReconstructionLoss(recon, pixels)}, {"latent", kLatentPenalty * z.pow(2).mean()}};
    }

    std::map<std::string, torch::Tensor> audioVaeStep(const StageRecipe& s) {
        ClipTensors clips = renderClips(cfg_, clipSeed((1ull << 22) + uint64_t(step_) * s.batch), s.batch, s.clip_seconds);
        auto wave = clips.wave.to(device_);
        auto z = net_->audioVae->encoder->forward(wave);
        auto recon = net_->audioVae->decoder->forward(z + kLatentNoise * torch::randn_like(z));
        return {{"wave", (recon - wave).abs().mean()}, {"stft", stftLoss(recon, wave)}, {"latent", kLatentPenalty * z.pow(2).mean()}};
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

    void addToPool(uint64_t index, size_t slot) {
        torch::NoGradGuard noGrad;
        ClipTensors clip = renderClips(cfg_, clipSeed((1ull << 21) + index), 1, poolSeconds_);
        const int tc = cfg_.video.temporal_compression;
        auto pixels = clip.pixels.to(device_);
        PoolItem item;
        item.video = net_->videoVae->encoder->forward(pixels)[0];
        item.audio = net_->audioVae->encoder->forward(clip.wave.to(device_))[0];
        // The first frame as a still (what image-to-shot encodes).
        auto still = pixels.narrow(2, 0, 1).expand({-1, -1, tc, -1, -1}).contiguous();
        item.still = net_->videoVae->encoder->forward(still)[0];
        item.caption = clip.captions[0];
        if (slot < pool_.size()) pool_[slot] = std::move(item);
        else pool_.push_back(std::move(item));
    }

    void fillPool(const StageRecipe& s) {
        net_->videoVae->eval();
        net_->audioVae->eval();
        pool_.clear();
        poolSeconds_ = s.clip_seconds;
        const int initial = std::min(s.pool_size, std::max(4 * s.batch, 32));
        for (int i = 0; i < initial; ++i) addToPool(uint64_t(step_) * 4096 + uint64_t(i), pool_.size());
        poolNext_ = uint64_t(step_) * 4096 + uint64_t(initial);
    }

    std::map<std::string, torch::Tensor> ditStep(const StageRecipe& s) {
        // One fresh clip per step replaces the oldest (or grows the pool up to its size).
        const size_t slot = pool_.size() < size_t(s.pool_size) ? pool_.size() : size_t(poolNext_ % uint64_t(s.pool_size));
        addToPool(poolNext_++, slot);

        std::mt19937_64 rng(recipe_.seed * 7919 + uint64_t(step_));
        std::vector<torch::Tensor> x0v, x0a, knownV, knownA, maskV, maskA;
        std::vector<std::string> prompts;
        const auto& first = pool_[0];
        const int64_t T = first.video.size(1), h = first.video.size(2), w = first.video.size(3), L = first.audio.size(1);
        for (int b = 0; b < s.batch; ++b) {
            const PoolItem& item = pool_[rng() % pool_.size()];
            TaskMasks m = randomTaskMasks(rng, tb_, T, h, w, L);
            auto video = item.video.unsqueeze(0), audio = item.audio.unsqueeze(0);
            auto known = video.clone();
            if (m.stillFirstStep) known.narrow(2, 0, 1).copy_(item.still.unsqueeze(0));
            x0v.push_back(video);
            x0a.push_back(audio);
            knownV.push_back(known);
            knownA.push_back(audio);
            maskV.push_back(m.video.to(device_));
            maskA.push_back(m.audio.to(device_));
            const bool drop = double(rng() >> 11) * (1.0 / 9007199254740992.0) < kPromptDropout;
            prompts.push_back(drop ? std::string() : item.caption);
        }
        auto video = torch::cat(x0v), audio = torch::cat(x0a);
        auto kv = torch::cat(knownV), ka = torch::cat(knownA), mv = torch::cat(maskV), ma = torch::cat(maskA);
        // Image-to-shot: the still stands in for the first step in the clean target too, as at inference.
        video = video * mv + kv * (1 - mv);

        const int64_t B = s.batch;
        auto t = torch::sigmoid(torch::randn({B}, torch::TensorOptions().device(device_)));
        auto ev = torch::randn_like(video), ea = torch::randn_like(audio);
        auto tv = t.reshape({B, 1, 1, 1, 1}), ta = t.reshape({B, 1, 1});
        auto xv = (1 - tv) * video + tv * ev, xa = (1 - ta) * audio + ta * ea;

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
        in.angles = net_->dit->tokenAngles(T, h, w, L, used).to(device_);
        auto [vPred, aPred] = net_->dit->forward(in);
        return {{"video", maskedMse(vPred, ev - video, mv)}, {"audio", maskedMse(aPred, ea - audio, ma)}};
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
    std::vector<PoolItem> pool_;
    uint64_t poolNext_ = 0;
    double poolSeconds_ = 2.0;
    std::chrono::steady_clock::time_point started_;
};

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
        r.config = ModelConfig::fromJson(j.at("model").dump());
        r.seed = j.value("seed", r.seed);
        r.log_every = j.value("log_every", r.log_every);
        r.checkpoint_every = j.value("checkpoint_every", r.checkpoint_every);
        for (const json& s : j.at("stages")) {
            StageRecipe st;
            st.name = s.at("name").get<std::string>();
            if (std::find(kStageNames.begin(), kStageNames.end(), st.name) == kStageNames.end())
                throw std::invalid_argument("stage '" + st.name + "' is not one of video_vae, audio_vae, dit");
            st.steps = s.at("steps").get<int>();
            st.learning_rate = s.value("learning_rate", st.learning_rate);
            st.batch = s.value("batch", st.batch);
            st.clip_seconds = s.value("clip_seconds", st.clip_seconds);
            st.warmup_steps = s.value("warmup_steps", st.warmup_steps);
            st.pool_size = s.value("pool_size", st.pool_size);
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
    Run run(recipe, options, onLog);
    return run.run();
}

void exportModel(const std::string& trainingDir, const std::string& modelDir) {
    const std::string dir = trainingCheckpointDir(trainingDir);
    ModelFolder folder = readModelFolder(dir);
    TandemModel net(folder.config);
    loadWeights(*net, SafetensorsFile((fs::path(dir) / kWeightsFile).string()));
    saveCheckpoint(modelDir, folder.config, *net, DType::F16, &folder.tokenizer);
}

std::string trainingCheckpointDir(const std::string& trainingDir) { return (fs::path(trainingDir) / "checkpoint").string(); }
std::string trainingLossCsv(const std::string& trainingDir) { return (fs::path(trainingDir) / "loss.csv").string(); }

} // namespace tandem::model
