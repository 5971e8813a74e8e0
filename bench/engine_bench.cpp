// Engine speed on this machine: the matmul peak (the yardstick for the network's large matmuls), the MMDiT's
// time per sampler step at the default shot size, and a whole 4-second generation — of an untrained model at
// the default sizes, or of a model folder (--model, e.g. the demo model). On the CPU the generation runs with
// fp32 and with bf16 decoding side by side (EngineOptions::cpu_precision), the ratio and the shots' PSNR
// printed. On CUDA the network runs in bf16 as the engine runs it there, and the GPU memory the generation
// needed is reported.
// Usage: tandem-bench-engine [--threads N] [--device cpu|cuda] [--model DIR] [--steps N]
#include "bench/torch_bench.h"
#include "model/engine.h"
#include "model/host_memory.h"
#include "model/layers.h"
#include "model/mmdit.h"
#include "model/precision.h"
#include "model/text_encoder.h"

#include <torch/cuda.h>
#include <torch/torch.h>

#include <cmath>
#include <cstdio>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

using namespace tandem::model;

namespace {

void matmulPeak(const torch::Device& device, torch::Dtype dtype) {
    // The CPU's yardstick is a 1024² fp32 product; a GPU needs a large bf16 one to reach its tensor-core rate.
    const int64_t n = device.is_cuda() ? 8192 : 1024;
    auto a = torch::randn({n, n}).to(device, dtype), b = torch::randn({n, n}).to(device, dtype);
    torch::matmul(a, b);
    const double s = bestSeconds(10, device.is_cuda(), [&] { torch::matmul(a, b); });
    std::printf("matmul %lldx%lld %s: %.3f ms = %.1f GFLOP/s\n", static_cast<long long>(n), static_cast<long long>(n),
                device.is_cuda() ? "bf16" : "fp32", s * 1e3, 2.0 * n * n * n / s / 1e9);
}

void ditStep(const ModelConfig& cfg, const torch::Device& device, torch::Dtype dtype) {
    DualStreamDiT dit(cfg);
    TextEncoder text(cfg.text);
    dit->eval();
    dit->to(device, dtype);
    const int64_t T = 16, h = cfg.latentHeight(), w = cfg.latentWidth(), L = 250, Nt = cfg.text.max_tokens;
    auto ids = torch::randint(3, 200, {1, Nt});
    auto valid = torch::ones({1, Nt}, torch::kBool);
    DitInputs in{torch::randn({1, 2 * cfg.video.latent_channels + 1, T, h, w}).to(device, dtype),
                 torch::randn({1, 2 * cfg.audio.latent_channels + 1, L}).to(device, dtype),
                 text(ids, torch::zeros_like(ids), valid).to(device, dtype), valid.to(device), torch::tensor({0.5f}).to(device),
                 dit->tokenAngles(T, h, w, L, Nt).to(device), {}, {}, {}, {}};
    dit(in);
    const double step = bestSeconds(5, device.is_cuda(), [&] { dit(in); });
    std::printf("MMDiT step, 4 s shot (%lld video + %lld audio + %lld text tokens): %.2f ms\n",
                static_cast<long long>(T * h * w / 4), static_cast<long long>(L), static_cast<long long>(Nt), step * 1e3);
}

} // namespace

int main(int argc, char** argv) {
    const std::string memory = keepFreedTensorMemory();
    int threads = static_cast<int>(std::thread::hardware_concurrency()), steps = 20;
    std::string deviceName = "cpu", modelDir;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (!std::strcmp(argv[i], "--threads")) threads = std::stoi(argv[i + 1]);
        else if (!std::strcmp(argv[i], "--device")) deviceName = argv[i + 1];
        else if (!std::strcmp(argv[i], "--model")) modelDir = argv[i + 1];
        else if (!std::strcmp(argv[i], "--steps")) steps = std::stoi(argv[i + 1]);
    }
    at::set_num_threads(threads);
    torch::NoGradGuard noGrad;
    const torch::Device device = resolveDevice(deviceName);
    const torch::Dtype dtype = device.is_cuda() ? torch::kBFloat16 : torch::kFloat32;
    std::printf("threads: %d  device: %s  libtorch: %s  host memory: %s\n", threads, device.str().c_str(),
                TORCH_VERSION, memory.c_str());

    matmulPeak(device, dtype);
    ditStep(ModelConfig{}, device, dtype);

    // On the CPU the whole generation runs twice, fp32 and bf16 decoding side by side (the shots compared
    // by PSNR); on CUDA once, as the engine runs it there.
    const std::vector<std::string> precisions = device.is_cuda() ? std::vector<std::string>{"auto"}
                                                                  : std::vector<std::string>{"fp32", "bf16"};
    GenerateRequest req;
    req.prompt = "a large red rubber circle bounces in front of a blue wall; a face says <S>bama tilo<E>";
    req.seconds = 4;
    req.steps = steps;
    req.seed = 1;
    std::vector<double> seconds;
    std::vector<Shot> shots;
    for (const std::string& precision : precisions) {
        const EngineOptions options{deviceName, threads, false, precision};
        auto engine = modelDir.empty() ? Engine::createUntrained(ModelConfig{}, options) : Engine::load(modelDir, options);
        const auto& cfg = engine->config();
        shots.push_back(engine->generate(req)); // warm-up: the first run on a GPU also pays for kernel selection
        resetPeakGpuMemory();
        seconds.push_back(bestSeconds(3, device.is_cuda(), [&] { engine->generate(req); }));
        std::printf("generate 4 s with %s (%dx%d, %g fps), %d steps, decode included%s: %.3f s\n",
                    modelDir.empty() ? "an untrained default-size model" : cfg.name.c_str(), cfg.video.width,
                    cfg.video.height, cfg.video.fps, steps, device.is_cuda() ? "" : (", " + precision).c_str(), seconds.back());
        if (const double mib = peakGpuMemoryMiB(); mib >= 0) std::printf("GPU memory for the generation: %.1f MiB at most\n", mib);
    }
    if (shots.size() == 2) {
        double squared = 0;
        for (size_t i = 0; i < shots[0].rgb.size(); ++i) {
            const double d = double(shots[0].rgb[i]) - double(shots[1].rgb[i]);
            squared += d * d;
        }
        const double mse = squared / double(shots[0].rgb.size());
        std::printf("bf16 decoding: %.2fx the speed of fp32 (bf16 units on this CPU: %s); its shot %.1f dB PSNR from fp32's\n",
                    seconds[0] / seconds[1], cpuHasBf16Units() ? "yes" : "no", mse > 0 ? 10 * std::log10(255.0 * 255.0 / mse) : 999.0);
    }
    return 0;
}
