// Design note: what a model folder holds and how its small files are read — config.json (every size) and
// tokenizer.json (checked against the config) beside model.safetensors. Torch-free, so the engine and its
// clients (which conform media to the model's sizes and hint at unknown prompt words) read them one way.
#pragma once

#include "model/config.h"
#include "model/safetensors.h"
#include "model/tokenizer.h"

#include <string>

namespace tandem::model {

inline constexpr const char* kConfigFile = "config.json";
inline constexpr const char* kWeightsFile = "model.safetensors";
inline constexpr const char* kTokenizerFile = "tokenizer.json";

ModelConfig readConfigFile(const std::string& path); // throws CheckpointError naming the file
// Reads tokenizer.json and checks it against the config's text.max_tokens. Throws CheckpointError.
Tokenizer readTokenizerFile(const std::string& path, const ModelConfig& config);

// The tokenizer a model of this config has when none was trained with it: bytes, or words with an empty
// vocabulary (every scene word unknown).
Tokenizer plainTokenizer(const ModelConfig& config);

struct ModelFolder {
    ModelConfig config;
    Tokenizer tokenizer{0};
};
// config.json and tokenizer.json of `dir`; throws CheckpointError ("DIR: not a model folder", or naming the file).
ModelFolder readModelFolder(const std::string& dir);

} // namespace tandem::model

namespace tandem::model {

// Whether `path` names an LTX-2 model rather than a Tandem model folder: a .safetensors file (the released
// single file), or a folder of .safetensors files without a config.json (ComfyUI's split files).
bool isLtxModelPath(const std::string& path);

// The model used when none is named: the demo model installed beside the program (PREFIX/share/tandem/
// models/demo for PREFIX/bin/PROGRAM), else the one in the source tree this program was built from.
// Empty when neither holds a config.json.
std::string defaultModelDir(const std::string& programDir);

} // namespace tandem::model
