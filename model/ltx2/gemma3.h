// Design note: Gemma 3, LTX-2's text encoder (the 12B: 48 layers, 3840 wide, 16 query heads sharing 8
// key/value heads of 256). LTX-2 does not use its words, only its hidden states: every layer's, which
// the text connectors (text_connectors.h) turn into each stream's context. So this is the decoder stack
// without a head: scaled embeddings, then per layer a sandwich-normed attention (RMS-normed queries and
// keys, RoPE, grouped key/value heads; five of every six layers attend only within a sliding window and
// use a shorter RoPE base) and a sandwich-normed tanh-GELU gated MLP; a final norm. Gemma's RMSNorm
// scales by (1 + w) and runs in fp32 whatever the weights' dtype.
// Prompts are tokenized as LTX-2 does (gemma_tokenizer.h): a BOS, no EOS, left-padded to a fixed length.
// Positions count over the padded sequence (0 … L − 1) and padding is masked out of every key, exactly as
// the Hugging Face implementation LTX-2 runs; the hidden states returned are that implementation's
// `output_hidden_states`: the embeddings, each layer's output but the last, and the final-normed last.
// Weights load from the folder Hugging Face ships (config.json, sharded safetensors with
// model.safetensors.index.json, tokenizer.model); the vision tower in those files is left unread.
#pragma once

#include "model/safetensors.h"

#include <torch/torch.h>

#include <memory>
#include <string>
#include <vector>

namespace tandem::model::ltx2 {

struct Gemma3Config {
    // Hugging Face's Gemma3TextConfig defaults, which the released 12B config.json relies on.
    int vocab_size = 262208;
    int hidden = 2304, intermediate = 9216, layers = 26;
    int heads = 8, kv_heads = 4, head_dim = 256;
    double eps = 1e-6;
    double query_pre_attn_scalar = 256;
    double rope_theta = 1e6, rope_local_theta = 1e4;
    double rope_factor = 1.0; // linear RoPE scaling of the global layers (the 12B: 8)
    int sliding_window = 4096;
    std::vector<bool> sliding; // per layer: attends within the window (else globally)

    int states() const { return layers + 1; }
};

// Reads a Gemma 3 config.json (the multimodal one with "text_config", or a text-only one). Refuses by name
// what this port does not implement (other model types, logit soft-capping, attention biases,
// bidirectional attention, RoPE types beyond default/linear). Throws CheckpointError.
Gemma3Config parseGemma3Config(const std::string& configJson, const std::string& where);

struct Gemma3LayerImpl;

struct Gemma3Impl : torch::nn::Module {
    Gemma3Impl(const Gemma3Config& c, const torch::TensorOptions& options = {});
    // ids [B, L] (int64), mask [B, L] (1 = prompt token, 0 = padding) → config.states() hidden states
    // [B, L, hidden] in the weights' dtype. Rows of padding hold finite values of no meaning.
    std::vector<torch::Tensor> forward(const torch::Tensor& ids, const torch::Tensor& mask);

    Gemma3Config config;
    torch::Tensor embed_tokens, norm;
    std::vector<std::shared_ptr<Gemma3LayerImpl>> blocks;
};
TORCH_MODULE(Gemma3);

// A Gemma 3 folder as Hugging Face ships it, opened: its config and its weight files (mapped, not read).
struct Gemma3Folder {
    std::string dir;
    Gemma3Config config;
    std::string prefix; // where the text model's tensors sit: "language_model.model.",
                        // "model.language_model.", "model."
    std::vector<std::unique_ptr<SafetensorsFile>> shards;

    // Throws CheckpointError naming the file that is missing, unreadable or inconsistent.
    static Gemma3Folder open(const std::string& dir);
};

// The text model of `dir`, its weights loaded strictly into tensors made with `options`.
Gemma3 loadGemma3(const Gemma3Folder& folder, const torch::TensorOptions& options = {});

} // namespace tandem::model::ltx2
