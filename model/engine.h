// Design note: the engine's public face. It hides LibTorch behind plain C++ types (this header includes
// no torch), so the programs that drive it compile quickly and a UI-side client never needs torch.
// An Engine owns one model (config + the four networks) on one device and turns a request into a Shot:
// frames as RGB bytes and a mono waveform at the model's own sizes and rates.
#pragma once

#include "model/config.h"
#include "model/tokenizer.h"

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace tandem::model {

// Every editing task is inpainting: the request names a task, gives the source media at the model's size,
// rate and frame rate, and the engine derives per-modality masks (1 = generate, 0 = keep) and known latents.
enum class Task { Generate, Image, Inpaint, Retake, Extend, Restyle, Foley, Dub };
const char* taskName(Task t);
bool parseTask(const std::string& name, Task& out);

enum class Solver { Euler, Heun };

// Latents kept with a shot so extension can continue from them without decoding and re-encoding pixels.
struct LatentBlock {
    std::vector<int64_t> shape; // video [C, T, h, w]; audio [C, L]
    std::vector<float> data;
    bool empty() const { return data.empty(); }
};

struct Shot {
    int width = 0;
    int height = 0;
    double fps = 0;
    int64_t frames = 0;
    std::vector<uint8_t> rgb; // frames × height × width × 3, row-major
    int sample_rate = 0;
    std::vector<float> audio; // mono, in [-1, 1]
    LatentBlock video_latent, audio_latent; // filled by the engine; optional on input
    double seconds() const { return fps > 0 ? frames / fps : 0; }
};

struct ShotRequest {
    Task task = Task::Generate;
    std::string prompt;
    std::string negative_prompt;
    double seconds = 4.0; // generate, image, foley/dub without source: shot length; extend: seconds to add
    uint64_t seed = 0;
    int steps = 20;
    double shift = 3.0;
    Solver solver = Solver::Euler;
    // Classifier-free guidance, separately per modality (1 = off, which saves the unconditional pass), and the
    // noise level below which steps skip it. Unset: the model's own defaults (its config's "sampler").
    std::optional<double> video_guidance;
    std::optional<double> audio_guidance;
    std::optional<double> guidance_noise_floor;

    Shot source; // the shot being edited (image: frame 0 is the first frame), at the model's geometry
    // inpaint: frames × height × width bytes, non-zero = repaint; frames outside [first, last] are kept.
    std::vector<uint8_t> paint_mask;
    int64_t mask_first_frame = 0, mask_last_frame = -1; // -1 = to the end
    double window_start = 0, window_end = 0;            // retake, seconds
    bool regenerate_video = true, regenerate_audio = true; // retake; inpaint uses regenerate_audio
    bool backward = false;                              // extend before the source instead of after it
    double context_seconds = 2.0;                       // extend: how much of the source conditions the new part
    double strength = 0.6;                              // restyle: 0 = keep, 1 = from pure noise

    // References from the bins (a character's picture, a style clip, a voice): each a still, a clip and/or
    // a sound at the model's geometry. They condition the shot through attention and are never generated;
    // each is limited to kMaxReferenceSeconds.
    std::vector<Shot> references;
};
inline constexpr double kMaxReferenceSeconds = 4.0;

// The request's guidance, each setting it leaves unset taken from the model's defaults for its task.
GuidanceConfig resolvedGuidance(const ShotRequest& request, const SamplerConfig& defaults);

// Back-compat name for plain text-to-shot requests.
using GenerateRequest = ShotRequest;

struct StepProgress {
    int step = 0;
    int total = 0;
    double elapsed_seconds = 0;
    double eta_seconds = 0;
};
// Returning false cancels the job (generate() then throws tandem::model::Cancelled).
using ProgressFn = std::function<bool(const StepProgress&)>;

struct EngineOptions {
    std::string device = "auto"; // auto | cpu | cuda
    int threads = 0;             // CPU threads; 0 = all cores
    // CUDA only: keep the transformer blocks in CPU memory and move each to the GPU just for its turn, so a
    // model larger than a small GPU's memory still runs (slower).
    bool offload = false;
    // CPU decoding precision: "auto" follows the model's sampler.cpu_precision on a CPU with bf16 units
    // (AVX-512 BF16 or AMX; elsewhere LibTorch emulates bf16 more slowly than fp32, so fp32 it is); "fp32"
    // and "bf16" force one (benchmarks and tests compare the two side by side).
    std::string cpu_precision = "auto";
};

class Engine {
public:
    // A model with freshly initialised (untrained) weights drawn from `weightSeed`: its output is noise.
    static std::unique_ptr<Engine> createUntrained(const ModelConfig& config, const EngineOptions& options,
                                                   uint64_t weightSeed = 0);
    // Loads a checkpoint folder (config.json + model.safetensors). Throws CheckpointError naming the file.
    static std::unique_ptr<Engine> load(const std::string& dir, const EngineOptions& options);
    ~Engine();

    // Writes the current weights as a checkpoint folder.
    void save(const std::string& dir) const;

    const ModelConfig& config() const;
    std::string deviceName() const;
    bool hasTrainedWeights() const;
    const Tokenizer& tokenizer() const; // knows which prompt words the model was trained on

    // Runs any task. Kept pixels and samples are copied from the source bit for bit.
    // Throws std::invalid_argument for a request that does not fit the task, Cancelled when cancelled.
    Shot generate(const ShotRequest& request, const ProgressFn& progress = {});

    // The shot through the model's autoencoders alone (encode, decode): what the VAEs keep of a picture and
    // a sound — the ceiling of anything the transformer can make. Frames must be a multiple of the temporal
    // compression; the source must be at the model's geometry.
    Shot reconstruct(const Shot& source);

    struct Impl;

private:
    explicit Engine(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> impl_;
};

} // namespace tandem::model
