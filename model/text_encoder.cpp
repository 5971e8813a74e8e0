#include "model/text_encoder.h"

namespace tandem::model {

TextBlockImpl::TextBlockImpl(int width, int heads_) : heads(heads_) {
    norm1 = register_module("norm1", torch::nn::LayerNorm(torch::nn::LayerNormOptions({width})));
    norm2 = register_module("norm2", torch::nn::LayerNorm(torch::nn::LayerNormOptions({width})));
    qkv = register_module("qkv", torch::nn::Linear(width, 3 * width));
    proj = register_module("proj", torch::nn::Linear(width, width));
    mlp = register_module("mlp", Mlp(width, 4 * width));
}

torch::Tensor TextBlockImpl::forward(const torch::Tensor& x, const torch::Tensor& valid) {
    const auto B = x.size(0), N = x.size(1), W = x.size(2);
    auto qkvOut = qkv(norm1(x)).reshape({B, N, 3, heads, W / heads}).permute({2, 0, 3, 1, 4});
    auto attended = attention(qkvOut[0], qkvOut[1], qkvOut[2], valid);
    auto h = x + proj(attended.transpose(1, 2).reshape({B, N, W}));
    return h + mlp(norm2(h));
}

TextEncoderImpl::TextEncoderImpl(const TextConfig& cfg) {
    token = register_module("token", torch::nn::Embedding(cfg.vocab_size, cfg.width));
    segment = register_module("segment", torch::nn::Embedding(2, cfg.width));
    position = register_module("position", torch::nn::Embedding(cfg.max_tokens, cfg.width));
    blocks = register_module("blocks", torch::nn::ModuleList());
    for (int i = 0; i < cfg.layers; ++i) blocks->push_back(TextBlock(cfg.width, cfg.heads));
    norm = register_module("norm", torch::nn::LayerNorm(torch::nn::LayerNormOptions({cfg.width})));
}

torch::Tensor TextEncoderImpl::forward(const torch::Tensor& ids, const torch::Tensor& segments,
                                       const torch::Tensor& valid) {
    auto positions = torch::arange(ids.size(1), ids.options());
    auto x = token(ids) + segment(segments) + position(positions).unsqueeze(0);
    // A prompt of nothing but padding would leave every key masked; let it attend to itself instead.
    auto attendable = valid.logical_or(valid.any(1, true).logical_not());
    for (const auto& block : *blocks) x = block->as<TextBlock>()->forward(x, attendable);
    return norm(x);
}

} // namespace tandem::model
