// Engine speed on this machine: the CPU's fp32 matmul peak (the yardstick for the network's large matmuls),
// the MMDiT's time per sampler step at the default shot size, and a whole 4-second generation.
// Usage: tandem-bench-engine [--threads N] [--device cpu|cuda]
#include "model/engine.h"
#include "model/mmdit.h"
#include "model/text_encoder.h"

#include <torch/torch.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <string>
#include <thread>

using namespace tandem::model;
using Clock = std::chrono::steady_clock;

namespace {

template <typename F> double bestSeconds(int reps, F&& f) {
    double best = 1e30;
    for (int i = 0; i < reps; ++i) {
        const auto t0 = Clock::now();
        f();
        best = std::min(best, std::chrono::duration<double>(Clock::now() - t0).count());
    }
    return best;
}

} // namespace

int main(int argc, char** argv) {
    int threads = static_cast<int>(std::thread::hardware_concurrency());
    std::string device = "cpu";
    for (int i = 1; i + 1 < argc; i += 2) {
        if (!std::strcmp(argv[i], "--threads")) threads = std::stoi(argv[i + 1]);
        else if (!std::strcmp(argv[i], "--device")) device = argv[i + 1];
    }
    at::set_num_threads(threads);
    torch::NoGradGuard noGrad;
    std::printf("threads: %d  device: %s  libtorch: %s\n", threads, device.c_str(), TORCH_VERSION);

    auto a = torch::randn({1024, 1024}), b = torch::randn({1024, 1024});
    torch::matmul(a, b);
    const double mm = bestSeconds(10, [&] { torch::matmul(a, b); });
    std::printf("matmul 1024x1024 fp32: %.2f ms = %.1f GFLOP/s\n", mm * 1e3, 2.0 * 1024 * 1024 * 1024 / mm / 1e9);

    ModelConfig cfg;
    DualStreamDiT dit(cfg);
    TextEncoder text(cfg.text);
    dit->eval();
    const int64_t T = 16, h = cfg.latentHeight(), w = cfg.latentWidth(), L = 250, Nt = cfg.text.max_tokens;
    auto ids = torch::randint(3, 200, {1, Nt});
    auto valid = torch::ones({1, Nt}, torch::kBool);
    DitInputs in{torch::randn({1, 2 * cfg.video.latent_channels + 1, T, h, w}),
                 torch::randn({1, 2 * cfg.audio.latent_channels + 1, L}),
                 text(ids, torch::zeros_like(ids), valid), valid, torch::tensor({0.5f}),
                 dit->tokenAngles(T, h, w, L, Nt), {}, {}};
    dit(in);
    const double step = bestSeconds(5, [&] { dit(in); });
    std::printf("MMDiT step, 4 s shot (%lld video + %lld audio + %lld text tokens): %.1f ms\n",
                static_cast<long long>(T * h * w / 4), static_cast<long long>(L), static_cast<long long>(Nt), step * 1e3);

    auto engine = Engine::createUntrained(cfg, EngineOptions{device, threads});
    GenerateRequest req;
    req.prompt = "a red ball bounces";
    req.seconds = 4;
    req.steps = 20;
    const double gen = bestSeconds(2, [&] { engine->generate(req); });
    std::printf("generate 4 s, 20 steps (decode included): %.2f s\n", gen);
    return 0;
}
