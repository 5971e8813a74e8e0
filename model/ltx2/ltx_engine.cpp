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

ModelConfig LtxServedModel::config() const {
    ModelConfig c;
    const std::string file = options_.model.substr(options_.model.find_last_of('/') + 1);
    c.name = "LTX-2.3 (" + file + ")";
    c.video.width = options_.width;
    c.video.height = options_.height;
    c.video.fps = options_.fps;
    c.audio.sample_rate = 48000;
    return c;
}

LtxServedModel::LtxServedModel(const LtxEngineOptions& o) : options_(o) {
    const auto options = deviceOptions(o.device);
    const bool cuda = options.device().is_cuda();
    device_ = cuda ? "cuda" : "cpu";
    releaseTextEncoder_ = cuda;
    text_ = std::make_unique<LtxTextEncoder>(o.textEncoder, options);
    model_ = LtxModel::load(o.model, options, text_->width(), o.offload);
    // The delivery geometry must fit the model before any job is taken.
    LtxShotRequest probe = baseRequest({});
    probe.frames = model_.videoScale().time + 1;
    checkShotRequest(model_, probe);
}

LtxShotRequest LtxServedModel::baseRequest(const ShotRequest& request) const {
    LtxShotRequest r;
    r.prompt = request.prompt;
    r.negative_prompt = request.negative_prompt;
    r.seed = request.seed;
    r.steps = request.steps;
    r.width = options_.width;
    r.height = options_.height;
    r.fps = options_.fps;
    r.distilled = options_.distilled;
    if (r.distilled) r.video_guider = r.audio_guider = GuiderParams{};
    keepStgBlocksOf(model_, r);
    return r;
}

LtxEditPlan LtxServedModel::plan(const ShotRequest& request) const {
    return planLtxEdit(request, model_, baseRequest(request));
}

Shot LtxServedModel::generate(const ShotRequest& request, const ProgressFn& progress) {
    auto edit = plan(request);
    const auto& r = edit.request;
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
    auto made = decodeLatents(model_, latents, r);
    return finishLtxEdit(std::move(edit), made);
}

} // namespace tandem::model::ltx2
