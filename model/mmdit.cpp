#include "model/mmdit.h"


namespace tandem::model {

StreamWeightsImpl::StreamWeightsImpl(int width, int mlpRatio, int headDim, bool qkNorm) {
    modulation = register_module("modulation", torch::nn::Linear(width, 6 * width));
    qkv = register_module("qkv", torch::nn::Linear(width, 3 * width));
    proj = register_module("proj", torch::nn::Linear(width, width));
    mlp = register_module("mlp", Mlp(width, mlpRatio * width));
    if (qkNorm) {
        qScale = register_parameter("q_norm", torch::ones({headDim}));
        kScale = register_parameter("k_norm", torch::ones({headDim}));
    }
}

namespace {

torch::Tensor rmsNorm(const torch::Tensor& x, const torch::Tensor& gain) {
    return x * torch::rsqrt(x.pow(2).mean(-1, true) + 1e-6) * gain;
}

} // namespace

JointBlockImpl::JointBlockImpl(int width, int heads_, int mlpRatio, bool qkNorm) : heads(heads_) {
    video = register_module("video", StreamWeights(width, mlpRatio, width / heads_, qkNorm));
    audio = register_module("audio", StreamWeights(width, mlpRatio, width / heads_, qkNorm));
    text = register_module("text", StreamWeights(width, mlpRatio, width / heads_, qkNorm));
}

std::vector<torch::Tensor> JointBlockImpl::forward(const std::vector<torch::Tensor>& streams,
                                                   const torch::Tensor& cond, const RopeTables& rope,
                                                   const torch::Tensor& keyMask) {
    StreamWeights weights[3] = {video, audio, text};
    const auto B = cond.size(0), W = cond.size(1), headDim = W / heads;
    std::vector<std::vector<torch::Tensor>> mods(3);
    std::vector<torch::Tensor> qs, ks, vs;
    for (int s = 0; s < 3; ++s) {
        // shift/scale/gate for attention, then for the MLP.
        mods[s] = weights[s]->modulation(torch::silu(cond)).chunk(6, 1);
        auto h = modulate(streams[s], mods[s][0], mods[s][1]);
        const auto N = h.size(1);
        auto qkv = weights[s]->qkv(h).reshape({B, N, 3, heads, headDim}).permute({2, 0, 3, 1, 4});
        const bool normed = weights[s]->qScale.defined();
        qs.push_back(normed ? rmsNorm(qkv[0], weights[s]->qScale) : qkv[0]);
        ks.push_back(normed ? rmsNorm(qkv[1], weights[s]->kScale) : qkv[1]);
        vs.push_back(qkv[2]);
    }
    auto q = applyRope(torch::cat(qs, 2), rope);
    auto k = applyRope(torch::cat(ks, 2), rope);
    auto attended = attention(q, k, torch::cat(vs, 2), keyMask).transpose(1, 2); // [B, N, heads, headDim]
    std::vector<torch::Tensor> out;
    int64_t offset = 0;
    for (int s = 0; s < 3; ++s) {
        const auto N = streams[s].size(1);
        auto a = attended.narrow(1, offset, N).reshape({B, N, W});
        offset += N;
        auto x = streams[s] + mods[s][2].unsqueeze(1) * weights[s]->proj(a);
        x = x + mods[s][5].unsqueeze(1) * weights[s]->mlp(modulate(x, mods[s][3], mods[s][4]));
        out.push_back(x);
    }
    return out;
}

FinalLayerImpl::FinalLayerImpl(int width, int outFeatures) {
    modulation = register_module("modulation", torch::nn::Linear(width, 2 * width));
    out = register_module("out", torch::nn::Linear(width, outFeatures));
}

torch::Tensor FinalLayerImpl::forward(const torch::Tensor& x, const torch::Tensor& cond) {
    auto m = modulation(torch::silu(cond)).chunk(2, 1);
    return out(modulate(x, m[0], m[1]));
}

DualStreamDiTImpl::DualStreamDiTImpl(const ModelConfig& cfg_) : cfg(cfg_) {
    const int W = cfg.dit.width;
    const int p = cfg.video.patch_size;
    const int cv = cfg.video.latent_channels;
    const int ca = cfg.audio.latent_channels;
    videoIn = register_module("video_in", torch::nn::Linear((2 * cv + 1) * p * p, W));
    audioIn = register_module("audio_in", torch::nn::Linear(2 * ca + 1, W));
    textIn = register_module("text_in", torch::nn::Linear(cfg.text.width, W));
    textPool = register_module("text_pool", torch::nn::Linear(cfg.text.width, W));
    timeEmbed = register_module("time_embed", torch::nn::Sequential(torch::nn::Linear(cfg.dit.freq_dim, W),
                                                                    torch::nn::SiLU(), torch::nn::Linear(W, W)));
    blocks = register_module("blocks", torch::nn::ModuleList());
    for (int i = 0; i < cfg.dit.layers; ++i) blocks->push_back(JointBlock(W, cfg.dit.heads, cfg.dit.mlp_ratio, cfg.dit.qk_norm));
    videoOut = register_module("video_out", FinalLayer(W, cv * p * p));
    audioOut = register_module("audio_out", FinalLayer(W, ca));
}

torch::Tensor DualStreamDiTImpl::videoPositions(int64_t T, int64_t h, int64_t w, double startSeconds) const {
    const TimeBase tb = cfg.timeBase();
    const int p = cfg.video.patch_size;
    const int64_t hp = h / p, wp = w / p;
    const double rate = cfg.dit.rope_time_rate;
    std::vector<float> pos;
    pos.reserve(size_t(T * hp * wp * 3));
    for (int64_t t = 0; t < T; ++t)
        for (int64_t y = 0; y < hp; ++y)
            for (int64_t x = 0; x < wp; ++x) {
                pos.push_back(float((startSeconds + tb.secondsOfVideoLatent(t)) * rate));
                pos.push_back(float(y));
                pos.push_back(float(x));
            }
    return torch::from_blob(pos.data(), {T * hp * wp, 3}, torch::kFloat32).clone();
}

torch::Tensor DualStreamDiTImpl::audioPositions(int64_t L, double startSeconds) const {
    const TimeBase tb = cfg.timeBase();
    std::vector<float> pos;
    pos.reserve(size_t(L * 3));
    for (int64_t j = 0; j < L; ++j) {
        pos.push_back(float((startSeconds + tb.secondsOfAudioLatent(j)) * cfg.dit.rope_time_rate));
        pos.push_back(0.f);
        pos.push_back(0.f);
    }
    return torch::from_blob(pos.data(), {L, 3}, torch::kFloat32).clone();
}

torch::Tensor DualStreamDiTImpl::tokenAngles(int64_t T, int64_t h, int64_t w, int64_t L, int64_t Nt) const {
    return referenceAngles(T, h, w, L, Nt, torch::zeros({0, 3}), torch::zeros({0, 3}));
}

torch::Tensor DualStreamDiTImpl::referenceAngles(int64_t T, int64_t h, int64_t w, int64_t L, int64_t Nt,
                                                 const torch::Tensor& videoRefPositions,
                                                 const torch::Tensor& audioRefPositions) const {
    auto positions = torch::cat({videoPositions(T, h, w, 0.0), videoRefPositions.cpu(), audioPositions(L, 0.0),
                                 audioRefPositions.cpu(), torch::zeros({Nt, 3})});
    return ropeAngles(positions, cfg.dit.width / cfg.dit.heads, cfg.dit.rope_theta);
}

torch::Tensor DualStreamDiTImpl::videoReferenceFeatures(const torch::Tensor& latent) const {
    const int p = cfg.video.patch_size;
    const auto T = latent.size(2), h = latent.size(3), w = latent.size(4);
    auto in = torch::cat({latent, latent, torch::zeros({1, 1, T, h, w}, latent.options())}, 1);
    const auto F = in.size(1);
    return in.reshape({1, F, T, h / p, p, w / p, p}).permute({0, 2, 3, 5, 1, 4, 6}).reshape({T * (h / p) * (w / p), F * p * p});
}

torch::Tensor DualStreamDiTImpl::audioReferenceFeatures(const torch::Tensor& latent) const {
    auto in = torch::cat({latent, latent, torch::zeros({1, 1, latent.size(2)}, latent.options())}, 1);
    return in[0].transpose(0, 1);
}

std::pair<torch::Tensor, torch::Tensor> DualStreamDiTImpl::forward(const DitInputs& in) {
    const int p = cfg.video.patch_size;
    const auto B = in.video.size(0), C = in.video.size(1), T = in.video.size(2), h = in.video.size(3),
               w = in.video.size(4);
    const auto hp = h / p, wp = w / p;
    // [B, C, T, h, w] → [B, T·hp·wp, C·p·p]
    auto videoTokens = in.video.reshape({B, C, T, hp, p, wp, p})
                           .permute({0, 2, 3, 5, 1, 4, 6})
                           .reshape({B, T * hp * wp, C * p * p});
    auto audioTokens = in.audio.transpose(1, 2); // [B, L, 2·Ca + 1]
    const auto L = audioTokens.size(1);

    auto validF = in.textValid.to(in.text.dtype()).unsqueeze(-1);
    auto pooled = (in.text * validF).sum(1) / validF.sum(1).clamp_min(1.0);
    auto cond = timeEmbed->forward(timestepEmbedding(in.t, cfg.dit.freq_dim).to(in.text.dtype())) + textPool(pooled);

    const int64_t Nvr = in.videoRefs.defined() ? in.videoRefs.size(1) : 0;
    const int64_t Nar = in.audioRefs.defined() ? in.audioRefs.size(1) : 0;
    if (Nvr) videoTokens = torch::cat({videoTokens, in.videoRefs.to(videoTokens.dtype()).expand({B, -1, -1})}, 1);
    if (Nar) audioTokens = torch::cat({audioTokens, in.audioRefs.to(audioTokens.dtype()).expand({B, -1, -1})}, 1);
    std::vector<torch::Tensor> streams = {videoIn(videoTokens), audioIn(audioTokens), textIn(in.text)};
    auto all = [&](int64_t n) { return torch::ones({B, n}, in.textValid.options()); };
    auto refsValid = [&](const torch::Tensor& valid, int64_t n) { return valid.defined() ? valid.to(in.textValid.device()).expand({B, n}) : all(n); };
    auto keyMask = torch::cat({all(T * hp * wp), refsValid(in.videoRefsValid, Nvr), all(L), refsValid(in.audioRefsValid, Nar), in.textValid}, 1);
    if (keyMask.all().item<bool>()) keyMask = torch::Tensor(); // nothing to mask: skip the masking work
    const RopeTables rope = ropeTables(in.angles, in.text.scalar_type());
    for (const auto& block : *blocks) {
        if (offloadTo) block->to(*offloadTo);
        streams = block->as<JointBlock>()->forward(streams, cond, rope, keyMask);
        if (offloadTo) block->to(torch::kCPU);
    }

    const int cv = cfg.video.latent_channels;
    // Reference tokens were context only: drop them before the output layers.
    auto video = videoOut(streams[0].narrow(1, 0, T * hp * wp), cond)
                     .reshape({B, T, hp, wp, cv, p, p})
                     .permute({0, 4, 1, 2, 5, 3, 6})
                     .reshape({B, cv, T, h, w});
    auto audio = audioOut(streams[1].narrow(1, 0, L), cond).transpose(1, 2);
    return {video, audio};
}

} // namespace tandem::model
