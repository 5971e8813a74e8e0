// Design note: the models a user has installed, for the editor's *Model* menu and the engine launch.
// Models live in Tandem's data folder, as the XDG base directories place it: $XDG_DATA_HOME/tandem/models
// (default ~/.local/share/tandem/models), then each $XDG_DATA_DIRS entry's tandem/models (default
// /usr/local/share and /usr/share); the demo model installed with the program comes first. Each entry of
// a models folder is one model:
//   - a Tandem model folder (config.json + model.safetensors), or
//   - an LTX-2.3 model: a folder holding the released single file or ComfyUI's split files, and its text
//     encoder (the Gemma 3 folder) as `text_encoder/` inside it.
// Entries that are neither are left out (a half-copied download is not a model). Torch-free: the editor
// reads it.
#pragma once

#include "model/engine.h"

#include <string>
#include <vector>

namespace tandem::model {

struct InstalledModel {
    std::string name; // the folder's name, as the menu shows it
    std::string path; // what --model takes
    bool ltx = false;
};

// The folders searched, in order of preference.
std::vector<std::string> modelSearchDirs();

// The demo model `builtIn` (when not empty), then every model in `dirs`, sorted by name within a folder;
// a name met twice keeps its first (the user's own folder wins over the system's).
std::vector<InstalledModel> installedModels(const std::vector<std::string>& dirs, const std::string& builtIn);

// An LTX-2 model's text encoder: `text_encoder/` inside its folder (beside it, for a single file).
std::string ltxTextEncoderFor(const std::string& modelPath);

// "768x512" → width and height, both positive. False for anything else.
bool parseFrameSize(const std::string& text, int& width, int& height);

// How an installed LTX-2 model's engine makes shots: tandem-engine's defaults, or what the folder's
// optional `tandem.json` says ({"size": "1216x704", "fps": 24, "distilled": true}).
struct LtxDelivery {
    int width = 768, height = 512;
    double fps = 24;
    bool distilled = false;
    bool fromFile = false; // a tandem.json set it
    // The engine options that ask for it: --size WxH --fps F [--distilled]; none for the defaults.
    std::vector<std::string> engineArgs() const;
};
// Throws std::invalid_argument naming the file when its tandem.json is not such an object.
LtxDelivery ltxDeliveryFor(const std::string& modelPath);
inline std::vector<std::string> ltxEngineArgsFor(const std::string& modelPath) {
    return ltxDeliveryFor(modelPath).engineArgs();
}

} // namespace tandem::model
