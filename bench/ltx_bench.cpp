// LTX-2.3 speed and memory on this machine: the audio-video transformer at the released 22 B size with
// random weights (the same FLOPs as the real model), one guided denoising step — the four passes LTX-2.3's
// guider runs (prompt, negative prompt, STG, modality isolation) as one batch — and the step of the
// distilled model (one pass), at 768 × 512 × 121 frames with its 5 s of sound and a 1024-token prompt.
// With a CUDA LibTorch it reports the GPU memory each needed, resident and with the blocks streamed from
// host memory (--offload), and can cap the allocator (--cap-gib 24) to show what fits a 24 GB card.
// On the CPU it runs too, for a check of the program with fewer blocks (--layers 2).
// Usage: tandem-bench-ltx [--device cpu|cuda] [--layers N] [--size WxH] [--frames F] [--offload]
//                         [--cap-gib G] [--reps N] [--threads N]
#include "bench/torch_bench.h"
#include "model/installed_models.h"
#include "model/ltx2/block_streaming.h"
#include "model/ltx2/config.h"
#include "model/ltx2/model_files.h"
#include "model/ltx2/positions.h"
#include "model/ltx2/sampler.h"
#include "model/ltx2/transformer.h"

#include <torch/torch.h>

#ifdef TANDEM_TORCH_CUDA
#include <cuda_runtime_api.h>
#endif

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <string>

using namespace tandem::model::ltx2;

namespace {

struct Options {
    std::string device = "auto";
    int layers = 48, width = 768, height = 512, frames = 121, reps = 3, threads = 0;
    bool offload = false;
    double capGib = 0;
};

Options parse(int argc, char** argv) {
    Options o;
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        if (a == "--offload") {
            o.offload = true;
            continue;
        }
        if (i + 1 >= argc) {
            std::fprintf(stderr, "tandem-bench-ltx: %s needs a value\n", a.c_str());
            std::exit(2);
        }
        const char* v = argv[++i];
        if (a == "--device")
            o.device = v;
        else if (a == "--layers")
            o.layers = std::atoi(v);
        else if (a == "--frames")
            o.frames = std::atoi(v);
        else if (a == "--reps")
            o.reps = std::atoi(v);
        else if (a == "--threads")
            o.threads = std::atoi(v);
        else if (a == "--cap-gib")
            o.capGib = std::atof(v);
        else if (a != "--size" || !tandem::model::parseFrameSize(v, o.width, o.height)) {
            std::fprintf(stderr, "tandem-bench-ltx: unknown option or value %s %s\n", a.c_str(), v);
            std::exit(2);
        }
    }
    return o;
}

} // namespace

int main(int argc, char** argv) {
    const Options o = parse(argc, argv);
    if (o.threads > 0) torch::set_num_threads(o.threads);
    const bool cuda = o.device == "cuda" || (o.device == "auto" && torch::cuda::is_available());
    const torch::Device device = cuda ? torch::kCUDA : torch::kCPU;
    const auto dtype = cuda ? torch::kBFloat16 : torch::kFloat32;
#ifdef TANDEM_TORCH_CUDA
    // A 24 GB card, on a larger one: the caching allocator refuses to hold more than that share.
    if (cuda && o.capGib > 0) {
        size_t freeBytes = 0, totalBytes = 0;
        cudaMemGetInfo(&freeBytes, &totalBytes);
        if (totalBytes > 0)
            c10::cuda::CUDACachingAllocator::setMemoryFraction(
                std::min(1.0, o.capGib * double(1 << 30) / double(totalBytes)), 0);
        std::printf("GPU memory capped at %.0f GiB\n", o.capGib);
    }
#endif
    torch::NoGradGuard noGrad;

    // The released transformer, its depth optionally cut (a CPU check of this program).
    auto header = ltx23TransformerHeader();
    header["num_layers"] = o.layers;
    const TransformerConfig c =
        parseTransformerConfig(nlohmann::json{{"transformer", header}}.dump(), "LTX-2.3");
    resetPeakGpuMemory();
    AvTransformer model(c, torch::TensorOptions().dtype(dtype).device(o.offload ? torch::kCPU : device));
    for (auto& p : model->parameters())
        p.normal_(0.0, 0.02);
    model->eval();
    if (o.offload) streamBlocks(model, device);
    int64_t parameters = 0;
    for (const auto& p : model->parameters())
        parameters += p.numel();
    const double weightsMiB = peakGpuMemoryMiB();

    // The shot: 8k + 1 frames on the 32× grid, 25 audio latents a second, a 1024-token prompt.
    const int64_t f = (o.frames - 1) / 8 + 1, h = o.height / 32, w = o.width / 32;
    const int64_t audioFrames = std::llround(o.frames / 24.0 * 25.0), promptTokens = 1024;
    const auto opt = torch::TensorOptions().device(device);
    auto stream = [&](int64_t batch, int64_t tokens, int64_t channels, const torch::Tensor& positions,
                      int64_t width) {
        StreamInput s;
        s.latent = torch::randn({batch, tokens, channels}, opt).to(dtype);
        s.timesteps = torch::full({batch, tokens}, 0.7, opt);
        s.sigma = torch::full({batch}, 0.7, opt);
        s.positions = positions.expand({batch, -1, -1, -1}).to(device);
        s.context = torch::randn({batch, promptTokens, width}, opt).to(dtype);
        s.contextMask = torch::ones({batch, promptTokens}, opt);
        return s;
    };
    const auto vpos = videoPositions(1, f, h, w, 24.0, {8, 32, 32});
    const auto apos = audioPositions(1, audioFrames);
    std::printf(
        "LTX-2.3 transformer: %d blocks, %.2f B parameters, %s %s%s; shot %dx%d, %d frames: %lld video + "
        "%lld audio tokens, %lld prompt tokens\n",
        c.layers, parameters / 1e9, cuda ? "cuda" : "cpu", cuda ? "bf16" : "fp32",
        o.offload ? ", blocks streamed from host memory" : "", o.width, o.height, o.frames,
        static_cast<long long>(f * h * w), static_cast<long long>(audioFrames),
        static_cast<long long>(promptTokens));
    if (weightsMiB >= 0) std::printf("  GPU memory after loading: %.0f MiB\n", weightsMiB);

    for (const int batch : {1, 4}) {
        auto video = stream(batch, f * h * w, c.in_channels, vpos, c.cross_attention_dim);
        auto audio = stream(batch, audioFrames, c.audio_in_channels, apos, c.audio_cross_attention_dim);
        resetPeakGpuMemory();
        model->forward(video, audio); // warm-up: allocation and kernel selection
        const double s = bestSeconds(o.reps, cuda, [&] { model->forward(video, audio); });
        const double peak = peakGpuMemoryMiB();
        std::printf("  %s: %.3f s%s",
                    batch == 1 ? "distilled step (1 pass)" : "guided step (4 passes, one batch)", s,
                    peak >= 0 ? "" : "\n");
        if (peak >= 0) std::printf(", peak GPU memory %.0f MiB\n", peak);
    }
    if (o.capGib > 0 && !cuda) std::printf("  --cap-gib applies to a GPU only\n");
    return 0;
}
