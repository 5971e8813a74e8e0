// Design note: text → shot with LTX-2, the components put together the way upstream's one-stage pipeline
// does. A single-file checkpoint holds everything but the text encoder (LtxModel); Gemma 3 comes from
// its own folder (LtxTextEncoder). Data flow for one shot:
//   prompt ─ tokenizer ─ Gemma 3 (every hidden state) ─ text connectors ─→ video and audio contexts
//   seeded noise ─ video tokens [frames' · rows' · columns', 128] and audio tokens [latent frames, 8 × 16]
//   ─ guided denoising over the σ schedule (CFG against the negative prompt, STG, modality isolation)
//   ─ video VAE decoder (tiled when large) → frames;  audio VAE decoder → mel → vocoder → 48 kHz stereo.
// Audio follows the video's duration: 25 audio latents a second (16 kHz, hop 160, 4× in time).
// The text encoder runs and is released before denoising when asked (LtxTextEncoder::release), so its
// 24 GB never sit beside the transformer's.
#pragma once

#include "model/engine.h"
#include "model/ltx2/audio_vae.h"
#include "model/ltx2/gemma3.h"
#include "model/ltx2/gemma_tokenizer.h"
#include "model/ltx2/sampler.h"
#include "model/ltx2/text_connectors.h"
#include "model/ltx2/transformer.h"
#include "model/ltx2/video_vae.h"
#include "model/ltx2/vocoder.h"

#include <array>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace tandem::model::ltx2 {

// Everything an LTX-2 model but its text encoder, loaded strictly from the released single file or a
// folder of split files (model_files.h). Throws CheckpointError naming the file and what is wrong
// (a part missing or doubled, no header and tensors not LTX-2.3's, a tensor mis-shaped, a truncated file).
struct LtxModel {
    AvTransformer transformer{nullptr};
    TextConnectors connectors{nullptr};
    VideoDecoder decoder{nullptr};
    VideoEncoder encoder{nullptr}; // for known pictures (image → shot and every editing task)
    AudioDecoder audioDecoder{nullptr};
    AudioEncoder audioEncoder{nullptr}; // for known sound; absent (null) when the files carry none
    Vocoder vocoder{nullptr};
    std::string path;
    std::vector<std::string> recognised; // header sections recognised from the tensors, not read

    // `textEncoderWidth`: the text encoder's hidden size, used only when no file carries the header.
    // On CUDA, `offload` keeps the transformer's blocks in host memory, streamed for their turn; fp8 blocks
    // stay fp8 (on the GPU, or in host memory with `offload`) and are decoded a block at a time
    // (block_streaming.h).
    static LtxModel load(const std::string& path, const torch::TensorOptions& options = {},
                         int textEncoderWidth = 0, bool offload = false);
    VaeScale videoScale() const { return decoder->scale(); }
};

// Gemma 3 and its tokenizer, from a Hugging Face folder.
class LtxTextEncoder {
public:
    explicit LtxTextEncoder(const std::string& dir, const torch::TensorOptions& options = {},
                            const std::string& tokenizerHelper = findSpmHelper());
    // Every hidden state of each prompt, stacked as the connectors take them: [N, length, width, states],
    // and the mask [N, length] (1 = prompt token).
    std::pair<torch::Tensor, torch::Tensor> encode(const std::vector<std::string>& prompts,
                                                   int length = 1024);
    void release() { gemma_ = nullptr; }
    int width() const { return folder_.config.hidden; } // the hidden states' width

private:
    Gemma3Folder folder_;
    torch::TensorOptions options_;
    Gemma3 gemma_{nullptr};
    GemmaTokenizer tokenizer_;
};

struct LtxShotRequest {
    std::string prompt, negative_prompt;
    int frames = 121;              // 8k + 1
    int width = 768, height = 512; // multiples of the VAE's spatial scale (32)
    double fps = 24;
    uint64_t seed = 0;
    int steps = 30;         // ignored when distilled
    bool distilled = false; // the distilled checkpoint's fixed 8 σ
    GuiderParams video_guider = ltx23VideoGuider(), audio_guider = ltx23AudioGuider();
    int prompt_length = 1024;        // tokens Gemma sees (LTX-2.3: 1024)
    std::optional<VaeTiling> tiling; // decode tile by tile (default: whole)
    // Image → shot: the first frame, [height, width, 3] floats in [0, 1], encoded and put in place of
    // latent frame 0 (upstream's VideoConditionByLatentIndex); strength 1 keeps it, less lets it change.
    torch::Tensor first_frame;
    double first_frame_strength = 1.0;

