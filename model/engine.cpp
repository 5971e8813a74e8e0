#include "model/engine.h"

#include "model/checkpoint.h"
#include "model/sampler.h"
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

torch::Device resolveDevice(const std::string& name) {
    if (name == "cpu") return torch::kCPU;
    if (name == "cuda") {
        if (!torch::cuda::is_available())
            throw std::runtime_error("--device cuda: no CUDA device is available to this build of LibTorch");
        return torch::kCUDA;
    }
    if (name == "auto") return torch::cuda::is_available() ? torch::Device(torch::kCUDA) : torch::Device(torch::kCPU);
    throw std::invalid_argument("unknown device '" + name + "' (use auto, cpu or cuda)");
}

struct TextBatch {
    torch::Tensor features, valid;
};

} // namespace

struct Engine::Impl {
    ModelConfig config;
    torch::Device device = torch::kCPU;
    bool trained = false;
    std::string source = "untrained";
    Tokenizer tokenizer{96};
    TandemModel net{nullptr};

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
    impl->tokenizer = Tokenizer(config.text.max_tokens);
    torch::manual_seed(weightSeed);
    impl->net = TandemModel(config);
    impl->net->eval();
    return impl;
}

} // namespace

std::unique_ptr<Engine> Engine::createUntrained(const ModelConfig& config, const EngineOptions& options,
                                                uint64_t weightSeed) {
    auto impl = makeImpl(config, options, weightSeed);
    impl->net->to(impl->device);
    return std::unique_ptr<Engine>(new Engine(std::move(impl)));
}

std::unique_ptr<Engine> Engine::load(const std::string& dir, const EngineOptions& options) {
    namespace fs = std::filesystem;
    if (!fs::is_directory(dir)) throw CheckpointError(dir + ": not a model folder");
    const ModelConfig config = readConfigFile((fs::path(dir) / kConfigFile).string());
    auto impl = makeImpl(config, options, 0);
    const SafetensorsFile weights((fs::path(dir) / kWeightsFile).string());
    loadWeights(*impl->net, weights); // on the CPU, then moved: the mapping is released before generation
    impl->net->to(impl->device);
    impl->trained = true;
    impl->source = dir;
    return std::unique_ptr<Engine>(new Engine(std::move(impl)));
}

void Engine::save(const std::string& dir) const { saveCheckpoint(dir, impl_->config, *impl_->net); }

const ModelConfig& Engine::config() const { return impl_->config; }
std::string Engine::deviceName() const { return impl_->device.str(); }
bool Engine::hasTrainedWeights() const { return impl_->trained; }

Shot Engine::generate(const GenerateRequest& request, const ProgressFn& progress) {
    if (!(request.seconds > 0) || request.seconds > 60)
        throw std::invalid_argument("seconds must be in (0, 60]");
    if (request.steps < 1 || request.steps > 1000) throw std::invalid_argument("steps must be in [1, 1000]");
    torch::NoGradGuard noGrad;
    Impl& m = *impl_;
    const ModelConfig& cfg = m.config;
    const TimeBase tb = cfg.timeBase();

    const int64_t T = tb.videoLatentStepsForSeconds(request.seconds);
    const int64_t frames = tb.framesForVideoLatentSteps(T);
    const int64_t samples = tb.samplesForFrames(frames);
    const int64_t L = tb.audioLatentStepsForSamples(samples);
    const int64_t h = cfg.latentHeight(), w = cfg.latentWidth();

    const bool guided = request.video_guidance != 1.0 || request.audio_guidance != 1.0;
    std::vector<std::string> prompts = {request.prompt};
    if (guided) prompts.push_back(request.negative_prompt);
    const TextBatch text = m.encodeText(prompts);
    const int64_t B = static_cast<int64_t>(prompts.size());
    auto angles = m.net->dit->tokenAngles(T, h, w, L, text.features.size(1)).to(m.device);

    // Noise is drawn on the CPU from the request's seed, so a seed means the same noise on every device.
    auto gen = at::make_generator<at::CPUGeneratorImpl>(request.seed);
    Latents noise{torch::randn({1, cfg.video.latent_channels, T, h, w}, gen).to(m.device),
                  torch::randn({1, cfg.audio.latent_channels, L}, gen).to(m.device)};
    Latents known{torch::zeros_like(noise.video), torch::zeros_like(noise.audio)};
    Latents mask{torch::ones({1, 1, T, h, w}, noise.video.options()), torch::ones({1, 1, L}, noise.audio.options())};

    auto velocity = [&](const Latents& x, double t) {
        auto videoIn = torch::cat({x.video, known.video * (1 - mask.video), mask.video}, 1).expand({B, -1, -1, -1, -1});
        auto audioIn = torch::cat({x.audio, known.audio * (1 - mask.audio), mask.audio}, 1).expand({B, -1, -1});
        DitInputs in{videoIn, audioIn, text.features, text.valid, torch::full({B}, t, noise.video.options()), angles};
        auto [v, a] = m.net->dit->forward(in);
        if (!guided) return Latents{v, a};
        auto vc = v.narrow(0, 0, 1), vu = v.narrow(0, 1, 1), ac = a.narrow(0, 0, 1), au = a.narrow(0, 1, 1);
        return Latents{vu + request.video_guidance * (vc - vu), au + request.audio_guidance * (ac - au)};
    };
    const auto start = std::chrono::steady_clock::now();
    auto onStep = [&](int step, int total) {
        if (!progress) return true;
        const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
        return progress(StepProgress{step, total, elapsed, elapsed / step * (total - step)});
    };
    Latents x = sampleEuler(velocity, noise, known, mask, SamplerSettings{request.steps, request.shift}, onStep);

    Shot shot;
    auto pixels = m.net->videoVae->decoder->forward(x.video)[0]; // [3, F, H, W] in [-1, 1]
    shot.rgb.resize(static_cast<size_t>(frames * cfg.video.height * cfg.video.width * 3));
    auto bytes = ((pixels.permute({1, 2, 3, 0}) + 1) * 127.5).round().clamp(0, 255).to(torch::kUInt8).contiguous().cpu();
    std::memcpy(shot.rgb.data(), bytes.data_ptr<uint8_t>(), shot.rgb.size());
    shot.width = cfg.video.width;
    shot.height = cfg.video.height;
    shot.fps = cfg.video.fps;
    shot.frames = frames;

    auto wave = m.net->audioVae->decoder->forward(x.audio).reshape({-1}).narrow(0, 0, samples).to(torch::kFloat32).contiguous().cpu();
    shot.audio.assign(wave.data_ptr<float>(), wave.data_ptr<float>() + samples);
    shot.sample_rate = cfg.audio.sample_rate;
    return shot;
}

} // namespace tandem::model
