// Parity and speed of the C++ MMDiT against the same network written in PyTorch (bench/pytorch_reference.py).
// Writes, into DIR: the model (config.json + model.safetensors, untrained weights from a fixed seed), one set
// of inputs and the C++ outputs (io.safetensors), then prints the C++ step time and the matmul figures.
// On CUDA the network runs in bf16, as the engine runs it there, and the figures are the step time and the
// GPU memory the step needs (matmul figures are the CPU's yardstick only).
// Usage: tandem-bench-parity DIR [--threads N] [--reps R] [--device cpu|cuda]   (bench/parity.sh runs both sides)
#include "bench/torch_bench.h"
#include "model/checkpoint.h"
#include "model/layers.h"
#include "model/tandem_model.h"

#include <torch/cuda.h>
#include <torch/torch.h>

#include <cstdio>
#include <cstring>
#include <string>
#include <thread>

using namespace tandem::model;

namespace {

TensorToWrite entry(const std::string& name, const torch::Tensor& t) {
    const DType d = t.scalar_type() == torch::kBool ? DType::Bool : DType::F32;
    return {name, d, t.sizes().vec(), t.data_ptr(), size_t(t.numel() * t.element_size())};
}

} // namespace

int main(int argc, char** argv) {
    if (argc < 2) {
        std::fprintf(stderr, "usage: tandem-bench-parity DIR [--threads N] [--reps R] [--device cpu|cuda]\n");
        return 2;
    }
    const std::string dir = argv[1];
    int threads = int(std::thread::hardware_concurrency()), reps = 10;
    std::string deviceName = "cpu";
    for (int i = 2; i + 1 < argc; i += 2) {
        if (!std::strcmp(argv[i], "--threads")) threads = std::stoi(argv[i + 1]);
        if (!std::strcmp(argv[i], "--reps")) reps = std::stoi(argv[i + 1]);
        if (!std::strcmp(argv[i], "--device")) deviceName = argv[i + 1];
    }
    const torch::Device device = resolveDevice(deviceName);
    const bool cuda = device.is_cuda();
    const torch::Dtype dtype = cuda ? torch::kBFloat16 : torch::kFloat32;
    at::set_num_threads(threads);
    torch::NoGradGuard noGrad;
    ModelConfig cfg;
    cfg.name = "parity";
    torch::manual_seed(1234);
    TandemModel net(cfg);
    net->eval();
    saveCheckpoint(dir, cfg, *net);

    // A 4-second shot at the default size, text of 40 tokens (the rest padding), mid-schedule.
    const int64_t T = 16, h = cfg.latentHeight(), w = cfg.latentWidth(), L = 250, Nt = 40;
    torch::manual_seed(99);
    auto video = torch::randn({1, 2 * cfg.video.latent_channels + 1, T, h, w});
    auto audio = torch::randn({1, 2 * cfg.audio.latent_channels + 1, L});
    auto text = torch::randn({1, Nt, cfg.text.width});
    auto valid = torch::ones({1, Nt}, torch::kBool);
    auto t = torch::tensor({0.37f});
    net->to(device, dtype);
    DitInputs in{video.to(device, dtype), audio.to(device, dtype), text.to(device, dtype), valid.to(device), t.to(device),
                 net->dit->tokenAngles(T, h, w, L, Nt).to(device), {}, {}, {}, {}};
    auto [vOut, aOut] = net->dit->forward(in);
    auto v = vOut.to(torch::kFloat32).cpu().contiguous(), a = aOut.to(torch::kFloat32).cpu().contiguous();
    writeSafetensors(dir + "/io.safetensors",
                     {entry("video_in", video), entry("audio_in", audio), entry("text", text), entry("text_valid", valid),
                      entry("t", t), entry("video_out", v), entry("audio_out", a)});

    resetPeakGpuMemory();
    // The forward pass above was the warm-up.
    const double step = 1e3 * bestSeconds(reps, cuda, [&] { net->dit->forward(in); });
    if (cuda) {
        std::printf("{\"threads\": %d, \"device\": \"cuda\", \"libtorch\": \"%s\", \"cpp_step_ms\": %.3f, \"cpp_peak_mib\": %.1f}\n",
                    threads, TORCH_VERSION, step, peakGpuMemoryMiB());
        return 0;
    }
    auto x = torch::randn({1024, 1024}), y = torch::randn({1024, 1024});
    torch::mm(x, y);
    const double peakMs = 1e3 * bestSeconds(reps, false, [&] { torch::mm(x, y); });
    const double peak = 2.0 * 1024 * 1024 * 1024 / (peakMs * 1e-3) / 1e9;
    // The network's largest matmuls: the MLP of the video stream, 1024 tokens × 128 → 512 and back.
    auto tokens = torch::randn({T * h * w / 4, cfg.dit.width});
    auto fc1 = torch::randn({cfg.dit.width, cfg.dit.mlp_ratio * cfg.dit.width});
    torch::mm(tokens, fc1);
    const double mlpMs = 1e3 * bestSeconds(reps * 5, false, [&] { torch::mm(tokens, fc1); });
    const double mlp = 2.0 * tokens.size(0) * fc1.size(0) * fc1.size(1) / (mlpMs * 1e-3) / 1e9;
    std::printf("{\"threads\": %d, \"libtorch\": \"%s\", \"cpp_step_ms\": %.3f, \"matmul_peak_gflops\": %.1f, \"mlp_matmul_gflops\": %.1f}\n",
                threads, TORCH_VERSION, step, peak, mlp);
    return 0;
}