    // Known media, the rest of Tandem's "known latents + a mask per modality". Pictures: `video_source`
    // [frames, height, width, 3] in [0, 1] over the whole shot, encoded by the VAE; `video_generate`
    // [frames', rows', columns'] on the latent grid, 1 = make that cell, 0 = keep it (undefined: make all).
    // Sound: `audio_source` [channels, samples] at `audio_rate`, encoded by the audio VAE, and
    // `audio_generate` [audio latent frames]. A stream given as known throughout is `frozen`: its σ is 0 as
    // well as its tokens' (upstream's ModalitySpec.frozen: foley keeps the pictures, dub the voice).
    torch::Tensor video_source, video_generate;
    torch::Tensor audio_source, audio_generate;
    int audio_rate = 0;
    bool video_frozen = false, audio_frozen = false;
    // Pictures at another place in time (upstream's VideoConditionByKeyframeIndex): `keyframes` [frames, H, W,
    // 3] in [0, 1] (8k + 1 frames), encoded on their own and added as extra video tokens whose time starts at
    // pixel frame `keyframes_index`. They guide the shot without being part of it: extending before a shot
    // gives the shot's first frames as keyframes just after the new ones.
    torch::Tensor keyframes;
    int keyframes_index = 0;
    double keyframes_strength = 1.0;
    // Below 1: the shot starts from the known pictures noised to this σ and the schedule starts there
    // (restyle; upstream's noise_scale with an initial latent, as its second stages run).
    double noise_scale = 1.0;
};

struct LtxShot {
    torch::Tensor frames; // [frames, height, width, 3] floats in [0, 1]
    torch::Tensor audio;  // [2, samples] at sample_rate
    int sample_rate = 0;
    double fps = 0;
};

// Frames for `seconds` at `fps`: whole latent steps of the VAE's time scale (at least `minSteps`), plus the
// causal first frame.
int ltxFrameCount(const LtxModel& model, double seconds, double fps, int minSteps = 0);
// Leaves out of the request's guiders the STG blocks the model does not have (the 22 B perturbs block 28;
// smaller models have fewer blocks).
void keepStgBlocksOf(const LtxModel& model, LtxShotRequest& request);

// Latent frames of the sound of a request (25 a second of its length).
int64_t audioLatentFrames(const LtxShotRequest& request);
// The latent grid of a request's pictures: frames', rows', columns'.
std::array<int64_t, 3> videoLatentGrid(const LtxModel& model, const LtxShotRequest& request);
// 1 for each token whose time span meets [start, end) seconds, else 0 (upstream's TemporalRegionMask):
// `positions` [1, axes, T, 2] with time first, in seconds. [T] floats.
torch::Tensor timeWindowMask(const torch::Tensor& positions, double start, double end);
// The σ a request samples over (restyle's starts at its noise scale).
torch::Tensor samplingSigmas(const LtxShotRequest& request);

// Checks a request against the model (frame count 8k + 1, sizes on the VAE grid, STG blocks that exist).
// Throws std::invalid_argument saying what does not fit.
void checkShotRequest(const LtxModel& model, const LtxShotRequest& request);

// The conditioning of one shot: each stream's context for the prompt, and for the negative prompt when
// a guider wants one (undefined otherwise). [1, tokens, width] in the transformer's dtype.
struct LtxContexts {
    torch::Tensor video, audio, video_negative, audio_negative;
};

// The denoised latents of one shot: video [1, frames', rows', columns', channels], audio tokens
// [1, latent frames, channels · bins].
struct LtxLatents {
    torch::Tensor video, audio;
};

// The three stages of generateShot, for callers that keep the text encoder apart or check one stage.
LtxContexts encodePrompts(LtxModel& model, LtxTextEncoder& text, const LtxShotRequest& request);
LtxLatents sampleLatents(LtxModel& model, const LtxContexts& text, const LtxShotRequest& request,
                         const std::function<void(int step, int steps)>& onStep = {});
LtxShot decodeLatents(LtxModel& model, const LtxLatents& latents, const LtxShotRequest& request);

// Makes one shot. `onStep` is told each finished denoising step (it may throw to cancel).
LtxShot generateShot(LtxModel& model, LtxTextEncoder& text, const LtxShotRequest& request,
                     const std::function<void(int step, int steps)>& onStep = {});

// The shot as Tandem's media code takes it: RGB bytes, and the sound folded to mono (model::Shot holds one
// channel; LTX-2's stereo is kept only until then).
Shot toShot(const LtxShot& shot);

} // namespace tandem::model::ltx2
