#include "model/ltx2/pipeline.h"

#include "model/ltx2/block_streaming.h"
#include "model/ltx2/model_files.h"
#include "model/ltx2/positions.h"

#include <ATen/CPUGeneratorImpl.h>

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace tandem::model::ltx2 {

namespace {

constexpr double kAudioLatentsPerSecond = 25.0; // 16 kHz, hop 160, 4× in time

// Pictures [frames, H, W, 3] in [0, 1] → latent tokens [1, frames' · rows' · columns', channels].
torch::Tensor encodePictures(LtxModel& model, const torch::Tensor& frames, const torch::Device& device) {
    auto pixels = frames.to(device, torch::kFloat32).permute({3, 0, 1, 2}).unsqueeze(0);
    const auto dtype = model.encoder->parameters().front().scalar_type();
    auto encoded = model.encoder->forward((pixels * 2.0 - 1.0).to(dtype)).to(torch::kFloat32);
    return encoded.permute({0, 2, 3, 4, 1}).reshape({1, -1, encoded.size(1)});
}

// Sound [channels, samples] → latent tokens [1, frames, channels · bins], cut or zero-padded to `frames`
// (upstream's _conform_latent_length).
torch::Tensor encodeSound(LtxModel& model, const torch::Tensor& audio, int rate, int64_t frames,
                          const torch::Device& device) {
    auto latent = model.audioEncoder->encode(audio.to(device, torch::kFloat32).unsqueeze(0), rate)
                      .to(torch::kFloat32); // [1, channels, T, bins]
    auto tokens = latent.permute({0, 2, 1, 3}).reshape({1, latent.size(2), -1});
    if (tokens.size(1) >= frames) return tokens.narrow(1, 0, frames);
    return torch::cat({tokens, torch::zeros({1, frames - tokens.size(1), tokens.size(2)}, tokens.options())}, 1);
}

// Keyframes as extra tokens at the end of the video state (upstream's VideoConditionByKeyframeIndex with
// full attention): clean latents, a zero noisy latent, the mask 1 − strength, and positions of their own
// latent grid — not causally shifted, since they do not start the shot — moved to the keyframe index.
void appendKeyframes(LtxModel& model, LatentState& video, const LtxShotRequest& r, const torch::Device& device) {
    const auto scale = model.videoScale();
    auto tokens = encodePictures(model, r.keyframes, device);
    const int64_t frames = (r.keyframes.size(0) - 1) / scale.time + 1;
    auto positions = videoPositions(1, frames, r.height / scale.space, r.width / scale.space, /*fps=*/1.0,
                                    {scale.time, scale.space, scale.space}, /*causal=*/false);
    auto time = positions.select(1, 0);
    time.add_(r.keyframes_index);
    time.div_(r.fps);
    video.latent = torch::cat({video.latent, torch::zeros_like(tokens)}, 1);
    video.clean = torch::cat({video.clean, tokens}, 1);
    video.mask = torch::cat({video.mask, torch::full({1, tokens.size(1), 1}, 1.0 - r.keyframes_strength,
                                                     video.mask.options())}, 1);
    video.positions = torch::cat({video.positions, positions.to(device)}, 2);
}

} // namespace

// Rounded half to even, as upstream's AudioLatentShape.from_duration rounds (Python's round).
int64_t audioLatentFrames(const LtxShotRequest& r) {
    return static_cast<int64_t>(std::nearbyint(r.frames / r.fps * kAudioLatentsPerSecond));
}

std::array<int64_t, 3> videoLatentGrid(const LtxModel& model, const LtxShotRequest& r) {
    const auto scale = model.videoScale();
    return {(r.frames - 1) / scale.time + 1, r.height / scale.space, r.width / scale.space};
}

torch::Tensor timeWindowMask(const torch::Tensor& positions, double start, double end) {
    auto spans = positions[0][0]; // [T, 2] seconds
    return ((spans.select(1, 1) > start) & (spans.select(1, 0) < end)).to(torch::kFloat32);
}

torch::Tensor samplingSigmas(const LtxShotRequest& r) {
    auto sigmas = r.distilled ? distilledSigmas() : ltx2Sigmas(r.steps);
    if (r.noise_scale >= 1.0) return sigmas;
    // Start at the noise scale, then the schedule's own σ below it.
    auto below = sigmas.masked_select(sigmas < r.noise_scale);
    return torch::cat({torch::full({1}, r.noise_scale, torch::kFloat32), below});
}

LtxModel LtxModel::load(const std::string& path, const torch::TensorOptions& options, int textEncoderWidth,
                        bool offload) {
    auto files = LtxFiles::open(path, textEncoderWidth);
    const auto header = files.headerJson();
    LtxModel m;
    m.path = path;
    m.recognised = files.recognised;
    const auto& t = files.transformer;
    // On a GPU, fp8 blocks stay fp8 there (decoded one block at a time), and --offload keeps every block in
    // host memory: either way the transformer is loaded in host memory first, never whole on the device.
    const auto device = options.device();
    const auto& probe = t.file->at(t.prefix + "transformer_blocks.0.attn1.to_q.weight");
    const bool fp8 = isFp8(probe.dtype);
    const bool stream = device.is_cuda() && (offload || fp8);
    m.transformer =
        loadTransformer(*t.file, t.prefix, header, stream ? options.device(torch::kCPU) : options);
    if (stream) {
        if (fp8)
            streamBlocks(m.transformer, device, offload ? torch::Device(torch::kCPU) : device, *t.file,
                         t.prefix);
        else
            streamBlocks(m.transformer, device);
    }
    m.connectors = loadTextConnectors(*files.projection.file, files.projection.prefix, *files.connectors.file,
                                      files.connectors.prefix, header, options);
    try {
        m.decoder = loadVideoDecoder(*files.videoVae.file, header, files.videoVae.prefix, options);
        m.encoder = loadVideoEncoder(*files.videoVae.file, header, files.videoVae.prefix, options);
    } catch (const CheckpointError& e) {
        const bool guessed = std::count(m.recognised.begin(), m.recognised.end(), "vae") > 0;
        if (!guessed) throw;
        throw CheckpointError(std::string(e.what()) +
                              " (no file carries a video VAE header, and these tensors "
                              "are not LTX-2.3's VAE)");
    }
    // The audio path runs in fp32: the vocoder needs it, and it is small.
    const auto fp32 = torch::TensorOptions().device(options.device());
    m.audioDecoder = loadAudioDecoder(*files.audioVae.file, header, files.audioVae.prefix, fp32);
    m.vocoder = loadVocoder(*files.vocoder.file, header, files.vocoder.prefix, fp32);
    const auto& audioTensors = files.audioVae.file->tensors();
    if (audioTensors.count(files.audioVae.prefix + "encoder.conv_in.conv.weight"))
        m.audioEncoder = loadAudioEncoder(*files.audioVae.file, header, files.audioVae.prefix, fp32);
    return m;
}

LtxTextEncoder::LtxTextEncoder(const std::string& dir, const torch::TensorOptions& options,
                               const std::string& tokenizerHelper)
    : folder_(Gemma3Folder::open(dir)), options_(options),
      tokenizer_(dir + "/tokenizer.model", tokenizerHelper) {}

std::pair<torch::Tensor, torch::Tensor> LtxTextEncoder::encode(const std::vector<std::string>& prompts,
                                                               int length) {
    torch::NoGradGuard noGrad;
    if (!gemma_) gemma_ = loadGemma3(folder_, options_);
    auto batch = tokenizer_.tokenizeForLtx(prompts, length);
    auto states = gemma_->forward(batch.ids, batch.mask);
    return {torch::stack(states, -1), batch.mask};
}

int ltxFrameCount(const LtxModel& model, double seconds, double fps, int minSteps) {
    const int timeScale = model.videoScale().time;
    const long steps = std::max<long>(minSteps, std::lround(seconds * fps / timeScale));
    return static_cast<int>(steps * timeScale + 1);
}

void keepStgBlocksOf(const LtxModel& model, LtxShotRequest& r) {
    const int layers = model.transformer->config.layers;
    for (auto* g : {&r.video_guider, &r.audio_guider})
        g->stgBlocks.erase(
            std::remove_if(g->stgBlocks.begin(), g->stgBlocks.end(), [&](int b) { return b >= layers; }),
            g->stgBlocks.end());
}

void checkShotRequest(const LtxModel& model, const LtxShotRequest& r) {
    const auto scale = model.videoScale();
    if (r.frames < 1 || (r.frames - 1) % scale.time != 0)
        throw std::invalid_argument("LTX-2 makes " + std::to_string(scale.time) + "k + 1 frames; " +
                                    std::to_string(r.frames) + " is not such a count");
    if (r.width < scale.space || r.height < scale.space || r.width % scale.space != 0 ||
        r.height % scale.space != 0)
        throw std::invalid_argument("LTX-2 frame sizes are multiples of " + std::to_string(scale.space) +
                                    "; " + std::to_string(r.width) + "×" + std::to_string(r.height) +
                                    " is not");
    if (!(r.fps > 0)) throw std::invalid_argument("a shot needs a frame rate above 0");
    if (!r.distilled && r.steps < 1) throw std::invalid_argument("a shot needs at least one denoising step");
    if (audioLatentFrames(r) < 1) throw std::invalid_argument("the shot is too short to carry sound");
    if (r.first_frame.defined() && r.first_frame.sizes() != torch::IntArrayRef({r.height, r.width, 3}))
        throw std::invalid_argument("the first frame must be " + std::to_string(r.width) + "×" +
                                    std::to_string(r.height) + " RGB, the shot's size");
    if (!(r.first_frame_strength >= 0 && r.first_frame_strength <= 1))
        throw std::invalid_argument("the first frame's strength is between 0 and 1");
    const auto [f, h, w] = videoLatentGrid(model, r);
    if (r.video_source.defined() && r.video_source.sizes() != torch::IntArrayRef({r.frames, r.height, r.width, 3}))
        throw std::invalid_argument("the known pictures must be the shot's " + std::to_string(r.frames) + " frames of " +
                                    std::to_string(r.width) + "×" + std::to_string(r.height) + " RGB");
    if (r.video_generate.defined() && r.video_generate.sizes() != torch::IntArrayRef({f, h, w}))
        throw std::invalid_argument("the picture mask must be the latent grid, " + std::to_string(f) + "×" +
                                    std::to_string(h) + "×" + std::to_string(w));
    if (r.video_generate.defined() && !r.video_source.defined())
        throw std::invalid_argument("a picture mask needs the known pictures");
    if (r.audio_source.defined()) {
        if (!model.audioEncoder)
            throw std::invalid_argument("this checkpoint carries no audio encoder, so it cannot keep a sound");
        if (r.audio_source.dim() != 2 || r.audio_source.size(1) < 1 || r.audio_rate <= 0)
            throw std::invalid_argument("the known sound must be [channels, samples] with a sample rate");
    }
    if (r.audio_generate.defined() &&
        (!r.audio_source.defined() || r.audio_generate.sizes() != torch::IntArrayRef({audioLatentFrames(r)})))
        throw std::invalid_argument("a sound mask needs the known sound and one value per audio latent frame (" +
                                    std::to_string(audioLatentFrames(r)) + ")");
    if (r.keyframes.defined()) {
        if (r.keyframes.dim() != 4 || r.keyframes.size(1) != r.height || r.keyframes.size(2) != r.width ||
            r.keyframes.size(3) != 3 || (r.keyframes.size(0) - 1) % model.videoScale().time != 0)
            throw std::invalid_argument("keyframes must be 8k + 1 frames of the shot's size, RGB");
        if (r.keyframes_index < 1)
            throw std::invalid_argument("keyframes stand after the shot's first frame (index ≥ 1); at frame 0 "
                                        "the shot's own first latent frame takes them");
        if (!(r.keyframes_strength >= 0 && r.keyframes_strength <= 1))
            throw std::invalid_argument("the keyframes' strength is between 0 and 1");
    }
    if ((r.video_frozen && !r.video_source.defined()) || (r.audio_frozen && !r.audio_source.defined()))
        throw std::invalid_argument("a stream kept throughout needs its known media");
    if (!(r.noise_scale > 0 && r.noise_scale <= 1))
        throw std::invalid_argument("the noise scale is in (0, 1]");
    if (r.noise_scale < 1 && (!r.video_source.defined() || !r.audio_source.defined()))
        throw std::invalid_argument("starting part-way needs the known pictures and sound to start from");
    const int layers = model.transformer->config.layers;
    for (const auto* g : {&r.video_guider, &r.audio_guider})
        for (int block : g->stgBlocks)
            if (block < 0 || block >= layers)
                throw std::invalid_argument("STG block " + std::to_string(block) +
                                            " does not exist (the model has " + std::to_string(layers) + ")");
}

LtxContexts encodePrompts(LtxModel& model, LtxTextEncoder& text, const LtxShotRequest& r) {
    torch::NoGradGuard noGrad;
    const auto device = model.transformer->patchify_proj->weight.device();
    const bool negative = r.video_guider.wantsNegative() || r.audio_guider.wantsNegative();
    std::vector<std::string> prompts{r.prompt};
    if (negative) prompts.push_back(r.negative_prompt);
    // Both prompts in one Gemma pass, then each stream's context.
    auto [hidden, mask] = text.encode(prompts, r.prompt_length);
    auto contexts = model.connectors->forward(hidden.to(device), mask.to(device));
    const auto dtype = model.transformer->patchify_proj->weight.scalar_type();
    auto row = [&](const torch::Tensor& t, int64_t i) { return t.narrow(0, i, 1).to(dtype); };
    LtxContexts out{row(contexts.video, 0), row(contexts.audio, 0), {}, {}};
    if (negative) {
        out.video_negative = row(contexts.video, 1);
        out.audio_negative = row(contexts.audio, 1);
    }
    return out;
}

LtxLatents sampleLatents(LtxModel& model, const LtxContexts& text, const LtxShotRequest& r,
                         const std::function<void(int step, int steps)>& onStep) {
    checkShotRequest(model, r);
    torch::NoGradGuard noGrad;
    const auto& c = model.transformer->config;
    const auto device = model.transformer->patchify_proj->weight.device();

    // Latent grid and token positions.
    const auto scale = model.videoScale();
    const auto [f, h, w] = videoLatentGrid(model, r);
    const int64_t audioFrames = audioLatentFrames(r);
    const auto options = torch::TensorOptions().dtype(torch::kFloat32).device(device);
    LatentState video{torch::zeros({1, f * h * w, c.in_channels}, options),
                      torch::ones({1, f * h * w, 1}, options),
                      torch::zeros({1, f * h * w, c.in_channels}, options),
                      videoPositions(1, f, h, w, r.fps, {scale.time, scale.space, scale.space}).to(device)};
    LatentState audio{torch::zeros({1, audioFrames, c.audio_in_channels}, options),
                      torch::ones({1, audioFrames, 1}, options),
                      torch::zeros({1, audioFrames, c.audio_in_channels}, options),
                      audioPositions(1, audioFrames).to(device)};
    // Known media: the state starts as the encoded latents (upstream's initial latent), and the mask says
    // which tokens are made.
    if (r.video_source.defined()) {
        video.clean = encodePictures(model, r.video_source, device);
        video.latent = video.clean.clone();
        video.mask = r.video_generate.defined()
                         ? r.video_generate.to(device, torch::kFloat32).reshape({1, f * h * w, 1})
                         : torch::ones({1, f * h * w, 1}, options);
        if (r.video_frozen) video.mask.zero_();
        video.frozen = r.video_frozen;
    }
    if (r.audio_source.defined()) {
        audio.clean = encodeSound(model, r.audio_source, r.audio_rate, audioFrames, device);
        audio.latent = audio.clean.clone();
        audio.mask = r.audio_generate.defined()
                         ? r.audio_generate.to(device, torch::kFloat32).reshape({1, audioFrames, 1})
                         : torch::ones({1, audioFrames, 1}, options);
        if (r.audio_frozen) audio.mask.zero_();
        audio.frozen = r.audio_frozen;
    }
    if (r.first_frame.defined()) {
        // Latent frame 0 becomes the encoded picture, kept (strength 1) or partly renoised.
        video.clean.narrow(1, 0, h * w).copy_(encodePictures(model, r.first_frame.unsqueeze(0), device));
        video.mask.narrow(1, 0, h * w).fill_(1.0 - r.first_frame_strength);
    }
    if (r.keyframes.defined()) appendKeyframes(model, video, r, device);
    // One seeded CPU generator, video noise first: upstream's noiser draws in that order (the keyframe
    // tokens included: they are appended before it noises).
    auto generator = at::make_generator<at::CPUGeneratorImpl>(r.seed);
    addNoise(video, torch::randn(video.latent.sizes(), generator, torch::kFloat32).to(device), r.noise_scale);
    addNoise(audio, torch::randn(audio.latent.sizes(), generator, torch::kFloat32).to(device), r.noise_scale);

    // Upstream's pipelines shift the schedule for 4096 tokens whatever the shot's size (they never pass
    // the latent to the scheduler), and the model was tuned with that schedule: so does this one.
    const auto sigmas = samplingSigmas(r).to(device);
    GuidedDenoiser denoiser(text.video, text.audio, text.video_negative, text.audio_negative, r.video_guider,
                            r.audio_guider);
    denoise(model.transformer, video, audio, sigmas, denoiser, onStep);
    // The keyframe tokens guided the shot; they are not part of it.
    return {video.latent.narrow(1, 0, f * h * w).reshape({1, f, h, w, c.in_channels}), audio.latent};
}

LtxShot decodeLatents(LtxModel& model, const LtxLatents& latents, const LtxShotRequest& r) {
    torch::NoGradGuard noGrad;
    // Pictures: tokens [1, f, h, w, channels] → latent [1, channels, f, h, w] → frames.
    LtxShot shot;
    shot.fps = r.fps;
    auto latent = latents.video.permute({0, 4, 1, 2, 3});
    if (r.tiling) {
        std::vector<torch::Tensor> chunks;
        model.decoder->decodeTiled(latent, *r.tiling,
                                   [&](const torch::Tensor& t) { chunks.push_back(t.cpu()); });
        shot.frames = torch::cat(chunks, 0);
    } else {
        auto pixels = model.decoder->forward(latent);
        shot.frames =
            pixels[0].permute({1, 2, 3, 0}).add(1.0).mul(0.5).clamp(0.0, 1.0).to(torch::kFloat32).cpu();
    }

    // Sound: tokens [1, T, channels · bins] → latent [1, channels, T, bins] → mel → waveform.
    const auto& a = model.audioDecoder->config;
    const int64_t frames = latents.audio.size(1);
    const int64_t bins = latents.audio.size(2) / a.latent_channels;
    auto audioLatent =
        latents.audio.to(torch::kFloat32).view({1, frames, a.latent_channels, bins}).permute({0, 2, 1, 3});
    auto mel = model.audioDecoder->forward(audioLatent);
    shot.audio = model.vocoder->forward(mel)[0].cpu();
    shot.sample_rate = model.vocoder->config.output_rate;
    return shot;
}

LtxShot generateShot(LtxModel& model, LtxTextEncoder& text, const LtxShotRequest& r,
                     const std::function<void(int step, int steps)>& onStep) {
    checkShotRequest(model, r);
    const auto contexts = encodePrompts(model, text, r);
    return decodeLatents(model, sampleLatents(model, contexts, r, onStep), r);
}

Shot toShot(const LtxShot& shot) {
    Shot out;
    out.frames = shot.frames.size(0);
    out.height = static_cast<int>(shot.frames.size(1));
    out.width = static_cast<int>(shot.frames.size(2));
    out.fps = shot.fps;
    auto bytes = shot.frames.mul(255.0).round().clamp(0, 255).to(torch::kUInt8).contiguous();
    out.rgb.assign(bytes.data_ptr<uint8_t>(), bytes.data_ptr<uint8_t>() + bytes.numel());
    out.sample_rate = shot.sample_rate;
    auto mono = shot.audio.to(torch::kFloat32).mean(0).clamp(-1.0, 1.0).contiguous();
    out.audio.assign(mono.data_ptr<float>(), mono.data_ptr<float>() + mono.numel());
    return out;
}

} // namespace tandem::model::ltx2
