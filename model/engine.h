// Design note: the engine's public face. It hides LibTorch behind plain C++ types (this header includes
// no torch), so the programs that drive it compile quickly and a UI-side client never needs torch.
// An Engine owns one model (config + the four networks) on one device and turns a request into a Shot:
// frames as RGB bytes and a mono waveform at the model's own sizes and rates.
#pragma once

#include "model/config.h"

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace tandem::model {

struct GenerateRequest {
    std::string prompt;
    std::string negative_prompt;
    double seconds = 4.0;
    uint64_t seed = 0;
    int steps = 20;
    double shift = 3.0;
    // Classifier-free guidance, separately per modality (1 = off, which saves the unconditional pass).
    double video_guidance = 1.0;
    double audio_guidance = 1.0;
};

struct Shot {
    int width = 0;
    int height = 0;
    double fps = 0;
    int64_t frames = 0;
    std::vector<uint8_t> rgb; // frames × height × width × 3, row-major
    int sample_rate = 0;
    std::vector<float> audio; // mono, in [-1, 1]
};

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

    Shot generate(const GenerateRequest& request, const ProgressFn& progress = {});

    struct Impl;

private:
    explicit Engine(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> impl_;
};

} // namespace tandem::model
