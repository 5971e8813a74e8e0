#include "model/ltx2/ltx_engine.h"

#include "model/sampler.h"

#include <chrono>
#include <cmath>
#include <stdexcept>

namespace tandem::model::ltx2 {

namespace {

torch::TensorOptions deviceOptions(const std::string& device) {
    if (device != "auto" && device != "cpu" && device != "cuda")
        throw std::invalid_argument("device must be auto, cpu or cuda, not '" + device + "'");
    const bool cuda = device == "cuda" || (device == "auto" && torch::cuda::is_available());
    if (cuda && !torch::cuda::is_available()) throw std::invalid_argument("no CUDA device is available");
    return cuda ? torch::TensorOptions().device(torch::kCUDA).dtype(torch::kBFloat16)
                : torch::TensorOptions();
}

} // namespace

LtxServedModel::LtxServedModel(const LtxEngineOptions& o) : options_(o) {
    const auto options = deviceOptions(o.device);
    const bool cuda = options.device().is_cuda();
    device_ = cuda ? "cuda" : "cpu";
    releaseTextEncoder_ = cuda;
    text_ = std::make_unique<LtxTextEncoder>(o.textEncoder, options);
    model_ = LtxModel::load(o.model, options, text_->width(), o.offload);
    // The delivery geometry must fit the model before any job is taken.
    LtxShotRequest probe;
    probe.width = o.width;
    probe.height = o.height;
    probe.fps = o.fps;
    probe.frames = model_.videoScale().time + 1;
    probe.distilled = o.distilled;
    probe.video_guider.stgBlocks.clear();
    probe.audio_guider.stgBlocks.clear();
    checkShotRequest(model_, probe);
}

LtxShotRequest LtxServedModel::translate(const ShotRequest& request) const {
    if (request.task != Task::Generate && request.task != Task::Image)
        throw std::invalid_argument(
            std::string("LTX-2.3 runs text → shot and image → shot only in Tandem so far; '") +
            taskName(request.task) +
            "' needs the audio encoder and conditioning not yet ported (docs/models.md)");
    if (!request.references.empty())
        throw std::invalid_argument("LTX-2.3 takes no references in Tandem yet; remove them from the shot");
    LtxShotRequest r;
    r.prompt = request.prompt;
    r.negative_prompt = request.negative_prompt;
    r.seed = request.seed;
    r.steps = request.steps;
    r.width = options_.width;
    r.height = options_.height;
    r.fps = options_.fps;
    r.distilled = options_.distilled;
    r.frames = ltxFrameCount(model_, request.seconds, r.fps, /*minSteps=*/1);
    if (r.distilled) r.video_guider = r.audio_guider = GuiderParams{};
    keepStgBlocksOf(model_, r);
    if (request.task == Task::Image) {
        const Shot& s = request.source;
        if (s.frames < 1 || s.width != r.width || s.height != r.height ||
            s.rgb.size() < static_cast<size_t>(s.width) * s.height * 3)
            throw std::invalid_argument("image → shot needs a first frame of " + std::to_string(r.width) +
                                        "×" + std::to_string(r.height) + " (the engine's delivery size)");
        auto bytes =
            torch::from_blob(const_cast<uint8_t*>(s.rgb.data()), {s.height, s.width, 3}, torch::kUInt8);
        r.first_frame = bytes.to(torch::kFloat32).div(255.0);
    }
    checkShotRequest(model_, r);
    return r;
}

Shot LtxServedModel::generate(const ShotRequest& request, const ProgressFn& progress) {
    const auto r = translate(request);
    const auto contexts = encodePrompts(model_, *text_, r);
    if (releaseTextEncoder_) text_->release();
    const auto started = std::chrono::steady_clock::now();
    const auto latents = sampleLatents(model_, contexts, r, [&](int step, int steps) {
        if (!progress) return;
        StepProgress p;
        p.step = step;
        p.total = steps;
        p.elapsed_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
        p.eta_seconds = step > 0 ? p.elapsed_seconds / step * (steps - step) : 0;
        if (!progress(p)) throw Cancelled();
    });
    return toShot(decodeLatents(model_, latents, r));
}

} // namespace tandem::model::ltx2
