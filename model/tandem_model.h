// Design note: the four networks of one Tandem model under one root module, so parameter names — and
// therefore checkpoint keys — are stable and prefixed by component: text_encoder.*, video_vae.*,
// audio_vae.*, dit.*.
#pragma once

#include "model/audio_vae.h"
#include "model/mmdit.h"
#include "model/text_encoder.h"
#include "model/video_vae.h"

namespace tandem::model {

struct TandemModelImpl : torch::nn::Module {
    explicit TandemModelImpl(const ModelConfig& cfg) {
        textEncoder = register_module("text_encoder", TextEncoder(cfg.text));
        videoVae = register_module("video_vae", VideoVae(cfg.video));
        audioVae = register_module("audio_vae", AudioVae(cfg.audio));
        dit = register_module("dit", DualStreamDiT(cfg));
    }
    TextEncoder textEncoder{nullptr};
    VideoVae videoVae{nullptr};
    AudioVae audioVae{nullptr};
    DualStreamDiT dit{nullptr};
};
TORCH_MODULE(TandemModel);

} // namespace tandem::model
