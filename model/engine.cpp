#include "model/engine.h"

#include "model/checkpoint.h"
#include "model/precision.h"
#include "model/sampler.h"
#include "model/tasks.h"
#include "model/tandem_model.h"
#include "model/tokenizer.h"

#include <ATen/CPUGeneratorImpl.h>
#include <torch/torch.h>

#include <chrono>
#include <filesystem>
#include <cstring>
#include <stdexcept>
#include <thread>

namespace tandem::model {

namespace {

struct TextBatch {
    torch::Tensor features, valid;
};

struct References {
    torch::Tensor video, audio;                   // [1, N, features], undefined when none
    torch::Tensor videoPositions = torch::zeros({0, 3}), audioPositions = torch::zeros({0, 3});
};

// References sit before the shot on the time axis, each in its own span far from the shot and from each
// other, so attention can tell them apart from the shot and from one another.
constexpr double kReferenceSpacingSeconds = 100.0;

} // namespace

struct Engine::Impl {
    ModelConfig config;
    torch::Device device = torch::kCPU;
    // fp32 on the CPU; bf16 on CUDA (half the memory and the tensor cores' rate, ample range for inference).
    torch::Dtype dtype = torch::kFloat32;
    bool offload = false;
    bool trained = false;
    bool cpuBf16 = false; // the video decoder under bf16 autocast (EngineOptions::cpu_precision)

    void place() {
        net->to(device, dtype);
        if (offload && device.is_cuda()) {
            net->dit->blocks->to(torch::kCPU);
            net->dit->offloadTo = device;
        }
    }
    std::string source = "untrained";
    Tokenizer tokenizer{96};
    TandemModel net{nullptr};

    References encodeReferences(const std::vector<Shot>& shots) {
        References r;
        std::vector<torch::Tensor> vt, at, vp, ap;
        const TimeBase tb = config.timeBase();
        const int tc = config.video.temporal_compression, hop = config.audio.hop, H = config.video.height, W = config.video.width;
        for (size_t i = 0; i < shots.size(); ++i) {
            const Shot& s = shots[i];
            const double start = -kReferenceSpacingSeconds * double(i + 1);
            const std::string which = "reference " + std::to_string(i + 1);
            if (s.frames > 0) {
                if (s.width != W || s.height != H || s.rgb.size() != size_t(s.frames) * W * H * 3)
                    throw std::invalid_argument(which + ": its picture is not at the model's size");
                const int64_t keep = std::min<int64_t>(s.frames, tb.frameForSeconds(kMaxReferenceSeconds));
                const int64_t frames = (keep + tc - 1) / tc * tc; // whole latent steps, last frame repeated
                auto pixels = torch::empty({frames, H, W, 3}, torch::kUInt8);
                std::memcpy(pixels.data_ptr(), s.rgb.data(), size_t(keep) * W * H * 3);
                if (frames > keep) pixels.narrow(0, keep, frames - keep).copy_(pixels[keep - 1].expand({frames - keep, H, W, 3}));
                auto input = pixels.permute({3, 0, 1, 2}).unsqueeze(0).to(torch::kFloat32) / 127.5 - 1;
                auto latent = net->videoVae->encoder->forward(input.to(device, dtype)).to(torch::kFloat32);
                vt.push_back(net->dit->videoReferenceFeatures(latent));
                vp.push_back(net->dit->videoPositions(latent.size(2), latent.size(3), latent.size(4), start));
            }
            if (!s.audio.empty()) {
                if (s.sample_rate != config.audio.sample_rate) throw std::invalid_argument(which + ": its sound is not at the model's rate");
                const int64_t n = std::min<int64_t>(int64_t(s.audio.size()), tb.sampleForSeconds(kMaxReferenceSeconds));
                const int64_t steps = (n + hop - 1) / hop;
                auto wave = torch::zeros({1, 1, steps * hop});
                std::memcpy(wave.data_ptr(), s.audio.data(), size_t(n) * sizeof(float));
                auto latent = net->audioVae->encoder->forward(wave.to(device, dtype)).to(torch::kFloat32);
                at.push_back(net->dit->audioReferenceFeatures(latent));
                ap.push_back(net->dit->audioPositions(latent.size(2), start));
            }
        }
        if (!vt.empty()) {
            r.video = torch::cat(vt).unsqueeze(0);
            r.videoPositions = torch::cat(vp);
        }
        if (!at.empty()) {
            r.audio = torch::cat(at).unsqueeze(0);
            r.audioPositions = torch::cat(ap);
        }
        return r;
    }

