// Design note: a checkpoint is a folder — config.json (sizes), model.safetensors (weights). Loading is
// strict: every parameter of the network must be in the file with the right shape, and every tensor in the
// file must belong to the network; otherwise the error lists what is missing, unexpected or mis-shaped,
// naming the file. Weights stored as F16/BF16 are converted to the parameter's dtype on load.
#pragma once

#include "model/model_folder.h"

#include <torch/torch.h>

#include <string>
#include <vector>

namespace tandem::model {

// Copies every parameter and buffer of `module` from `file`, strictly (see above). Throws CheckpointError.
// With a prefix, the module's names are looked up as prefix + name, and only the file's tensors under that
// prefix must belong to the module (a single file holding several components loads one at a time), except
// those under one of the `elsewhere` prefixes (components that share the prefix but load separately).
void loadWeights(torch::nn::Module& module, const SafetensorsFile& file, const std::string& prefix = "",
                 const std::vector<std::string>& elsewhere = {});
// The same over a model sharded into several files (each tensor in one of them).
void loadWeights(torch::nn::Module& module, const std::vector<const SafetensorsFile*>& files,
                 const std::string& prefix = "", const std::vector<std::string>& elsewhere = {});

// One tensor of `file`, copied out of the mapping in its stored dtype. Throws CheckpointError naming it.
torch::Tensor readTensor(const SafetensorsFile& file, const std::string& name);

// A tensor a file stores as 8-bit floats, kept as its bytes (uint8, its shape) with the 256 values they
// stand for (fp32) and the scale of its "…_scale" sibling (1 without one): decoded where it is used,
// table[bytes] · scale, so it takes a byte a weight until then. `bytes` is undefined when the file stores
// the tensor otherwise.
struct Fp8Tensor {
    torch::Tensor bytes, table;
    float scale = 1.0f;
    torch::Tensor decode() const; // fp32, on the bytes' device
};
Fp8Tensor readFp8(const SafetensorsFile& file, const std::string& name);

// Writes `config`, the parameters and buffers of `module` and the tokenizer (a plain byte tokenizer of the
// config's length when none is given) as a checkpoint folder (created if needed); `storeAs` is F32, F16 or
// BF16.
void saveCheckpoint(const std::string& dir, const ModelConfig& config, torch::nn::Module& module,
                    DType storeAs = DType::F32, const Tokenizer* tokenizer = nullptr);

} // namespace tandem::model
