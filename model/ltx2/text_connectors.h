// Design note: LTX-2.3's text path between the text encoder (Gemma 3, every hidden state) and the
// transformer's cross-attention. Each token's hidden states are RMS-normed per layer and concatenated;
// one projection per stream scales them to that stream's width (×√(width / encoder width)); the prompt
// is moved to the front (Gemma pads on the left, the connectors expect padding last); padding is
// replaced by learnable registers, so every one of the S positions carries something and no mask is
// needed downstream; then a small pre-norm transformer per stream (gated self-attention with RoPE over
// the token index, tanh-GELU feed-forward) and a final RMS norm give the video and audio contexts.
// Module names are the upstream ones under "text_embedding_projection." and
// "model.diffusion_model.{video,audio}_embeddings_connector.".
#pragma once

#include "model/ltx2/config.h"
#include "model/ltx2/transformer.h"

namespace tandem::model::ltx2 {

// The per-stream projection of the encoder's hidden states ("text_embedding_projection.").
struct TextProjectionImpl : torch::nn::Module {
    TextProjectionImpl(int encoderWidth, int encoderLayers, int videoWidth, int audioWidth,
                       const torch::TensorOptions& options);
    // hidden: [B, T, encoder width, layers]; mask: [B, T] (1 = prompt token) → video and audio features.
    std::pair<torch::Tensor, torch::Tensor> forward(const torch::Tensor& hidden, const torch::Tensor& mask);
    int encoderWidth;
    Linear video_aggregate_embed{nullptr}, audio_aggregate_embed{nullptr};
};
TORCH_MODULE(TextProjection);

// One stream's connector ("…_embeddings_connector.").
struct ConnectorImpl : torch::nn::Module {
    ConnectorImpl(int heads, int headDim, int layers, int registers, const ConnectorConfig& c,
                  const torch::TensorOptions& options);
    // features: [B, S, width] with the prompt first; valid: [B, S] (1 = prompt token).
    torch::Tensor forward(const torch::Tensor& features, const torch::Tensor& valid);
    ConnectorConfig config;
    int heads;
    torch::nn::ModuleList transformer_1d_blocks;
    std::vector<std::pair<Attention, FeedForward>> blocks;
    torch::Tensor learnable_registers; // [registers, width]
};
TORCH_MODULE(Connector);

struct TextContexts {
    torch::Tensor video, audio; // [B, S, video width], [B, S, audio width]
};

struct TextConnectorsImpl : torch::nn::Module {
    TextConnectorsImpl(const ConnectorConfig& c, int encoderLayers, int videoWidth, int audioWidth,
                       const torch::TensorOptions& options = {});
    // hidden: [B, S, encoder width, layers] (every hidden state of the encoder, embeddings first);
    // mask: [B, S], 1 = prompt token, padding anywhere (Gemma pads on the left).
    TextContexts forward(const torch::Tensor& hidden, const torch::Tensor& mask);
    ConnectorConfig config;
    TextProjection projection{nullptr};
    Connector video{nullptr}, audio{nullptr};
};
TORCH_MODULE(TextConnectors);

// Builds the connectors a checkpoint describes (its header; encoder layer count and widths from the
// projection's shapes) and loads them strictly. Throws CheckpointError.
TextConnectors loadTextConnectors(const SafetensorsFile& file, const torch::TensorOptions& options = {});
// The same from parts that may sit in different files (a split layout): the projection under
// `projectionPrefix` ("text_embedding_projection."), the connectors under `connectorPrefix`
// ("model.diffusion_model.") + "{video,audio}_embeddings_connector.", the header given.
TextConnectors loadTextConnectors(const SafetensorsFile& projectionFile, const std::string& projectionPrefix,
                                  const SafetensorsFile& connectorFile, const std::string& connectorPrefix,
                                  const std::string& configJson, const torch::TensorOptions& options = {});

} // namespace tandem::model::ltx2
