// Training speed of the MMDiT on this machine: one optimiser step's forward and backward pass (text encoder
// included, the autoencoders not: the trainer reads cached latents) in fp32 and with bf16 mixed precision
// (model/precision.h), side by side, for the two batch shapes the demo recipes train on — 6 four-second
// shots and 48 single latent frames — at the sizes of a model folder's config.json. It also reports how far
// the bf16 pass's loss and gradients land from fp32's, so the speed is read with its cost.
// Usage: tandem-bench-train [--threads N] [--device cpu|cuda] [--model DIR] [--reps N]
#include "bench/torch_bench.h"
#include "model/host_memory.h"
#include "model/layers.h"
#include "model/model_folder.h"
#include "model/precision.h"
#include "model/tandem_model.h"

#include <torch/torch.h>

#include <cstdio>
#include <cstring>
#include <string>
#include <thread>

using namespace tandem::model;

namespace {

struct Batch {
    const char* name;
    int64_t B, T, L;
};

// The loss of one training step on random latents; gradients accumulate into the network's parameters.
torch::Tensor stepLoss(TandemModel& net, const ModelConfig& cfg, const Batch& b, const torch::Device& device) {
    const int64_t h = cfg.latentHeight(), w = cfg.latentWidth(), Nt = 24; // a typical caption's length
    auto ids = torch::randint(3, cfg.text.vocab_size, {b.B, Nt}).to(device);
    auto valid = torch::ones({b.B, Nt}, torch::kBool).to(device);
    DitInputs in;
    in.video = torch::randn({b.B, 2 * cfg.video.latent_channels + 1, b.T, h, w}).to(device);
    in.audio = torch::randn({b.B, 2 * cfg.audio.latent_channels + 1, b.L}).to(device);
    in.text = net->textEncoder->forward(ids, torch::zeros_like(ids), valid);
    in.textValid = valid;
    in.t = torch::rand({b.B}).to(device);
    in.angles = net->dit->tokenAngles(b.T, h, w, b.L, Nt).to(device);
    auto [v, a] = net->dit->forward(in);
    return v.to(torch::kFloat32).square().mean() + a.to(torch::kFloat32).square().mean();
}

void compare(TandemModel& net, const ModelConfig& cfg, const Batch& b, const torch::Device& device, int reps) {
    auto run = [&](bool bf16, uint64_t seed) {
        torch::manual_seed(seed);
        net->zero_grad();
        torch::Tensor loss;
        {
            BFloat16Autocast autocast(device, bf16);
            loss = stepLoss(net, cfg, b, device);
        }
        loss.backward();
        return loss.item<double>();
    };
    auto gradients = [&] {
        std::vector<torch::Tensor> g;
        for (auto& p : net->dit->parameters())
            if (p.grad().defined()) g.push_back(p.grad().flatten().clone());
        return torch::cat(g);
    };
    run(false, 1);
    const double fp32 = bestSeconds(reps, device.is_cuda(), [&] { run(false, 1); });
    const double lossFp32 = run(false, 7);
    const auto gradFp32 = gradients();
    run(true, 1);
    const double bf16 = bestSeconds(reps, device.is_cuda(), [&] { run(true, 1); });
    const double lossBf16 = run(true, 7);
    const auto gradBf16 = gradients();
    const double gradError = ((gradBf16 - gradFp32).norm() / gradFp32.norm()).item<double>();
    const double cosine = torch::cosine_similarity(gradBf16, gradFp32, 0).item<double>();
    std::printf("%-28s fp32 %7.1f ms   bf16 %7.1f ms   ratio %.2fx   loss %.5f vs %.5f   gradient error %.3f (cosine %.4f)\n",
                b.name, fp32 * 1e3, bf16 * 1e3, fp32 / bf16, lossFp32, lossBf16, gradError, cosine);
}

} // namespace

int main(int argc, char** argv) {
    const std::string memory = keepFreedTensorMemory(); // as tandem-train does
    int threads = static_cast<int>(std::thread::hardware_concurrency()), reps = 3;
    std::string deviceName = "cpu", modelDir;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (!std::strcmp(argv[i], "--threads")) threads = std::stoi(argv[i + 1]);
        else if (!std::strcmp(argv[i], "--device")) deviceName = argv[i + 1];
        else if (!std::strcmp(argv[i], "--model")) modelDir = argv[i + 1];
        else if (!std::strcmp(argv[i], "--reps")) reps = std::stoi(argv[i + 1]);
    }
    at::set_num_threads(threads);
    const torch::Device device = resolveDevice(deviceName);
    const ModelConfig cfg = modelDir.empty() ? ModelConfig{} : readModelFolder(modelDir).config;
    std::printf("threads: %d  device: %s  libtorch: %s  model: %s (transformer width %d, %d blocks)  host memory: %s\n",
                threads, device.str().c_str(), TORCH_VERSION, modelDir.empty() ? "default sizes" : cfg.name.c_str(),
                cfg.dit.width, cfg.dit.layers, memory.c_str());
    TandemModel net(cfg);
    net->to(device);
    net->train();
    compare(net, cfg, {"6 x 4 s shots", 6, 16, 250}, device, reps);
    compare(net, cfg, {"48 single latent frames", 48, 1, 16}, device, reps);
    return 0;
}