    TextBatch encodeText(const std::vector<std::string>& prompts) {
        std::vector<int64_t> ids, segments;
        std::vector<uint8_t> valid;
        for (const auto& p : prompts) {
            Tokens t = tokenizer.encode(p);
            ids.insert(ids.end(), t.ids.begin(), t.ids.end());
            segments.insert(segments.end(), t.segments.begin(), t.segments.end());
            valid.insert(valid.end(), t.valid.begin(), t.valid.end());
        }
        const int64_t B = static_cast<int64_t>(prompts.size()), N = config.text.max_tokens;
        auto idT = torch::tensor(ids).reshape({B, N}).to(device);
        auto segT = torch::tensor(segments).reshape({B, N}).to(device);
        auto validT = torch::tensor(std::vector<int64_t>(valid.begin(), valid.end())).reshape({B, N}).to(torch::kBool).to(device);
        auto features = net->textEncoder->forward(idT, segT, validT);
        // Padding after the longest prompt carries nothing; dropping it saves attention work every step.
        const int64_t used = std::max<int64_t>(1, validT.sum(1).max().item<int64_t>());
        return {features.narrow(1, 0, used), validT.narrow(1, 0, used)};
    }
};

Engine::Engine(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Engine::~Engine() = default;

namespace {

std::unique_ptr<Engine::Impl> makeImpl(const ModelConfig& config, const EngineOptions& options, uint64_t weightSeed) {
    config.validate();
    const int threads = options.threads > 0 ? options.threads : static_cast<int>(std::thread::hardware_concurrency());
    at::set_num_threads(std::max(1, threads));
    auto impl = std::make_unique<Engine::Impl>();
    impl->config = config;
    impl->device = resolveDevice(options.device);
    impl->dtype = impl->device.is_cuda() ? torch::kBFloat16 : torch::kFloat32;
    impl->offload = options.offload;
    if (options.cpu_precision != "auto" && options.cpu_precision != "fp32" && options.cpu_precision != "bf16")
        throw std::invalid_argument("cpu precision must be auto, fp32 or bf16");
    impl->cpuBf16 = impl->device.is_cpu() &&
                    (options.cpu_precision == "bf16" ||
                     (options.cpu_precision == "auto" && config.sampler.cpu_precision == "bf16" && cpuHasBf16Units()));
    impl->tokenizer = plainTokenizer(config);
    torch::manual_seed(weightSeed);
    impl->net = TandemModel(config);
    impl->net->eval();
    return impl;
}

} // namespace

std::unique_ptr<Engine> Engine::createUntrained(const ModelConfig& config, const EngineOptions& options,
                                                uint64_t weightSeed) {
    auto impl = makeImpl(config, options, weightSeed);
    impl->place();
    return std::unique_ptr<Engine>(new Engine(std::move(impl)));
}

std::unique_ptr<Engine> Engine::load(const std::string& dir, const EngineOptions& options) {
    namespace fs = std::filesystem;
    ModelFolder folder = readModelFolder(dir);
    auto impl = makeImpl(folder.config, options, 0);
    impl->tokenizer = std::move(folder.tokenizer);
    const SafetensorsFile weights((fs::path(dir) / kWeightsFile).string());
    loadWeights(*impl->net, weights); // on the CPU, then moved: the mapping is released before generation
    impl->place();
    impl->trained = true;
    impl->source = dir;
    return std::unique_ptr<Engine>(new Engine(std::move(impl)));
}

void Engine::save(const std::string& dir) const {
    saveCheckpoint(dir, impl_->config, *impl_->net, DType::F32, &impl_->tokenizer);
}

const Tokenizer& Engine::tokenizer() const { return impl_->tokenizer; }

const ModelConfig& Engine::config() const { return impl_->config; }
std::string Engine::deviceName() const { return impl_->device.str(); }
bool Engine::hasTrainedWeights() const { return impl_->trained; }

namespace {

// Pixels [F·H·W·3] bytes → [1, 3, F, H, W] in [-1, 1].
torch::Tensor pixelsToTensor(const uint8_t* rgb, int64_t frames, int H, int W) {
    auto t = torch::from_blob(const_cast<uint8_t*>(rgb), {frames, H, W, 3}, torch::kUInt8);
    return t.permute({3, 0, 1, 2}).unsqueeze(0).to(torch::kFloat32) / 127.5 - 1;
}

LatentBlock toBlock(const torch::Tensor& t) {
    auto c = t.to(torch::kCPU, torch::kFloat32).contiguous();
    LatentBlock b;
    b.shape = c.sizes().vec();
    b.data.assign(c.data_ptr<float>(), c.data_ptr<float>() + c.numel());
    return b;
}

} // namespace

GuidanceConfig resolvedGuidance(const ShotRequest& request, const SamplerConfig& defaults) {
    GuidanceConfig g = defaults.forTask(taskName(request.task));
    g.video_guidance = request.video_guidance.value_or(g.video_guidance);
    g.audio_guidance = request.audio_guidance.value_or(g.audio_guidance);
    g.guidance_noise_floor = request.guidance_noise_floor.value_or(g.guidance_noise_floor);
    return g;
}

Shot Engine::generate(const ShotRequest& request, const ProgressFn& progress) {
    if (!(request.seconds > 0) || request.seconds > 60) throw std::invalid_argument("seconds must be in (0, 60]");
    if (request.steps < 1 || request.steps > 1000) throw std::invalid_argument("steps must be in [1, 1000]");
    torch::NoGradGuard noGrad;
    Impl& m = *impl_;
    const ModelConfig& cfg = m.config;
    const TimeBase tb = cfg.timeBase();
    const int H = cfg.video.height, W = cfg.video.width, tc = cfg.video.temporal_compression, hop = cfg.audio.hop;
    TaskPlan plan = planTask(request, cfg);
    const int64_t T = plan.T, L = plan.L, h = cfg.latentHeight(), w = cfg.latentWidth();
    const auto floatOpts = torch::TensorOptions().dtype(torch::kFloat32).device(m.device);

    const GuidanceConfig guidance = resolvedGuidance(request, cfg.sampler);
    if (const std::string wrong = guidance.rangeError(); !wrong.empty()) throw std::invalid_argument(wrong);
    // Guidance of a modality the task keeps whole (foley's picture, dub's sound) changes nothing: no extra pass.
    auto generates = [](const torch::Tensor& mask) { return mask.defined() && mask.max().item<float>() > 0; };
    const bool guided = (guidance.video_guidance != 1.0 && generates(plan.videoMask)) ||
                        (guidance.audio_guidance != 1.0 && generates(plan.audioMask));
    std::vector<std::string> prompts = {request.prompt};
    if (guided) prompts.push_back(request.negative_prompt);
    const TextBatch text = m.encodeText(prompts);
    const int64_t B = static_cast<int64_t>(prompts.size());
    const References refs = m.encodeReferences(request.references);
    auto angles = m.net->dit->referenceAngles(T, h, w, L, text.features.size(1), refs.videoPositions, refs.audioPositions).to(m.device);

    // Known latents: given (extension from a shot's own latents) or encoded from the placed source.
    const int64_t windowSamples = L * hop;
    Latents known{plan.knownVideo.defined() ? plan.knownVideo.to(m.device) : torch::zeros({1, cfg.video.latent_channels, T, h, w}, floatOpts),
                  torch::zeros({1, cfg.audio.latent_channels, L}, floatOpts)};
    if (plan.encodeVideo) {
        auto pixels = pixelsToTensor(plan.placedRgb.data() + plan.windowFirstFrame * H * W * 3, T * tc, H, W).to(m.device);
        known.video = m.net->videoVae->encoder->forward(pixels.to(m.dtype)).to(torch::kFloat32);
    }
    if (plan.encodeAudio) {
        auto wave = torch::zeros({1, 1, windowSamples});
        const int64_t n = std::min<int64_t>(windowSamples, plan.samples - plan.windowFirstSample);
        wave.narrow(2, 0, n).copy_(torch::from_blob(plan.placedAudio.data() + plan.windowFirstSample, {1, 1, n}, torch::kFloat32));
        known.audio = m.net->audioVae->encoder->forward(wave.to(m.device, m.dtype)).to(torch::kFloat32);
    }
    Latents mask{plan.videoMask.to(m.device), plan.audioMask.to(m.device)};

    // Noise is drawn on the CPU from the request's seed, so a seed means the same noise on every device.
    auto gen = at::make_generator<at::CPUGeneratorImpl>(request.seed);
    Latents noise{torch::randn({1, cfg.video.latent_channels, T, h, w}, gen).to(m.device),
                  torch::randn({1, cfg.audio.latent_channels, L}, gen).to(m.device)};

    auto velocity = [&](const Latents& x, double t) {
        // Below the noise floor the unconditional pass is skipped: the conditional prediction alone.
        const bool guidedStep = guided && t >= guidance.guidance_noise_floor;
        const int64_t b = guidedStep ? B : 1;
        auto videoIn = torch::cat({x.video, known.video * (1 - mask.video), mask.video}, 1).expand({b, -1, -1, -1, -1});
        auto audioIn = torch::cat({x.audio, known.audio * (1 - mask.audio), mask.audio}, 1).expand({b, -1, -1});
        DitInputs in{videoIn.to(m.dtype), audioIn.to(m.dtype), text.features.narrow(0, 0, b), text.valid.narrow(0, 0, b),
                     torch::full({b}, t, floatOpts), angles, refs.video, refs.audio, {}, {}};
        auto [vOut, aOut] = m.net->dit->forward(in);
        auto v = vOut.to(torch::kFloat32), a = aOut.to(torch::kFloat32); // the sampler integrates in fp32
        if (!guidedStep) return Latents{v, a};
        auto vc = v.narrow(0, 0, 1), vu = v.narrow(0, 1, 1), ac = a.narrow(0, 0, 1), au = a.narrow(0, 1, 1);
        return Latents{vu + guidance.video_guidance * (vc - vu), au + guidance.audio_guidance * (ac - au)};
    };
    const auto started = std::chrono::steady_clock::now();
    auto onStep = [&](int step, int total) {
        if (!progress) return true;
        const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
        return progress(StepProgress{step, total, elapsed, elapsed / step * (total - step)});
    };
    SamplerSettings settings{request.steps, request.shift, request.solver == Solver::Heun, plan.startTime};
    Latents x = sample(velocity, noise, known, mask, settings, onStep, known);

    // Decode the window, then assemble the output: kept pixels and samples come from the source bit for bit.
    Shot shot;
    shot.width = W;
    shot.height = H;
    shot.fps = cfg.video.fps;
    shot.frames = plan.frames;
    shot.sample_rate = cfg.audio.sample_rate;
    torch::Tensor pixels;
    {
        // bf16 where the model asks for it and the CPU has the units; rounding here cannot steer the
        // sampler (the latents are final), unlike bf16 in the transformer.
        BFloat16Autocast autocast(m.device, m.cpuBf16);
        pixels = m.net->videoVae->decoder->forward(x.video.to(m.dtype))[0].to(torch::kFloat32); // [3, T·tc, H, W]
    }
    auto bytes = ((pixels.permute({1, 2, 3, 0}) + 1) * 127.5).round().clamp(0, 255).to(torch::kUInt8).contiguous().cpu();
    auto wave = m.net->audioVae->decoder->forward(x.audio.to(m.dtype)).reshape({-1}).to(torch::kFloat32).contiguous().cpu();
    plan.overlayMade(bytes.data_ptr<uint8_t>(), plan.windowFirstFrame, T * tc, wave.data_ptr<float>(), plan.windowFirstSample,
                     windowSamples);
    shot.rgb = std::move(plan.placedRgb);
    shot.audio = std::move(plan.placedAudio);

    // Latents of the whole output, so the shot can be extended again without a pixel round trip.
    torch::Tensor videoLatent = x.video[0];
    if (request.task == Task::Extend && !request.source.video_latent.empty()) {
        auto src = torch::from_blob(const_cast<float*>(request.source.video_latent.data.data()), request.source.video_latent.shape,
                                    torch::kFloat32).to(m.device);
        const int64_t ctx = T - tb.videoLatentStepsForSeconds(request.seconds);
        auto fresh = request.backward ? x.video[0].narrow(1, 0, T - ctx) : x.video[0].narrow(1, ctx, T - ctx);
        videoLatent = request.backward ? torch::cat({fresh, src}, 1) : torch::cat({src, fresh}, 1);
    }
    if (videoLatent.size(1) * tc == shot.frames) shot.video_latent = toBlock(videoLatent);
    if (x.audio.size(2) * hop >= plan.samples && plan.windowFirstSample == 0) shot.audio_latent = toBlock(x.audio[0]);
    return shot;
}

Shot Engine::reconstruct(const Shot& source) {
    torch::NoGradGuard noGrad;
    Impl& m = *impl_;
    const ModelConfig& cfg = m.config;
    const TimeBase tb = cfg.timeBase();
    const int H = cfg.video.height, W = cfg.video.width, tc = cfg.video.temporal_compression, hop = cfg.audio.hop;
    if (source.width != W || source.height != H || source.frames <= 0 || source.frames % tc != 0 ||
        source.rgb.size() != size_t(source.frames) * W * H * 3)
        throw std::invalid_argument("reconstruct: the source must be at the model's size with a multiple of " +
                                    std::to_string(tc) + " frames");
    if (!source.audio.empty() && source.sample_rate != cfg.audio.sample_rate)
        throw std::invalid_argument("reconstruct: the source sound is not at the model's rate");
    Shot out = source;
    auto pixels = pixelsToTensor(source.rgb.data(), source.frames, H, W).to(m.device, m.dtype);
    auto decoded = m.net->videoVae->decoder->forward(m.net->videoVae->encoder->forward(pixels))[0].to(torch::kFloat32);
    auto bytes = ((decoded.permute({1, 2, 3, 0}) + 1) * 127.5).round().clamp(0, 255).to(torch::kUInt8).contiguous().cpu();
    std::memcpy(out.rgb.data(), bytes.data_ptr<uint8_t>(), out.rgb.size());
    if (!source.audio.empty()) {
        const int64_t n = int64_t(source.audio.size());
        auto wave = torch::zeros({1, 1, tb.audioLatentStepsForSamples(n) * hop});
        std::memcpy(wave.data_ptr<float>(), source.audio.data(), size_t(n) * sizeof(float));
        auto back = m.net->audioVae->decoder->forward(m.net->audioVae->encoder->forward(wave.to(m.device, m.dtype)))
                        .reshape({-1}).to(torch::kFloat32).contiguous().cpu();
        std::memcpy(out.audio.data(), back.data_ptr<float>(), size_t(n) * sizeof(float));
    }
    out.video_latent = {};
    out.audio_latent = {};
    return out;
}

} // namespace tandem::model
