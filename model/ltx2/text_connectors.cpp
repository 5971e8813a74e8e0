#include "model/ltx2/text_connectors.h"

#include "model/checkpoint.h"

#include <cmath>

namespace tandem::model::ltx2 {

namespace {

constexpr double kNormEps = 1e-6;

torch::Tensor rmsNorm(const torch::Tensor& x) {
    return ltx2::rmsNorm(x, kNormEps);
}

const char* kProjection = "text_embedding_projection.";
const char* kConnectors = "model.diffusion_model.";

} // namespace

TextProjectionImpl::TextProjectionImpl(int encoderWidth_, int encoderLayers, int videoWidth, int audioWidth,
                                       const torch::TensorOptions& options)
    : encoderWidth(encoderWidth_) {
    const int flat = encoderWidth * encoderLayers;
    video_aggregate_embed = register_module("video_aggregate_embed", Linear(flat, videoWidth, true, options));
    audio_aggregate_embed = register_module("audio_aggregate_embed", Linear(flat, audioWidth, true, options));
}

std::pair<torch::Tensor, torch::Tensor> TextProjectionImpl::forward(const torch::Tensor& hidden,
                                                                    const torch::Tensor& mask) {
    const int64_t b = hidden.size(0), t = hidden.size(1);
    // Each layer's hidden state of each token, RMS-normed over the encoder width; padding zeroed.
    auto normed = hidden * torch::rsqrt(hidden.pow(2).mean(2, true) + kNormEps);
    normed = normed.reshape({b, t, -1});
    normed = torch::where(mask.to(torch::kBool).unsqueeze(-1), normed, torch::zeros_like(normed))
                 .to(hidden.dtype());
    auto project = [&](Linear& embed) {
        const double scale = std::sqrt(static_cast<double>(embed->weight.size(0)) / encoderWidth);
        return embed->forward(normed * scale);
    };
    return {project(video_aggregate_embed), project(audio_aggregate_embed)};
}

ConnectorImpl::ConnectorImpl(int heads_, int headDim, int layers, int registers, const ConnectorConfig& c,
                             const torch::TensorOptions& options)
    : config(c), heads(heads_) {
    const int width = heads * headDim;
    transformer_1d_blocks = register_module("transformer_1d_blocks", torch::nn::ModuleList());
    for (int i = 0; i < layers; ++i) {
        auto block = std::make_shared<torch::nn::Module>();
        auto attention = block->register_module(
            "attn1", Attention(width, width, heads, headDim, kNormEps, c.gated_attention, options));
        auto ff = block->register_module("ff", FeedForward(width, c.ff_bias, options));
        transformer_1d_blocks->push_back(block);
        blocks.emplace_back(attention, ff);
    }
    learnable_registers =
        register_parameter("learnable_registers", torch::empty({registers, width}, options), false);
}

torch::Tensor ConnectorImpl::forward(const torch::Tensor& features, const torch::Tensor& valid) {
    const int64_t b = features.size(0), s = features.size(1), registers = learnable_registers.size(0);
    if (s % registers != 0)
        throw std::invalid_argument("the prompt length (" + std::to_string(s) +
                                    " tokens) is not a multiple of the " + std::to_string(registers) +
                                    " learnable registers");
    // Padding becomes the registers (position p gets register p mod count), so every position attends.
    auto tiled = learnable_registers.repeat({s / registers, 1})
                     .to(features.scalar_type())
                     .unsqueeze(0)
                     .expand({b, -1, -1});
    auto keep = valid.to(features.scalar_type()).unsqueeze(-1);
    auto x = keep * features + (1 - keep) * tiled;

    // RoPE at each token's index (a zero-length span: its middle is the index itself).
    auto index = torch::arange(s, torch::dtype(torch::kFloat32).device(features.device()));
    auto positions = torch::stack({index, index}, -1).view({1, 1, s, 2}).expand({b, 1, s, 2});
    auto rope = ropeTable(positions, static_cast<int>(features.size(2)), heads, {config.max_pos},
                          config.rope_theta, config.rope_double_precision, features.scalar_type());
    for (auto& [attention, ff] : blocks) {
        auto normed = rmsNorm(x);
        x = x + attention->forward(normed, normed, {}, &rope, nullptr, {}, false);
        x = x + ff->forward(rmsNorm(x));
    }
    return rmsNorm(x);
}

TextConnectorsImpl::TextConnectorsImpl(const ConnectorConfig& c, int encoderLayers, int videoWidth,
                                       int audioWidth, const torch::TensorOptions& options)
    : config(c) {
    projection = register_module(
        "projection", TextProjection(c.encoder_width, encoderLayers, videoWidth, audioWidth, options));
    video = register_module("video", Connector(c.heads, c.head_dim, c.layers, c.registers, c, options));
    audio = register_module(
        "audio", Connector(c.audio_heads, c.audio_head_dim, c.audio_layers, c.registers, c, options));
}

TextContexts TextConnectorsImpl::forward(const torch::Tensor& hidden, const torch::Tensor& mask) {
    auto [videoFeatures, audioFeatures] = projection->forward(hidden, mask);
    // Prompt tokens first, in their order; padding after (a stable sort of the mask, descending).
    auto valid = (mask > 0.5).to(torch::kInt32);
    auto order = std::get<1>(valid.sort(/*stable=*/true, /*dim=*/-1, /*descending=*/true));
    auto reorder = [&](const torch::Tensor& f) { return f.gather(1, order.unsqueeze(-1).expand_as(f)); };
    auto sortedValid = valid.gather(1, order);
    return {video->forward(reorder(videoFeatures), sortedValid),
            audio->forward(reorder(audioFeatures), sortedValid)};
}

TextConnectors loadTextConnectors(const SafetensorsFile& file, const torch::TensorOptions& options) {
    return loadTextConnectors(file, kProjection, file, kConnectors, checkpointHeader(file), options);
}

TextConnectors loadTextConnectors(const SafetensorsFile& projectionFile, const std::string& projectionPrefix,
                                  const SafetensorsFile& connectorFile, const std::string& connectorPrefix,
                                  const std::string& configJson, const torch::TensorOptions& options) {
    auto config = parseConnectorConfig(configJson, projectionFile.path());
    const auto& pf = projectionFile;
    const auto videoName = projectionPrefix + "video_aggregate_embed.weight";
    const auto audioName = projectionPrefix + "audio_aggregate_embed.weight";
    if (!pf.tensors().count(videoName) || !pf.tensors().count(audioName))
        throw CheckpointError(pf.path() + ": no text projection ('" + videoName + "')");
    const auto& videoShape = pf.at(videoName).shape;
    const auto& audioShape = pf.at(audioName).shape;
    if (videoShape.size() != 2 || audioShape.size() != 2 || videoShape[1] % config.encoder_width != 0)
        throw CheckpointError(pf.path() +
                              ": the text projection's shape does not fit the header's caption_channels");
    const int layers = static_cast<int>(videoShape[1] / config.encoder_width);
    const int videoWidth = static_cast<int>(videoShape[0]), audioWidth = static_cast<int>(audioShape[0]);
    const auto videoConnector = connectorPrefix + "video_embeddings_connector.";
    const auto audioConnector = connectorPrefix + "audio_embeddings_connector.";
    const auto registersName = videoConnector + "learnable_registers";
    if (connectorFile.tensors().count(registersName))
        config.registers = static_cast<int>(connectorFile.at(registersName).shape.at(0));

    TextConnectors model(config, layers, videoWidth, audioWidth, options);
    loadWeights(*model->projection, pf, projectionPrefix);
    loadWeights(*model->video, connectorFile, videoConnector);
    loadWeights(*model->audio, connectorFile, audioConnector);
    model->eval();
    return model;
}

} // namespace tandem::model::ltx2
