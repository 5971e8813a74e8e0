// Design note: LTX-2 behind Tandem's engine request, so the engine process — and through it the editor —
// runs it the way it runs the demo model. What maps, and how:
//   - prompt, negative prompt, seed and steps as asked (LTX-2.3 dev wants about 30 steps; the distilled
//     checkpoint ignores them and runs its fixed σ);
//   - the length in seconds, rounded to the VAE's 8k + 1 frames at the delivery frame rate;
//   - the delivery size and frame rate are chosen when the engine starts (LTX has no native size:
//     768 × 512 at 24 fps unless told otherwise) and every shot is made at them;
//   - guidance: LTX-2.3's own multi-part guider (CFG, STG, modality isolation, rescale) with its defaults,
//     none for the distilled checkpoint. The request's CFG scales are the demo model's and are not mapped;
//   - sound: 48 kHz stereo folded to the shot's one channel.
// Every task runs as known pictures and sound with a mask per stream (edit_plan.h says how each maps);
// references are refused with the reason, before any work.
// On CUDA the text encoder (24 GB in bf16) is released after each job's prompts are encoded and loaded
// again for the next, so it never sits beside the transformer; on the CPU it stays loaded.
#pragma once

#include "model/engine_server.h"
#include "model/ltx2/edit_plan.h"
#include "model/ltx2/pipeline.h"

namespace tandem::model::ltx2 {

struct LtxEngineOptions {
    std::string model;       // single file or folder of split files
    std::string textEncoder; // Gemma 3 folder
    std::string device = "auto";
    int width = 768, height = 512;
    double fps = 24;
    bool distilled = false;
    bool offload = false; // CUDA: the transformer's blocks stay in host memory, streamed for their turn
};

class LtxServedModel : public ServedModel {
public:
    explicit LtxServedModel(const LtxEngineOptions& options); // throws CheckpointError, std::invalid_argument
    Shot generate(const ShotRequest& request, const ProgressFn& progress) override;
    std::string deviceName() const override { return device_; }
    bool hasTrainedWeights() const override { return true; }
    ModelConfig config() const override; // the delivery geometry every shot is made at
    // The LTX request a Tandem request becomes, and what is kept of its source (throws
    // std::invalid_argument for a request it cannot run).
    LtxEditPlan plan(const ShotRequest& request) const;

private:
    LtxShotRequest baseRequest(const ShotRequest& request) const;
    LtxEngineOptions options_;
    std::string device_;
    bool releaseTextEncoder_ = false;
    std::unique_ptr<LtxTextEncoder> text_;
    LtxModel model_;
};

} // namespace tandem::model::ltx2
