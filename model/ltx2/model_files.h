// Design note: where the parts of an LTX-2 model are. Users hold one of two layouts:
//  - the released single file (ltx-2.3-22b-dev.safetensors, …-distilled…): every part under its prefix
//    ("model.diffusion_model.", "text_embedding_projection.", "vae.", "audio_vae.", "vocoder."), the
//    architecture as JSON in the safetensors metadata ("config");
//  - ComfyUI's split files, put in one folder: the diffusion model (with or without the text
//    connectors), the text projection, the video VAE, the audio VAE (with or without the vocoder),
//    names bare or prefixed, the header kept in some files and not in others.
// Each part is recognised by its tensors, never by a file name: the transformer by its patchify
// projections, the connectors by their registers, the projection by its aggregate embeddings, the video
// and audio VAEs by their first decoder convolution (3-D vs 2-D), the vocoder by its generator's first
// convolution. A part found in two places, or in none, is refused by name.
// Each part's header comes from any file that carries that section (files that disagree are refused).
// A transformer header no file carries is recognised from the tensors when they have LTX-2.3's
// signature — attention gates (whose rows give the head counts), cross-attention AdaLN, prompt AdaLN —
// widths and depths read from the shapes, every other setting the released 2.3 file's. A video VAE header
// no file carries is LTX-2.3's, and the strict load then proves the tensors are that VAE's. The audio VAE
// and the vocoder need their header.
#pragma once

#include "model/safetensors.h"

#include <nlohmann/json.hpp>

#include <memory>
#include <string>
#include <vector>

namespace tandem::model::ltx2 {

// One part of a model: the file that holds it and the prefix of its names there.
struct LtxPart {
    const SafetensorsFile* file = nullptr;
    std::string prefix;
    explicit operator bool() const { return file != nullptr; }
};

struct LtxFiles {
    std::vector<std::unique_ptr<SafetensorsFile>> files;
    LtxPart transformer, connectors, projection, videoVae, audioVae, vocoder;
    nlohmann::json header = nlohmann::json::object(); // "transformer", "vae", "audio_vae", "vocoder"
    std::vector<std::string> recognised; // sections taken from the tensors, not read (said to the user)

    // `path`: a .safetensors file, or a folder of them. `textEncoderWidth` (the text encoder's hidden
    // size) is used only when the transformer header is recognised; 0 = Gemma 3 12B's 3840.
    // Throws CheckpointError naming the file or the part that is missing, doubled or not LTX-2.
    static LtxFiles open(const std::string& path, int textEncoderWidth = 0);
    std::string headerJson() const { return header.dump(); }
};

// The transformer section LTX-2.3's released header would hold for the transformer and connectors under
// `transformer` / `connectors`: widths, depths and head counts from the shapes. Throws CheckpointError
// when the tensors lack LTX-2.3's signature.
nlohmann::json recogniseTransformerHeader(const LtxPart& transformer, const LtxPart& connectors,
                                          int textEncoderWidth);

// LTX-2.3's released header sections, as this port knows them (the VAE's reconstructed: see
// docs/models.md).
const nlohmann::json& ltx23TransformerHeader();
const nlohmann::json& ltx23VideoVaeHeader();

} // namespace tandem::model::ltx2
