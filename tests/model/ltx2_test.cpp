// The LTX-2 port against numbers produced by the upstream code itself (tests/fixtures/ltx2/README.md):
// a tiny LTX-2.3-shaped transformer with seeded random weights, its inputs and its outputs.
#include "model/checkpoint.h"
#include "model/ltx2/audio_vae.h"
#include "model/ltx2/positions.h"
#include "model/ltx2/rope.h"
#include "model/ltx2/sampler.h"
#include "model/ltx2/text_connectors.h"
#include "model/ltx2/vocoder.h"
#include "model/ltx2/transformer.h"
#include "model/ltx2/video_vae.h"
#include "model/ltx2/gemma3.h"
#include "model/ltx2/gemma_tokenizer.h"
#include "model/ltx2/pipeline.h"
#include "model/ltx2/ltx_engine.h"
#include "model/ltx2/block_streaming.h"
#include "model/sampler.h"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

using namespace tandem::model;
using namespace tandem::model::ltx2;

namespace {

const std::string kTransformerFixture = std::string(TANDEM_LTX2_FIXTURES) + "/transformer.safetensors";

// max |a − b| / max |b|: the relative error the issue's 1e-4 bound is stated in.
double relativeError(const torch::Tensor& got, const torch::Tensor& want) {
    REQUIRE(got.sizes() == want.sizes());
    const double scale = want.abs().max().item<double>();
    return (got.to(torch::kFloat32) - want).abs().max().item<double>() / std::max(scale, 1e-12);
}

// Decoded pictures and sound against upstream's. Both decoders magnify fp32 rounding at their worst sample:
// the vocoder's bandwidth extension takes the log of a short-time spectrum's near-silent bins, and the video
// decoder turns latents 6e-7 apart into frames 1e-4 apart at one pixel. How far depends on the CPU's
// convolution kernels: on the end-to-end fixture this port run in float64 lands 1.4e-4 of the peak from
// upstream's fp32 sound at its worst sample; fp32 on an AMD EPYC lands 2.5e-4–2.9e-4 from either (MKL-DNN on
// or off alone moves it 2.7e-4), within 1e-4 on the Intel CPU the fixtures were first checked on. The mean
// error stays ~1e-6 on both. So the worst sample is held to 1e-3 (a quarter of an 8-bit level), above that
// rounding floor, and the mean to 1e-5, where any real difference in the port (a filter, a gain, a shift)
// shows.
void checkDecoded(const torch::Tensor& got, const torch::Tensor& want, const std::string& what) {
    REQUIRE(got.sizes() == want.sizes());
    const double scale = std::max(want.abs().max().item<double>(), 1e-12);
    const auto difference = (got.to(torch::kFloat32) - want).abs();
    const double worst = difference.max().item<double>() / scale,
                 mean = difference.mean().item<double>() / scale;
    INFO(what << ": worst sample " << worst << ", mean " << mean << " of the peak");
    CHECK(worst <= 1e-3);
    CHECK(mean <= 1e-5);
}

// The engine's LTX-2 model on the tiny checkpoint and Gemma, delivering 16 × 16 at 16 fps on the CPU (its
// tokenizer helper found through the environment, as the engine process finds it).
LtxEngineOptions tinyEngineOptions() {
    setenv("TANDEM_SPM_HELPER", TANDEM_SPM_HELPER, 1);
    LtxEngineOptions o;
    o.model = std::string(TANDEM_LTX2_FIXTURES) + "/ltx-tiny.safetensors";
    o.textEncoder = std::string(TANDEM_LTX2_FIXTURES) + "/gemma";
    o.device = "cpu";
    o.width = o.height = 16;
    o.fps = 16;
    return o;
}

// The shot end_to_end.safetensors was made with (its "shot" metadata).
LtxShotRequest endToEndRequest(const nlohmann::json& shot) {
    LtxShotRequest r;
    r.prompt = shot["prompt"];
    r.negative_prompt = shot["negative_prompt"];
    r.seed = shot["seed"];
    r.steps = shot["steps"];
    r.frames = shot["frames"];
    r.width = shot["width"];
    r.height = shot["height"];
    r.fps = shot["fps"];
    r.prompt_length = shot["prompt_length"];
    r.video_guider.stgBlocks = shot["stg_blocks"].get<std::vector<int>>();
    r.audio_guider.stgBlocks = r.video_guider.stgBlocks;
    return r;
}

struct Fixture {
    SafetensorsFile file{kTransformerFixture};
    torch::Tensor operator[](const std::string& name) const { return readTensor(file, name); }

    StreamInput stream(const std::string& which) const {
        const auto& self = *this;
        return {self["input." + which + ".latent"], self["input." + which + ".timesteps"], self["input.sigma"],
                self["input." + which + ".positions"], self["input." + which + ".context"], self["input.context_mask"]};
    }
};

// A copy of the fixture with its tensors and metadata edited (for the refusal tests).
std::string editedCopy(const Fixture& f, const std::string& name,
                       const std::function<void(std::map<std::string, torch::Tensor>&,
                                                std::map<std::string, std::string>&)>& edit) {
    std::map<std::string, torch::Tensor> tensors;
    for (const auto& [key, view] : f.file.tensors()) tensors[key] = readTensor(f.file, key);
    auto metadata = f.file.metadata();
    edit(tensors, metadata);
    std::vector<TensorToWrite> out;
    for (const auto& [key, t] : tensors)
        out.push_back({key, DType::F32, t.sizes().vec(), t.data_ptr(), static_cast<size_t>(t.numel()) * 4});
    auto path = (std::filesystem::temp_directory_path() / ("tandem-ltx2-" + name + ".safetensors")).string();
    writeSafetensors(path, out, metadata);
    return path;
}

// A copy of the fixture whose transformer header has `key` set to `value`.
std::string withSetting(const Fixture& f, const std::string& name, const std::string& key, const nlohmann::json& value) {
    return editedCopy(f, name, [&](auto&, auto& meta) {
        auto config = nlohmann::json::parse(meta["config"]);
        config["transformer"][key] = value;
        meta["config"] = config.dump();
    });
}

std::string refusalOf(const std::string& path) {
    try {
        SafetensorsFile file(path);
        loadTransformer(file);
    } catch (const CheckpointError& e) {
        return e.what();
    }
    return "";
}

} // namespace

TEST_CASE("LTX-2 token positions are the upstream latent tools' spans in seconds and pixels") {
    Fixture f;
    auto video = videoPositions(2, 3, 2, 3, 24.0);
    auto audio = audioPositions(2, 13);
    CHECK(torch::equal(video, f["input.video.positions"]));
    CHECK(torch::allclose(audio, f["input.audio.positions"], 0, 1e-7));
    // The causal first latent frame covers one pixel frame, [0, 1/24) s; the second covers frames 1–8.
    CHECK(video[0][0][0][1].item<float>() == Approx(1.0 / 24));
    CHECK(video[0][0][6][0].item<float>() == Approx(1.0 / 24));
    CHECK(video[0][0][6][1].item<float>() == Approx(9.0 / 24));
}

TEST_CASE("LTX-2 rotary tables match upstream for the video, audio and cross-modal attention") {
    Fixture f;
    auto config = transformerConfigFromFile(f.file, "model.diffusion_model.");
    auto videoPos = f["input.video.positions"], audioPos = f["input.audio.positions"];
    const std::vector<int> videoMax(config.max_pos.begin(), config.max_pos.end());
    auto check = [&](const RopeTable& t, const std::string& name) {
        INFO(name);
        CHECK(relativeError(t.cos, f["rope." + name + ".cos"]) <= 1e-5);
        CHECK(relativeError(t.sin, f["rope." + name + ".sin"]) <= 1e-5);
    };
    check(ropeTable(videoPos, config.width(), config.heads, videoMax, config.rope_theta, true, torch::kFloat32),
          "video");
    check(ropeTable(audioPos, config.audioWidth(), config.audio_heads, {config.audio_max_pos}, config.rope_theta,
                    true, torch::kFloat32),
          "audio");
    check(ropeTable(videoPos.narrow(1, 0, 1), config.audio_cross_attention_dim, config.heads, {20},
                    config.rope_theta, true, torch::kFloat32),
          "video_cross");
    check(ropeTable(audioPos, config.audio_cross_attention_dim, config.heads, {20}, config.rope_theta, true,
                    torch::kFloat32),
          "audio_cross");
}

TEST_CASE("LTX-2.3 transformer matches the upstream forward pass block by block (tiny, random weights)") {
    torch::NoGradGuard noGrad;
    Fixture f;
    auto model = loadTransformer(f.file);
    CHECK(model->config.gated_attention);
    CHECK(model->config.cross_attention_adaln);
    CHECK(model->config.av_timestep_scale == 1000.0);
    auto video = f.stream("video"), audio = f.stream("audio");

    auto v = model->prepare(video, audio, true);
    auto a = model->prepare(audio, video, false);
    for (int i = 0; i < model->config.layers; ++i) {
        model->blocks[static_cast<size_t>(i)]->forward(v, a, Perturbations::none(), i);
        INFO("after block " << i);
        CHECK(relativeError(v.x, f["intermediate.block" + std::to_string(i) + ".video"]) <= 1e-4);
        CHECK(relativeError(a.x, f["intermediate.block" + std::to_string(i) + ".audio"]) <= 1e-4);
    }

    auto out = model->forward(video, audio);
    const double videoError = relativeError(out.video, f["output.video"]);
    const double audioError = relativeError(out.audio, f["output.audio"]);
    INFO("relative error: video " << videoError << ", audio " << audioError);
    CHECK(videoError <= 1e-4);
    CHECK(audioError <= 1e-4);
    // The test can fail: the known (timestep 0) tokens and the padded prompt change the output.
    auto unmasked = video;
    unmasked.contextMask = torch::ones_like(video.contextMask);
    CHECK(relativeError(model->forward(unmasked, audio).video, f["output.video"]) > 1e-3);
}

TEST_CASE("LTX-2.3 transformer with self-attention skipped for one sample (STG) matches upstream") {
    torch::NoGradGuard noGrad;
    Fixture f;
    auto model = loadTransformer(f.file);
    auto info = nlohmann::json::parse(f.file.metadata().at("fixture"));
    const int block = info.at("stg_block"), sample = info.at("stg_sample");
    Perturbations p;
    p.skip(Perturbations::VideoSelf, {block}, {sample}, model->config.layers, 2);
    p.skip(Perturbations::AudioSelf, {block}, {sample}, model->config.layers, 2);
    auto out = model->forward(f.stream("video"), f.stream("audio"), p);
    CHECK(relativeError(out.video, f["output.video_stg"]) <= 1e-4);
    CHECK(relativeError(out.audio, f["output.audio_stg"]) <= 1e-4);
    // The unperturbed sample is untouched by its neighbour's perturbation.
    CHECK(relativeError(out.video[1], f["output.video"][1]) <= 1e-4);
}

TEST_CASE("Blocks streamed through one device slot give the same velocities as the resident transformer") {
    torch::NoGradGuard noGrad;
    Fixture f;
    auto model = loadTransformer(f.file);
    auto video = f.stream("video"), audio = f.stream("audio");
    const auto resident = model->forward(video, audio);
    Perturbations p;
    p.skip(Perturbations::VideoSelf, {1}, {0}, model->config.layers, 2);
    const auto residentStg = model->forward(video, audio, p);

    auto streamer = streamBlocks(model, torch::kCPU);
    // One block's weights in the slot, every block's in host memory.
    CHECK(streamer->hostBytes() == streamer->slotBytes() * model->config.layers);
    const auto streamed = model->forward(video, audio);
    CHECK(torch::equal(streamed.video, resident.video));
    CHECK(torch::equal(streamed.audio, resident.audio));
    // Each block keeps its own perturbations when it runs in the slot.
    const auto streamedStg = model->forward(video, audio, p);
    CHECK(torch::equal(streamedStg.video, residentStg.video));
    CHECK_FALSE(torch::equal(streamedStg.video, streamed.video));
}

TEST_CASE("fp8 block weights stay bytes until their turn, and give the velocities of the decoded model") {
    torch::NoGradGuard noGrad;
    Fixture f;
    const auto dir = std::filesystem::temp_directory_path();
    // The 256 values of e4m3, read back through the loader from a file of every byte.
    std::vector<uint8_t> every(256);
    for (int i = 0; i < 256; ++i) every[size_t(i)] = uint8_t(i);
    const auto tablePath = (dir / "tandem-e4m3-table.safetensors").string();
    writeSafetensors(tablePath, {{"t", DType::F8_E4M3, {256}, every.data(), every.size()}});
    auto table = readTensor(SafetensorsFile(tablePath), "t");
    table.index_put_({torch::isnan(table)}, 1e9f); // never the nearest value
    // The fixture's transformer with every block matrix as e4m3 bytes and a scale, the rest as it was.
    std::vector<torch::Tensor> keep;
    std::vector<float> scales;
    scales.reserve(4096);
    std::vector<TensorToWrite> out;
    for (const auto& [name, view] : f.file.tensors()) {
        auto t = readTensor(f.file, name).to(torch::kFloat32).contiguous();
        if (name.find("transformer_blocks.") != std::string::npos && t.dim() == 2) {
            const float scale = t.abs().max().item<float>() / 448.0f;
            auto bytes = (t.unsqueeze(-1) / scale - table).abs().argmin(-1).to(torch::kUInt8).contiguous();
            keep.push_back(bytes);
            out.push_back({name, DType::F8_E4M3, t.sizes().vec(), bytes.data_ptr(), size_t(bytes.numel())});
            scales.push_back(scale);
            out.push_back({name + "_scale", DType::F32, {}, &scales.back(), sizeof(float)});
        } else {
            keep.push_back(t);
            out.push_back({name, DType::F32, t.sizes().vec(), t.data_ptr(), size_t(t.numel()) * 4});
        }
    }
    const auto path = (dir / "tandem-ltx-fp8.safetensors").string();
    writeSafetensors(path, out, f.file.metadata());
    SafetensorsFile fp8(path);

    auto video = f.stream("video"), audio = f.stream("audio");
    auto decoded = loadTransformer(fp8);
    const auto want = decoded->forward(video, audio);
    CHECK(relativeError(want.video, f["output.video"]) < 0.5); // still the fixture's network, coarsened

    auto model = loadTransformer(fp8);
    auto streamer = streamBlocks(model, torch::kCPU, torch::kCPU, fp8, "model.diffusion_model.");
    // A byte per block matrix weight where fp32 took four.
    CHECK(streamer->hostBytes() < streamer->slotBytes() * model->config.layers / 3);
    const auto got = model->forward(video, audio);
    CHECK(torch::equal(got.video, want.video));
    CHECK(torch::equal(got.audio, want.audio));
    std::filesystem::remove(path);
    std::filesystem::remove(tablePath);
}

TEST_CASE("An LTX-2 checkpoint whose header or tensors do not describe one network is refused by name") {
    Fixture f;
    SECTION("no architecture in the metadata") {
        auto path = editedCopy(f, "nometa", [](auto&, auto& meta) { meta.erase("config"); });
        CHECK_THAT(refusalOf(path), Catch::Contains("no \"config\""));
    }
    SECTION("a variant this port does not implement") {
        auto path = withSetting(f, "sharedff", "share_ff", true);
        CHECK_THAT(refusalOf(path), Catch::Contains("share_ff"));
    }
    SECTION("a header that disagrees with its tensors") {
        auto path = withSetting(f, "layers", "num_layers", 3);
        CHECK_THAT(refusalOf(path), Catch::Contains("3 blocks"));
    }
    SECTION("a missing weight") {
        auto path = editedCopy(f, "missing", [](auto& tensors, auto&) {
            tensors.erase("model.diffusion_model.transformer_blocks.1.audio_ff.net.2.weight");
        });
        CHECK_THAT(refusalOf(path), Catch::Contains("transformer_blocks.1.audio_ff.net.2.weight"));
    }
    SECTION("gates the header does not mention") {
        auto path = withSetting(f, "gates", "apply_gated_attention", false);
        CHECK_THAT(refusalOf(path), Catch::Contains("attention gates"));
    }
}

namespace {

std::map<std::string, std::vector<int64_t>> readTable(const std::string& name) {
    std::map<std::string, std::vector<int64_t>> table;
    std::ifstream in(std::string(TANDEM_LTX2_FIXTURES) + "/" + name);
    for (std::string line; std::getline(in, line);) {
        const auto tab = line.find('\t');
        std::vector<int64_t> shape;
        std::stringstream sizes(line.substr(tab + 1));
        for (std::string size; std::getline(sizes, size, ',');) shape.push_back(std::stoll(size));
        table[line.substr(0, tab)] = shape;
    }
    return table;
}

// The port's tensors under `prefix` → name → shape; `parameters` counts them.
void listTensors(torch::nn::Module& m, const std::string& prefix, std::map<std::string, std::vector<int64_t>>& out,
                 int64_t& parameters, bool withBuffers = false) {
    for (const auto& p : m.named_parameters()) {
        out[prefix + p.key()] = p.value().sizes().vec();
        parameters += p.value().numel();
    }
    if (withBuffers)
        for (const auto& b : m.named_buffers()) out[prefix + b.key()] = b.value().sizes().vec();
}

void checkSameTable(const std::map<std::string, std::vector<int64_t>>& upstream,
                    const std::map<std::string, std::vector<int64_t>>& port) {
    std::vector<std::string> missing, extra, misshapen;
    for (const auto& [name, shape] : upstream) {
        auto it = port.find(name);
        if (it == port.end()) missing.push_back(name);
        else if (it->second != shape) misshapen.push_back(name);
    }
    for (const auto& [name, shape] : port)
        if (!upstream.count(name)) extra.push_back(name);
    INFO("first missing: " << (missing.empty() ? "-" : missing[0]) << "; first extra: "
                           << (extra.empty() ? "-" : extra[0]) << "; first misshapen: "
                           << (misshapen.empty() ? "-" : misshapen[0]));
    CHECK(missing.empty());
    CHECK(extra.empty());
    CHECK(misshapen.empty());
}

} // namespace

TEST_CASE("At full size (LTX-2.3 22B) the loaders expect exactly the upstream tensor tables") {
    // The tables and the header come from the upstream networks built on the meta device
    // (tests/fixtures/ltx2/README.md); here the port is built the same way, so no memory is spent.
    std::ifstream headerFile(std::string(TANDEM_LTX2_FIXTURES) + "/transformer-22b-header.json");
    std::stringstream header;
    header << headerFile.rdbuf();
    auto config = parseTransformerConfig(header.str(), "released header");
    CHECK(config.layers == 48);
    CHECK(config.width() == 4096);
    CHECK(config.audioWidth() == 2048);
    const auto meta = torch::TensorOptions().device(torch::kMeta);

    auto upstream = readTable("transformer-22b.tsv");
    REQUIRE(upstream.size() == 4186);
    AvTransformer transformer(config, meta);
    std::map<std::string, std::vector<int64_t>> port;
    int64_t transformerParameters = 0;
    listTensors(*transformer, "model.diffusion_model.", port, transformerParameters);
    checkSameTable(upstream, port);
    CHECK(transformerParameters == Approx(18.99e9).epsilon(0.001));

    auto upstreamText = readTable("text-22b.tsv");
    REQUIRE(upstreamText.size() == 262);
    auto connectorConfig = parseConnectorConfig(header.str(), "released header");
    CHECK(connectorConfig.layers == 8);
    CHECK(connectorConfig.registers == 128);
    TextConnectors text(connectorConfig, 48 + 1, config.width(), config.audioWidth(), meta);
    std::map<std::string, std::vector<int64_t>> portText;
    int64_t textParameters = 0;
    listTensors(*text->projection, "text_embedding_projection.", portText, textParameters);
    listTensors(*text->video, "model.diffusion_model.video_embeddings_connector.", portText, textParameters);
    listTensors(*text->audio, "model.diffusion_model.audio_embeddings_connector.", portText, textParameters);
    checkSameTable(upstreamText, portText);
    CHECK(textParameters == Approx(3.17e9).epsilon(0.002));

    // The video VAE (header reconstructed from public converters, see the README), both halves.
    std::ifstream vaeFile(std::string(TANDEM_LTX2_FIXTURES) + "/video-vae-22b-header.json");
    std::stringstream vaeHeader;
    vaeHeader << vaeFile.rdbuf();
    auto vae = parseVideoVaeConfig(vaeHeader.str(), "LTX-2.3 VAE header");
    auto upstreamVae = readTable("video-vae-22b.tsv");
    REQUIRE(upstreamVae.size() == 170);
    VideoDecoder decoder(vae, meta);
    VideoEncoder encoder(vae, meta);
    CHECK(decoder->scale().time == 8);
    CHECK(decoder->scale().space == 32);
    CHECK(encoder->scale().space == 32);
    std::map<std::string, std::vector<int64_t>> portVae;
    int64_t vaeParameters = 0;
    listTensors(*decoder->body, "vae.decoder.", portVae, vaeParameters);
    listTensors(*encoder->body, "vae.encoder.", portVae, vaeParameters);
    listTensors(*decoder->statistics, "vae.per_channel_statistics.", portVae, vaeParameters, true);
    checkSameTable(upstreamVae, portVae);
    CHECK(vaeParameters == Approx(726.1e6).epsilon(0.001));
}

namespace {

struct SamplerFixture {
    SafetensorsFile file{std::string(TANDEM_LTX2_FIXTURES) + "/sampler.safetensors"};
    torch::Tensor operator[](const std::string& name) const { return readTensor(file, name); }
    nlohmann::json info() const { return nlohmann::json::parse(file.metadata().at("fixture")); }

    static GuiderParams params(const nlohmann::json& j) {
        GuiderParams p;
        p.cfg = j.at("cfg_scale");
        p.stg = j.at("stg_scale");
        p.stgBlocks = j.at("stg_blocks").get<std::vector<int>>();
        p.rescale = j.at("rescale_scale");
        p.modality = j.at("modality_scale");
        p.skipStep = j.at("skip_step");
        return p;
    }
    LatentState state(const std::string& which) const {
        const auto& f = *this;
        return {f["run." + which + ".noised"], f["run." + which + ".mask"], f["run." + which + ".clean"],
                f["run." + which + ".positions"]};
    }
    GuidedDenoiser denoiser() const {
        const auto& f = *this;
        return GuidedDenoiser(f["run.video.context"], f["run.audio.context"], f["run.video.negative"],
                              f["run.audio.negative"], params(info().at("video_guider")),
                              params(info().at("audio_guider")));
    }
};

} // namespace

TEST_CASE("LTX-2 sigma schedules match upstream (shifted and stretched, and the distilled values)") {
    SamplerFixture f;
    const auto info = f.info(); // a named copy: the loop must not iterate into a destroyed temporary
    for (const auto& entry : info.at("schedules")) {
        const int steps = entry.at(0);
        const int64_t tokens = entry.at(1);
        INFO(steps << " steps, " << tokens << " tokens");
        auto want = f["schedule." + std::to_string(steps) + "." + std::to_string(tokens)];
        auto got = ltx2Sigmas(steps, tokens);
        // The stretch divides by 1 − σ at the last step, which amplifies float32 rounding for many tokens
        // (an optimisation level alone moves the 17 280-token schedule by 7e-6): bound it relatively.
        CHECK(relativeError(got, want) <= 1e-5);
        CHECK(got[0].item<float>() == want[0].item<float>()); // 0.99999976, as PyTorch's scalar ÷ tensor gives
        CHECK(got[steps - 1].item<double>() == Approx(0.1)); // stretched to the terminal σ
    }
    CHECK(torch::equal(distilledSigmas(), f["schedule.distilled"]));
    CHECK(torch::equal(distilledStage2Sigmas(), f["schedule.distilled_stage2"]));
    CHECK(ltx23VideoGuider().stgBlocks == std::vector<int>{28});
    CHECK(ltx23AudioGuider().cfg == 7.0);
}

TEST_CASE("LTX-2.3 guided denoising (CFG, STG, isolated modality, rescale) matches upstream step and run") {
    torch::NoGradGuard noGrad;
    SamplerFixture f;
    Fixture weights;
    auto model = loadTransformer(weights.file);
    auto video = f.state("video"), audio = f.state("audio");
    auto sigmas = f["run.sigmas"];

    SECTION("the first step's passes and guided estimate") {
        auto denoiser = f.denoiser();
        auto d = denoiser(model, video, audio, sigmas, 0);
        CHECK(relativeError(d.videoCond, f["run.first.video.cond"]) <= 1e-4);
        CHECK(relativeError(d.videoUncond, f["run.first.video.uncond"]) <= 1e-4);
        CHECK(relativeError(d.videoPerturbed, f["run.first.video.ptb"]) <= 1e-4);
        CHECK(relativeError(d.videoIsolated, f["run.first.video.mod"]) <= 1e-4);
        CHECK(relativeError(d.video, f["run.first.video.denoised"]) <= 1e-4);
        CHECK(relativeError(d.audio, f["run.first.audio.denoised"]) <= 1e-4);
        // Guidance does something: the guided estimate is not the conditioned one.
        CHECK(relativeError(d.video, d.videoCond) > 1e-2);
    }
    SECTION("the whole run, known latents kept") {
        auto denoiser = f.denoiser();
        int stepsSeen = 0;
        denoise(model, video, audio, sigmas, denoiser, [&](int step, int steps) {
            stepsSeen = step;
            CHECK(steps == 4);
        });
        CHECK(stepsSeen == 4);
        CHECK(relativeError(video.latent, f["run.video.final"]) <= 1e-4);
        CHECK(relativeError(audio.latent, f["run.audio.final"]) <= 1e-4);
        auto known = f["run.video.mask"].squeeze(-1) == 0;
        CHECK(torch::equal(video.latent.index({known}), f["run.video.clean"].index({known})));
    }
}

TEST_CASE("LTX-2.3 text path after the encoder (projection, registers, connectors) matches upstream") {
    torch::NoGradGuard noGrad;
    SafetensorsFile file(std::string(TANDEM_LTX2_FIXTURES) + "/text.safetensors");
    auto connectors = loadTextConnectors(file);
    CHECK(connectors->config.gated_attention);
    CHECK(connectors->config.registers == 4);
    auto hidden = readTensor(file, "input.hidden_states"), mask = readTensor(file, "input.mask");
    auto out = connectors->forward(hidden, mask);
    CHECK(relativeError(out.video, readTensor(file, "output.video")) <= 1e-4);
    CHECK(relativeError(out.audio, readTensor(file, "output.audio")) <= 1e-4);
    // Registers fill the padding, so every position of the context is attended to.
    CHECK(readTensor(file, "output.mask").min().item<float>() == 1.0f);
    // The padding matters: read as prompt tokens, the left-padded prompt gives other contexts.
    auto unpadded = connectors->forward(hidden, torch::ones_like(mask));
    CHECK(relativeError(unpadded.video[1], readTensor(file, "output.video")[1]) > 1e-2);
    CHECK_THROWS_WITH(connectors->forward(hidden.narrow(1, 0, 6), mask.narrow(1, 0, 6)),
                      Catch::Contains("not a multiple"));
}

TEST_CASE("LTX-2 audio VAE decoder (causal, pixel norm, un-normalised latents) matches upstream") {
    torch::NoGradGuard noGrad;
    SafetensorsFile file(std::string(TANDEM_LTX2_FIXTURES) + "/audio_vae.safetensors");
    auto decoder = loadAudioDecoder(file);
    auto latent = readTensor(file, "input.latent");
    auto mel = decoder->forward(latent);
    CHECK(mel.size(2) == 4 * latent.size(2) - 3); // n latent frames → 4n − 3 mel frames
    CHECK(relativeError(mel, readTensor(file, "output.mel")) <= 1e-4);
    // Causal along time: the first mel frames do not depend on later latent frames.
    auto changed = latent.clone();
    changed.narrow(2, 4, 3).add_(1.0);
    auto early = decoder->forward(changed).narrow(2, 0, 8);
    CHECK(relativeError(early, mel.narrow(2, 0, 8)) <= 1e-6);
    CHECK(relativeError(decoder->forward(changed), mel) > 1e-2);
}

TEST_CASE("LTX-2 audio VAE encoder and its front end (resample, Slaney log mel) match upstream") {
    torch::NoGradGuard noGrad;
    SafetensorsFile file(std::string(TANDEM_LTX2_FIXTURES) + "/audio_encoder.safetensors");
    auto encoder = loadAudioEncoder(file, checkpointHeader(file), "audio_vae.");
    CHECK(encoder->config.n_fft == 512); // read from the header's "filter_length"
    auto waveform = readTensor(file, "input.waveform");
    CHECK(relativeError(resampleAudio(waveform, 48000, 16000), readTensor(file, "output.resampled")) <= 1e-5);
    CHECK(relativeError(resampleAudio(readTensor(file, "input.mono_44100"), 44100, 16000),
                        readTensor(file, "output.mono_16000")) <= 1e-5);
    auto mel = logMelSpectrogram(waveform, 48000, encoder->config);
    CHECK(relativeError(mel, readTensor(file, "output.mel")) <= 1e-5);
    auto latent = encoder->encode(waveform, 48000);
    CHECK(relativeError(latent, readTensor(file, "output.latent")) <= 1e-4);
    // A mono sound is heard in both channels.
    auto left = waveform.narrow(1, 0, 1);
    CHECK(relativeError(encoder->encode(left, 48000), encoder->encode(torch::cat({left, left}, 1), 48000)) == 0);
    CHECK_THROWS_WITH(encoder->encode(torch::zeros({1, 3, 4800}), 48000), Catch::Contains("3"));
    // Causal along time: the first latent frames do not hear what comes later.
    auto changed = waveform.clone();
    changed.narrow(2, 9600, 4800).mul_(-3.0);
    CHECK(relativeError(encoder->encode(changed, 48000).narrow(2, 0, 4), latent.narrow(2, 0, 4)) <= 1e-5);
    CHECK(relativeError(encoder->encode(changed, 48000), latent) > 1e-2);
}

TEST_CASE("LTX-2.3 vocoder (BigVGAN v2 and the bandwidth extension to 48 kHz) matches upstream") {
    torch::NoGradGuard noGrad;
    SafetensorsFile file(std::string(TANDEM_LTX2_FIXTURES) + "/vocoder.safetensors");
    auto vocoder = loadVocoder(file);
    auto mel = readTensor(file, "input.mel");
    auto wave = vocoder->forward(mel);
    auto want = readTensor(file, "output.waveform");
    CHECK(wave.size(2) == want.size(2));
    CHECK(relativeError(wave, want) <= 1e-4);
    CHECK(wave.abs().max().item<float>() <= 1.0f);
    // Stereo: the two channels come from different mels and differ.
    CHECK(relativeError(wave.select(1, 0), wave.select(1, 1)) > 1e-2);
}

// ---- video VAE ------------------------------------------------------------------------------------

namespace {

// The fixture's inputs, recomputed: sin(0.37 k) over a ramp k in fp32 (generate/video_vae_fixtures.py).
torch::Tensor sinPattern(std::vector<int64_t> shape) {
    int64_t count = 1;
    for (auto size : shape) count *= size;
    return torch::sin(torch::arange(count, torch::kFloat32) * 0.37).reshape(shape);
}

struct VaeFixture {
    SafetensorsFile file{std::string(TANDEM_LTX2_FIXTURES) + "/video_vae.safetensors"};
    torch::Tensor operator[](const std::string& name) const { return readTensor(file, name); }
    VideoDecoder decoder(const std::string& name) const {
        return loadVideoDecoder(file, file.metadata().at(name), name + ".vae.");
    }
    VideoEncoder encoder(const std::string& name) const {
        return loadVideoEncoder(file, file.metadata().at(name), name + ".vae.");
    }
};

} // namespace

TEST_CASE("LTX-2.3 video VAE decoder matches upstream, whole and tile by tile") {
    torch::NoGradGuard noGrad;
    VaeFixture f;
    auto decoder = f.decoder("decoder23");
    CHECK(decoder->scale().time == 8);
    CHECK(decoder->scale().space == 8); // patch size 1 in the fixture; 4 (32×) in the released file
    auto video = decoder->forward(sinPattern({1, 4, 2, 2, 3}));
    CHECK(video.sizes() == torch::IntArrayRef({1, 3, 9, 16, 24})); // 8(F' − 1) + 1 frames
    CHECK(relativeError(video, f["decoder23.output.video"]) <= 1e-4);

    // Tiles of 3 latent frames (24) overlapping by 1, and 2 × 2 latent cells overlapping by 1.
    std::vector<torch::Tensor> chunks;
    VaeTiling tiling{AxisTiling::bySize(24, 8), AxisTiling::bySize(16, 8), AxisTiling::bySize(16, 8)};
    decoder->decodeTiled(sinPattern({1, 4, 4, 3, 3}), tiling, [&](const torch::Tensor& c) { chunks.push_back(c); });
    auto counts = f["decoder23.output.tiled_chunk_frames"];
    REQUIRE(chunks.size() == static_cast<size_t>(counts.numel()));
    for (size_t i = 0; i < chunks.size(); ++i) CHECK(chunks[i].size(0) == counts[static_cast<int64_t>(i)].item<int>());
    CHECK(relativeError(torch::cat(chunks, 0), f["decoder23.output.tiled_video"]) <= 1e-4);

    // Tile sizes the VAE grid cannot cut are refused, not rounded.
    CHECK_THROWS_AS(decoder->decodeTiled(sinPattern({1, 4, 4, 3, 3}),
                                         {AxisTiling::bySize(20, 8), {}, {}}, [](const torch::Tensor&) {}),
                    std::invalid_argument);
}

TEST_CASE("LTX-2 video VAE decoder with timestep conditioning, reflection, attention and a residual stage") {
    torch::NoGradGuard noGrad;
    VaeFixture f;
    auto decoder = f.decoder("decoder20");
    auto video = decoder->forward(sinPattern({2, 4, 2, 2, 2}), f["decoder20.input.timestep"], f["decoder20.input.noise"]);
    CHECK(relativeError(video, f["decoder20.output.video"]) <= 1e-4);
    // The timestep matters: the same latent and noise decoded at another timestep differ.
    auto other = decoder->forward(sinPattern({2, 4, 2, 2, 2}), torch::tensor({0.3f, 0.05f}), f["decoder20.input.noise"]);
    CHECK(relativeError(other, video) > 1e-3);
}

TEST_CASE("LTX-2.3 video VAE encoder matches upstream, whole and tile by tile") {
    torch::NoGradGuard noGrad;
    VaeFixture f;
    auto encoder = f.encoder("encoder23");
    auto latent = encoder->forward(sinPattern({1, 3, 9, 32, 32}));
    CHECK(relativeError(latent, f["encoder23.output.latent"]) <= 1e-4);
    // A frame beyond the last 8k + 1 is dropped, as upstream does.
    CHECK(relativeError(encoder->forward(sinPattern({1, 3, 10, 32, 32}).narrow(2, 0, 10)).narrow(2, 0, 1),
                        encoder->forward(sinPattern({1, 3, 10, 32, 32}).narrow(2, 0, 9)).narrow(2, 0, 1)) <= 1e-6);
    VaeTiling tiling{AxisTiling::byCount(2, 1), AxisTiling::byCount(2, 1), AxisTiling::byCount(2, 1)};
    auto tiled = encoder->encodeTiled(sinPattern({1, 3, 25, 48, 48}), tiling);
    CHECK(relativeError(tiled, f["encoder23.output.tiled_latent"]) <= 1e-4);
    // Size-based encoder tiles need upstream's minimum overlap (16 frames, 64 pixels).
    CHECK_THROWS_AS(encoder->encodeTiled(sinPattern({1, 3, 25, 48, 48}), {{}, AxisTiling::bySize(32, 16), {}}),
                    std::invalid_argument);
}

TEST_CASE("A video VAE header this port does not implement is refused by name") {
    auto refusal = [](const std::string& vae) {
        try {
            parseVideoVaeConfig("{\"vae\": " + vae + "}", "test.safetensors");
        } catch (const CheckpointError& e) {
            return std::string(e.what());
        }
        return std::string("accepted");
    };
    const std::string blocks = R"("decoder_blocks": [["res_x", 1]])";
    CHECK_THAT(refusal(R"({"_class_name": "CausalDiffusionVAE", )" + blocks + "}"),
               Catch::Contains("CausalDiffusionVAE") && Catch::Contains("not implemented"));
    CHECK_THAT(refusal(R"({"norm_layer": "group_norm", )" + blocks + "}"), Catch::Contains("group_norm"));
    CHECK_THAT(refusal(R"({"decoder_blocks": [["res_x", {"num_layers": 2, "inject_noise": true}]]})"),
               Catch::Contains("noise injection"));
    CHECK_THAT(refusal(R"({"decoder_blocks": [["warp", 1]]})"), Catch::Contains("unknown video VAE block \"warp\""));
    CHECK_THAT(refusal(R"({"decoder_blocks": "res_x"})"), Catch::Contains("no decoder_blocks"));
    CHECK_THAT(refusal(R"({"dims": 2, )" + blocks + "}"), Catch::Contains("3-D"));
    CHECK(refusal(R"({"spatial_padding_mode": "zeros", )" + blocks + "}") == "accepted");
}

TEST_CASE("A ComfyUI split video VAE file (bare names, extra statistics) loads like the single file") {
    torch::NoGradGuard noGrad;
    VaeFixture f;
    // decoder23's tensors renamed as a split VAE file names them, plus the statistics upstream stores but
    // never reads; its header as the file's "config".
    std::map<std::string, torch::Tensor> tensors;
    for (const auto& [key, view] : f.file.tensors()) {
        const std::string from = "decoder23.vae.";
        if (key.rfind(from, 0) == 0) tensors[key.substr(from.size())] = readTensor(f.file, key).to(torch::kFloat32);
    }
    tensors["per_channel_statistics.channel"] = torch::arange(4, torch::kFloat32);
    tensors["per_channel_statistics.mean-of-stds"] = torch::ones({4});
    std::vector<TensorToWrite> out;
    for (const auto& [key, t] : tensors)
        out.push_back({key, DType::F32, t.sizes().vec(), t.data_ptr(), static_cast<size_t>(t.numel()) * 4});
    auto path = (std::filesystem::temp_directory_path() / "tandem-ltx2-split-vae.safetensors").string();
    writeSafetensors(path, out, {{"config", f.file.metadata().at("decoder23")}});
    SafetensorsFile split(path);
    CHECK(videoVaePrefix(split).empty());
    auto decoder = loadVideoDecoder(split);
    CHECK(relativeError(decoder->forward(sinPattern({1, 4, 2, 2, 3})), f["decoder23.output.video"]) <= 1e-4);
    // The file holds no encoder: asking for one names what is missing.
    CHECK_THROWS_WITH(loadVideoEncoder(split), Catch::Contains("no encoder blocks"));

    // Without its header the file is refused by name.
    writeSafetensors(path, out, {});
    SafetensorsFile headerless(path);
    CHECK_THROWS_WITH(loadVideoDecoder(headerless), Catch::Contains("no \"config\""));
    std::filesystem::remove(path);
}

// ---- Gemma 3 (the text encoder) ---------------------------------------------------------------------

TEST_CASE("Gemma's tokenizer gives SentencePiece's own ids, and LTX-2's left-padded batch") {
    const std::string dir = std::string(TANDEM_LTX2_FIXTURES) + "/gemma";
    SafetensorsFile reference(std::string(TANDEM_LTX2_FIXTURES) + "/gemma_reference.safetensors");
    GemmaTokenizer tokenizer(dir + "/tokenizer.model", TANDEM_SPM_HELPER);
    const auto prompts = nlohmann::json::parse(reference.metadata().at("prompts")).get<std::vector<std::string>>();
    const auto ids = nlohmann::json::parse(reference.metadata().at("ids")).get<std::vector<std::vector<int>>>();
    REQUIRE(prompts.size() == ids.size());
    for (size_t i = 0; i < prompts.size(); ++i) {
        INFO(prompts[i]);
        CHECK(tokenizer.encode(prompts[i]) == ids[i]);
    }
    const auto inputs =
        nlohmann::json::parse(reference.metadata().at("input_prompts")).get<std::vector<std::string>>();
    auto batch = tokenizer.tokenizeForLtx(inputs, 24);
    CHECK(torch::equal(batch.ids, readTensor(reference, "input.ids")));
    CHECK(torch::equal(batch.mask.to(torch::kFloat32), readTensor(reference, "input.mask")));
    CHECK(batch.ids[0][24 - batch.mask[0].sum().item<int>()].item<int>() == tokenizer.bos());
    // Whitespace around a prompt does not change it; a long prompt is cut at the length.
    CHECK(torch::equal(tokenizer.tokenizeForLtx({"  \n" + inputs[0] + " \t"}, 24).ids, batch.ids.narrow(0, 0, 1)));
    CHECK(tokenizer.tokenizeForLtx({inputs[1] + inputs[1]}, 24).mask.sum().item<int>() == 24);
    CHECK_THROWS_WITH(GemmaTokenizer(dir + "/config.json", TANDEM_SPM_HELPER), Catch::Contains("not a SentencePiece"));
    CHECK_THROWS_WITH(GemmaTokenizer(dir + "/absent.model", TANDEM_SPM_HELPER), Catch::Contains("missing"));
}

TEST_CASE("Gemma 3 hidden states match Google's reference implementation (tiny, random weights)") {
    torch::NoGradGuard noGrad;
    const std::string dir = std::string(TANDEM_LTX2_FIXTURES) + "/gemma";
    SafetensorsFile reference(std::string(TANDEM_LTX2_FIXTURES) + "/gemma_reference.safetensors");
    auto folder = Gemma3Folder::open(dir);
    CHECK(folder.prefix == "language_model.model.");
    CHECK(folder.shards.size() == 2);
    CHECK(folder.config.sliding == std::vector<bool>{true, true, false});
    CHECK(folder.config.rope_factor == 8.0);
    auto gemma = loadGemma3(folder);
    auto mask = readTensor(reference, "input.mask");
    auto states = gemma->forward(readTensor(reference, "input.ids"), mask);
    REQUIRE(states.size() == 4);
    auto prompt = mask.to(torch::kBool); // rows of padding carry no meaning
    for (size_t i = 0; i < states.size(); ++i) {
        INFO("hidden state " << i);
        auto want = readTensor(reference, "output.hidden." + std::to_string(i));
        CHECK(relativeError(states[i].index({prompt}), want.index({prompt})) <= 1e-4);
        CHECK(torch::isfinite(states[i]).all().item<bool>());
    }
}

TEST_CASE("A Gemma folder that is not Gemma 3, or misses a weight file, is refused by name") {
    auto refusal = [](const std::string& config) {
        try {
            parseGemma3Config(config, "config.json");
        } catch (const CheckpointError& e) {
            return std::string(e.what());
        }
        return std::string("accepted");
    };
    CHECK_THAT(refusal(R"({"model_type": "gemma4"})"), Catch::Contains("not Gemma 3"));
    CHECK_THAT(refusal(R"({"model_type": "gemma3", "text_config": {"attn_logit_softcapping": 50.0}})"),
               Catch::Contains("soft-capping"));
    CHECK_THAT(refusal(R"({"model_type": "gemma3", "text_config": {"rope_scaling": {"rope_type": "yarn"}}})"),
               Catch::Contains("yarn"));
    CHECK_THAT(refusal("not json"), Catch::Contains("not JSON"));
    // The released 12B config.json relies on defaults: 48 layers, every sixth global, 11.77 B parameters.
    auto c = parseGemma3Config(R"({"model_type": "gemma3", "text_config": {"hidden_size": 3840,
        "intermediate_size": 15360, "model_type": "gemma3_text", "num_attention_heads": 16, "num_hidden_layers": 48,
        "num_key_value_heads": 8, "rope_scaling": {"factor": 8.0, "rope_type": "linear"}, "sliding_window": 1024}})",
                               "gemma-3-12b-it/config.json");
    CHECK(c.states() == 49);
    CHECK(c.head_dim == 256);
    CHECK(std::count(c.sliding.begin(), c.sliding.end(), false) == 8);
    Gemma3 full(c, torch::TensorOptions().device(torch::kMeta));
    int64_t parameters = 0;
    for (const auto& p : full->parameters()) parameters += p.numel();
    CHECK(parameters == Approx(11.766e9).epsilon(0.001));

    // A shard the index lists but the folder lacks.
    const auto copy = std::filesystem::temp_directory_path() / "tandem-gemma-missing-shard";
    std::filesystem::remove_all(copy);
    std::filesystem::copy(std::string(TANDEM_LTX2_FIXTURES) + "/gemma", copy);
    std::filesystem::remove(copy / "model-00002-of-00002.safetensors");
    CHECK_THROWS_WITH(Gemma3Folder::open(copy.string()),
                      Catch::Contains("model-00002-of-00002.safetensors") && Catch::Contains("missing"));
    std::filesystem::remove_all(copy);
}

// ---- the whole path: a tiny complete checkpoint, text → shot ---------------------------------------

TEST_CASE("A tiny complete LTX-2.3 checkpoint makes a shot with sound from a prompt, and damaged copies are refused") {
    const std::string fixtures = TANDEM_LTX2_FIXTURES;
    auto model = LtxModel::load(fixtures + "/ltx-tiny.safetensors");
    LtxTextEncoder text(fixtures + "/gemma", {}, TANDEM_SPM_HELPER);
    CHECK(model.videoScale().time == 8);
    CHECK(model.videoScale().space == 8);

    LtxShotRequest r;
    r.prompt = "A red circle and a blue wall.";
    r.negative_prompt = "blurry";
    r.frames = 17;
    r.width = 24;
    r.height = 16;
    r.steps = 3;
    r.seed = 5;
    r.prompt_length = 24;
    r.video_guider.stgBlocks = {1}; // the tiny model has 2 blocks (the released one perturbs block 28)
    r.audio_guider.stgBlocks = {1};
    int steps = 0;
    auto shot = generateShot(model, text, r, [&](int, int) { ++steps; });
    CHECK(steps == 3);
    CHECK(shot.frames.sizes() == torch::IntArrayRef({17, 16, 24, 3}));
    CHECK(shot.sample_rate == 48000);
    REQUIRE(shot.audio.dim() == 2);
    CHECK(shot.audio.size(0) == 2);
    // 17 frames at 24 fps carry round(17/24 · 25) = 18 audio latents: 4 · 18 − 3 mel frames of 10 ms.
    CHECK(shot.audio.size(1) == (4 * 18 - 3) * 480);
    CHECK(torch::isfinite(shot.frames).all().item<bool>());
    CHECK(torch::isfinite(shot.audio).all().item<bool>());
    CHECK(shot.frames.std().item<double>() > 1e-3);

    // The same request gives the same shot; another prompt or seed gives another.
    auto again = generateShot(model, text, r);
    CHECK(torch::equal(again.frames, shot.frames));
    r.prompt = "Thunder over a harbour at night.";
    CHECK(relativeError(generateShot(model, text, r).frames, shot.frames) > 1e-3);

    // Requests that do not fit the model are refused before any work.
    r.frames = 16;
    CHECK_THROWS_WITH(generateShot(model, text, r), Catch::Contains("8k + 1"));
    r.frames = 17;
    r.width = 20;
    CHECK_THROWS_WITH(generateShot(model, text, r), Catch::Contains("multiples of 8"));
    r.width = 24;
    r.video_guider.stgBlocks = {28};
    CHECK_THROWS_WITH(generateShot(model, text, r), Catch::Contains("STG block 28"));

    // Damaged copies: cut short, and with the header removed.
    const auto dir = std::filesystem::temp_directory_path();
    const auto truncated = (dir / "tandem-ltx-tiny-truncated.safetensors").string();
    std::filesystem::copy_file(fixtures + "/ltx-tiny.safetensors", truncated,
                               std::filesystem::copy_options::overwrite_existing);
    std::filesystem::resize_file(truncated, std::filesystem::file_size(truncated) / 2);
    CHECK_THROWS_AS(LtxModel::load(truncated), CheckpointError);
    SafetensorsFile original(fixtures + "/ltx-tiny.safetensors");
    std::vector<torch::Tensor> keep;
    std::vector<TensorToWrite> out;
    for (const auto& [key, view] : original.tensors()) {
        keep.push_back(readTensor(original, key).to(torch::kFloat32).contiguous());
        out.push_back({key, DType::F32, keep.back().sizes().vec(), keep.back().data_ptr(),
                       static_cast<size_t>(keep.back().numel()) * 4});
    }
    const auto headerless = (dir / "tandem-ltx-tiny-headerless.safetensors").string();
    writeSafetensors(headerless, out, {});
    CHECK_THROWS_WITH(LtxModel::load(headerless), Catch::Contains("config"));
    std::filesystem::remove(truncated);
    std::filesystem::remove(headerless);
}

namespace {

// The tiny checkpoint's tensors whose names start with one of `prefixes`, renamed by `rename`, written
// as fp32 (bf16 widens exactly) to `path` with `metadata`.
void writePart(const SafetensorsFile& from, const std::string& path, const std::vector<std::string>& prefixes,
               const std::function<std::string(const std::string&)>& rename,
               const std::map<std::string, std::string>& metadata) {
    std::vector<torch::Tensor> keep;
    std::vector<TensorToWrite> out;
    for (const auto& [key, view] : from.tensors()) {
        if (std::none_of(prefixes.begin(), prefixes.end(), [&](const auto& p) { return key.rfind(p, 0) == 0; }))
            continue;
        keep.push_back(readTensor(from, key).to(torch::kFloat32).contiguous());
        out.push_back({rename(key), DType::F32, keep.back().sizes().vec(), keep.back().data_ptr(),
                       static_cast<size_t>(keep.back().numel()) * 4});
    }
    writeSafetensors(path, out, metadata);
}

std::string section(const nlohmann::json& header, std::initializer_list<const char*> names) {
    nlohmann::json out = nlohmann::json::object();
    for (const char* n : names) out[n] = header.at(n);
    return out.dump();
}

} // namespace

TEST_CASE("ComfyUI-style split files in a folder load like the single file, parts recognised by their tensors") {
    const std::string fixtures = TANDEM_LTX2_FIXTURES;
    SafetensorsFile single(fixtures + "/ltx-tiny.safetensors");
    const auto header = nlohmann::json::parse(single.metadata().at("config"));
    const auto dir = std::filesystem::temp_directory_path() / "tandem-ltx-split";
    std::filesystem::remove_all(dir);
    std::filesystem::create_directories(dir);
    auto same = [](const std::string& k) { return k; };
    auto bare = [](const std::string& prefix) {
        return [prefix](const std::string& k) { return k.substr(prefix.size()); };
    };
    // The diffusion model with its connectors and no header at all (recognised from the tensors); the
    // text projection alone; the video VAE with bare names and its header; the audio VAE and vocoder
    // together with theirs.
    writePart(single, (dir / "diffusion_model.safetensors").string(), {"model.diffusion_model."}, same, {});
    writePart(single, (dir / "text_projection.safetensors").string(), {"text_embedding_projection."}, same, {});
    writePart(single, (dir / "video_vae.safetensors").string(), {"vae."}, bare("vae."),
              {{"config", section(header, {"vae"})}});
    writePart(single, (dir / "audio_vae.safetensors").string(), {"audio_vae.", "vocoder."}, same,
              {{"config", section(header, {"audio_vae", "vocoder"})}});

    LtxTextEncoder text(fixtures + "/gemma", {}, TANDEM_SPM_HELPER);
    auto split = LtxModel::load(dir.string(), {}, 32); // the tiny Gemma is 32 wide
    CHECK(split.recognised == std::vector<std::string>{"transformer"});
    auto whole = LtxModel::load(fixtures + "/ltx-tiny.safetensors");
    CHECK(whole.recognised.empty());
    CHECK(split.transformer->config.layers == 2);
    CHECK(split.transformer->config.heads == 2);
    CHECK(split.transformer->config.head_dim == 8);
    CHECK(split.transformer->config.audio_head_dim == 4);
    CHECK(split.connectors->config.registers == 4);

    LtxShotRequest r;
    r.prompt = "A red circle and a blue wall.";
    r.frames = 9;
    r.width = 16;
    r.height = 16;
    r.steps = 2;
    r.prompt_length = 24;
    r.video_guider.stgBlocks = {1};
    r.audio_guider.stgBlocks = {1};
    auto a = generateShot(split, text, r), b = generateShot(whole, text, r);
    CHECK(torch::equal(a.frames, b.frames));
    CHECK(torch::equal(a.audio, b.audio));

    // Without the text encoder's width the recognised header assumes Gemma 3 12B's 3840, which the tiny
    // projection does not fit: refused, not misread.
    CHECK_THROWS_AS(LtxModel::load(dir.string()), CheckpointError);
    // A part in two files.
    std::filesystem::copy_file(dir / "video_vae.safetensors", dir / "video_vae_copy.safetensors");
    CHECK_THROWS_WITH(LtxModel::load(dir.string(), {}, 32), Catch::Contains("two places hold an LTX-2 video VAE"));
    std::filesystem::remove(dir / "video_vae_copy.safetensors");
    // Headers that describe different models.
    auto otherVae = header;
    otherVae["vae"]["decoder_base_channels"] = 4;
    writePart(single, (dir / "text_projection.safetensors").string(), {"text_embedding_projection."}, same,
              {{"config", section(otherVae, {"vae"})}});
    CHECK_THROWS_WITH(LtxModel::load(dir.string(), {}, 32), Catch::Contains("disagree on the \"vae\" header"));
    writePart(single, (dir / "text_projection.safetensors").string(), {"text_embedding_projection."}, same, {});
    // The audio VAE's header gone: it cannot be recognised from its tensors.
    writePart(single, (dir / "audio_vae.safetensors").string(), {"audio_vae.", "vocoder."}, same, {});
    CHECK_THROWS_WITH(LtxModel::load(dir.string(), {}, 32), Catch::Contains("no \"audio_vae\" header"));
    // A part missing.
    std::filesystem::remove(dir / "audio_vae.safetensors");
    CHECK_THROWS_WITH(LtxModel::load(dir.string(), {}, 32), Catch::Contains("no LTX-2 audio VAE"));
    // A transformer without LTX-2.3's signature and no header (the attention gates gone).
    writePart(single, (dir / "audio_vae.safetensors").string(), {"audio_vae.", "vocoder."}, same,
              {{"config", section(header, {"audio_vae", "vocoder"})}});
    writePart(single, (dir / "diffusion_model.safetensors").string(), {"model.diffusion_model."},
              [](const std::string& k) {
                  return k.find("attn1.to_gate_logits") != std::string::npos ? "unrelated." + k : k;
              },
              {});
    CHECK_THROWS_WITH(LtxModel::load(dir.string(), {}, 32), Catch::Contains("not LTX-2.3's"));
    std::filesystem::remove_all(dir);
}

TEST_CASE("The engine process's LTX-2 model takes Tandem's request: text → shot and image → shot") {
    auto o = tinyEngineOptions();
    LtxServedModel served(o);
    CHECK(served.deviceName() == "cpu");

    ShotRequest request;
    request.prompt = "A red circle and a blue wall.";
    request.seconds = 1.0;
    request.steps = 2;
    request.seed = 3;
    const auto r = served.plan(request).request;
    CHECK(r.frames == 17); // 1 s at 16 fps, rounded to whole latent steps of 8, plus the causal first frame
    CHECK(r.width == 16);
    CHECK(r.steps == 2);
    CHECK(r.video_guider.stgBlocks.empty()); // block 28 does not exist in the 2-block model

    int steps = 0;
    bool cancelled = false;
    const Shot shot = served.generate(request, [&](const StepProgress& p) {
        steps = p.step;
        return true;
    });
    CHECK(steps == 2);
    CHECK(shot.frames == 17);
    CHECK(shot.width == 16);
    CHECK(shot.sample_rate == 48000);
    CHECK(shot.rgb.size() == size_t(17 * 16 * 16 * 3));
    CHECK_FALSE(shot.audio.empty());
    // Cancelling stops the job at the step it is told.
    try {
        served.generate(request, [](const StepProgress&) { return false; });
    } catch (const Cancelled&) {
        cancelled = true;
    }
    CHECK(cancelled);

    // Image → shot takes the source's first frame at the delivery size.
    request.task = Task::Image;
    CHECK_THROWS_WITH(served.plan(request).request, Catch::Contains("needs a source picture"));
    request.source.width = request.source.height = 16;
    request.source.frames = 1;
    request.source.fps = 16;
    request.source.rgb.assign(16 * 16 * 3, 200);
    const auto imageRequest = served.plan(request).request;
    REQUIRE(imageRequest.first_frame.defined());
    CHECK(imageRequest.first_frame.sizes() == torch::IntArrayRef({16, 16, 3}));
    CHECK(imageRequest.first_frame.max().item<double>() == Approx(200.0 / 255));
    CHECK(served.generate(request, {}).frames == 17);

    // Frame 0 of the given picture comes back as given.
    CHECK(std::equal(request.source.rgb.begin(), request.source.rgb.end(), served.generate(request, {}).rgb.begin()));
    // A delivery size off the VAE grid is refused when the model is loaded, not at the first job.
    o.width = 20;
    CHECK_THROWS_WITH(LtxServedModel(o), Catch::Contains("multiples of 8"));
}

TEST_CASE("The engine's LTX-2 model runs every editing task and keeps what the user kept, bit for bit") {
    LtxServedModel served(tinyEngineOptions());
    // A source of 20 frames (not 8k + 1) with its sound at the model's 48 kHz.
    Shot source;
    source.width = source.height = 16;
    source.fps = 16;
    source.frames = 20;
    source.rgb.resize(size_t(20) * 16 * 16 * 3);
    for (size_t i = 0; i < source.rgb.size(); ++i)
        source.rgb[i] = uint8_t((i * 7) % 251);
    source.sample_rate = 48000;
    source.audio.resize(60000);
    for (size_t i = 0; i < source.audio.size(); ++i)
        source.audio[i] = 0.3f * float(std::sin(double(i) * 0.05));
    const size_t frameBytes = 16 * 16 * 3;
    ShotRequest request;
    request.prompt = "A red circle.";
    request.steps = 1;
    request.seed = 5;
    request.source = source;
    auto framesEqual = [&](const Shot& s, int64_t from, int64_t to, int64_t sourceFrom) {
        return std::equal(s.rgb.begin() + from * frameBytes, s.rgb.begin() + to * frameBytes,
                          source.rgb.begin() + sourceFrom * frameBytes);
    };
    auto samplesEqual = [&](const Shot& s, size_t from, size_t to, size_t sourceFrom) {
        return std::equal(s.audio.begin() + from, s.audio.begin() + to, source.audio.begin() + sourceFrom);
    };

    SECTION("inpaint: outside the painted square every pixel is the source's, and so is the sound") {
        request.task = Task::Inpaint;
        request.regenerate_audio = false;
        request.paint_mask.assign(size_t(20) * 16 * 16, 0);
        for (int f = 0; f < 20; ++f)
            for (int y = 0; y < 8; ++y)
                for (int x = 0; x < 8; ++x) request.paint_mask[size_t(f) * 256 + y * 16 + x] = 1;
        const auto plan = served.plan(request);
        CHECK(plan.request.frames == 25); // 20 frames held in 8k + 1
        CHECK(plan.request.audio_frozen); // the sound is kept whole
        CHECK(plan.request.video_generate.sum().item<double>() == 4); // one 8 × 8 cell of each latent frame
        const Shot out = served.generate(request, {});
        REQUIRE(out.frames == 20);
        REQUIRE(out.audio.size() == source.audio.size());
        bool outsideKept = true, insideMade = false;
        for (size_t i = 0; i < out.rgb.size() / 3; ++i) {
            const bool painted = request.paint_mask[i] != 0;
            const bool same = std::equal(out.rgb.begin() + i * 3, out.rgb.begin() + i * 3 + 3, source.rgb.begin() + i * 3);
            if (!painted) outsideKept = outsideKept && same;
            if (painted && !same) insideMade = true;
        }
        CHECK(outsideKept);
        CHECK(insideMade);
        CHECK(out.audio == source.audio);
    }
    SECTION("retake: outside the window both streams are the source's") {
        request.task = Task::Retake;
        request.window_start = 0.5;
        request.window_end = 0.75;
        const auto plan = served.plan(request);
        CHECK(plan.request.video_generate.defined());
        CHECK(plan.request.audio_generate.defined());
        const Shot out = served.generate(request, {});
        REQUIRE(out.frames == 20);
        CHECK(framesEqual(out, 0, 8, 0));
        CHECK(framesEqual(out, 12, 20, 12));
        CHECK_FALSE(framesEqual(out, 8, 12, 8));
        CHECK(samplesEqual(out, 0, 24000, 0));
        CHECK(samplesEqual(out, 36000, 60000, 36000));
        CHECK_FALSE(samplesEqual(out, 24000, 36000, 24000));
        request.regenerate_audio = false; // the pictures alone: the sound frozen
        CHECK(served.plan(request).request.audio_frozen);
    }
    SECTION("extend: the source kept whole, new frames and sound after it") {
        request.task = Task::Extend;
        request.seconds = 1.0;
        request.context_seconds = 0.5;
        const auto plan = served.plan(request);
        CHECK(plan.request.frames == 25);    // 1 context step + the causal frame, 2 new steps
        CHECK(plan.networkFirstFrame == 11); // the source's last 9 frames continue
        const Shot out = served.generate(request, {});
        REQUIRE(out.frames == 36);
        CHECK(framesEqual(out, 0, 20, 0));
        CHECK(samplesEqual(out, 0, source.audio.size(), 0));
        CHECK(out.audio.size() == 108000);
    }
    SECTION("extend before: a shot of its own guided by the source's first frames as keyframes") {
        request.task = Task::Extend;
        request.backward = true;
        request.seconds = 1.0;
        request.context_seconds = 0.5;
        const auto plan = served.plan(request);
        CHECK(plan.request.frames == 17); // 2 new steps and the causal frame
        REQUIRE(plan.request.keyframes.defined());
        CHECK(plan.request.keyframes.size(0) == 9); // 1 context step and its first frame
        CHECK(plan.request.keyframes_index == 17);  // right after the new frames
        const Shot out = served.generate(request, {});
        REQUIRE(out.frames == 37);
        CHECK(framesEqual(out, 17, 37, 0));
        CHECK(samplesEqual(out, 51000, 51000 + source.audio.size(), 0));
        CHECK_FALSE(framesEqual(out, 0, 1, 0));
    }
    SECTION("restyle: the pictures start from the source part-way, the sound is kept") {
        request.task = Task::Restyle;
        request.strength = 0.5;
        const auto plan = served.plan(request);
        CHECK(plan.request.noise_scale == 0.5);
        CHECK(plan.request.audio_frozen);
        const Shot out = served.generate(request, {});
        CHECK(out.frames == 20);
        CHECK(out.audio == source.audio);
        CHECK_FALSE(framesEqual(out, 0, 20, 0));
    }
    SECTION("foley: the pictures kept, the sound made") {
        request.task = Task::Foley;
        CHECK(served.plan(request).request.video_frozen);
        const Shot out = served.generate(request, {});
        CHECK(framesEqual(out, 0, 20, 0));
        CHECK(out.audio.size() == 60000);
        CHECK(out.audio != source.audio);
    }
    SECTION("dub: the voice kept, pictures made for all of it") {
        request.task = Task::Dub;
        request.source.frames = 0;
        request.source.rgb.clear();
        const auto plan = served.plan(request);
        CHECK(plan.request.frames == 25); // 1.25 s of voice: 20 frames, held in 8k + 1
        const Shot out = served.generate(request, {});
        CHECK(out.frames == 25);
        CHECK(samplesEqual(out, 0, source.audio.size(), 0));
    }
    SECTION("what it cannot take is refused by reason") {
        request.task = Task::Foley;
        request.source.sample_rate = 16000;
        request.task = Task::Retake;
        CHECK_THROWS_WITH(served.plan(request), Catch::Contains("48000 Hz"));
        request.source.sample_rate = 48000;
        request.references.push_back(source);
        CHECK_THROWS_WITH(served.plan(request), Catch::Contains("references are not ported"));
        request.references.clear();
        request.source.width = 32;
        CHECK_THROWS_WITH(served.plan(request), Catch::Contains("delivers 16×16"));
    }
}

TEST_CASE("A whole tiny text → video + audio shot matches upstream's one-stage pipeline end to end") {
    // end_to_end.safetensors: upstream's text processor, noiser, schedule, guided Euler loop, video VAE,
    // audio VAE and vocoder on the tiny checkpoint, from the Gemma reference's hidden states. Here the
    // whole path runs from the prompt: tokenizer, Gemma port, and everything after it.
    const std::string fixtures = TANDEM_LTX2_FIXTURES;
    SafetensorsFile f(fixtures + "/end_to_end.safetensors");
    const auto shot = nlohmann::json::parse(f.metadata().at("shot"));
    auto model = LtxModel::load(fixtures + "/ltx-tiny.safetensors");
    LtxTextEncoder text(fixtures + "/gemma", {}, TANDEM_SPM_HELPER);

    LtxShotRequest r = endToEndRequest(shot);
    // Stage by stage, so a difference is found where it starts: the contexts, the denoised latents, and
    // the decoders on upstream's own latents; then the whole run.
    const auto contexts = encodePrompts(model, text, r);
    CHECK(relativeError(contexts.video, readTensor(f, "text.video")) <= 1e-5);
    CHECK(relativeError(contexts.audio, readTensor(f, "text.audio")) <= 1e-5);
    CHECK(relativeError(contexts.video_negative, readTensor(f, "text.video_negative")) <= 1e-5);
    CHECK(relativeError(contexts.audio_negative, readTensor(f, "text.audio_negative")) <= 1e-5);
    const auto latents = sampleLatents(model, contexts, r);
    const auto finalVideo = readTensor(f, "final.video");
    CHECK(torch::equal(ltx2Sigmas(r.steps), readTensor(f, "sigmas")));
    CHECK(relativeError(latents.video.reshape(finalVideo.sizes()), finalVideo) <= 1e-4);
    CHECK(relativeError(latents.audio, readTensor(f, "final.audio")) <= 1e-4);
    const auto decoded = decodeLatents(
        model, {finalVideo.view(latents.video.sizes()), readTensor(f, "final.audio")}, r);
    checkDecoded(decoded.frames, readTensor(f, "output.frames"), "pictures decoded from upstream's latents");
    checkDecoded(decoded.audio, readTensor(f, "output.audio"), "sound decoded from upstream's latents");
    auto out = generateShot(model, text, r);

    checkDecoded(out.frames, readTensor(f, "output.frames"), "the whole shot's pictures");
    checkDecoded(out.audio, readTensor(f, "output.audio"), "the whole shot's sound");
    CHECK(out.sample_rate == shot["sample_rate"].get<int>());
    // Image → shot: the first frame encoded and kept as latent frame 0, the same loop (and seed) after it.
    const auto image = readTensor(f, "image.input");
    {
        const auto H = image.size(0), W = image.size(1);
        auto ys = torch::arange(H, torch::kFloat32).unsqueeze(1).expand({H, W});
        auto xs = torch::arange(W, torch::kFloat32).unsqueeze(0).expand({H, W});
        auto pattern = torch::stack({0.5 + 0.5 * torch::sin(0.3 * xs), 0.5 + 0.5 * torch::cos(0.2 * ys),
                                     (xs + ys) / double(W + H)}, -1);
        CHECK(relativeError(pattern, image) <= 1e-6); // the picture is the one the fixture describes
    }
    r.first_frame = image;
    const auto imageLatents = sampleLatents(model, contexts, r);
    const auto imageVideo = readTensor(f, "image.final.video");
    CHECK(relativeError(imageLatents.video.reshape(imageVideo.sizes()), imageVideo) <= 1e-4);
    CHECK(relativeError(imageLatents.audio, readTensor(f, "image.final.audio")) <= 1e-4);
    const auto imageShot = decodeLatents(model, imageLatents, r);
    checkDecoded(imageShot.frames, readTensor(f, "image.output.frames"), "image → shot pictures");
    checkDecoded(imageShot.audio, readTensor(f, "image.output.audio"), "image → shot sound");
    CHECK(relativeError(imageShot.frames, out.frames) > 1e-3); // the picture changed the shot
    r.first_frame = torch::zeros({4, 4, 3});
    CHECK_THROWS_WITH(sampleLatents(model, contexts, r), Catch::Contains("the first frame must be"));
    r.first_frame = torch::Tensor();

    // Not a shot that any request would match: another seed lands elsewhere.
    r.seed += 1;
    CHECK(relativeError(generateShot(model, text, r).frames, readTensor(f, "output.frames")) > 1e-3);
}

TEST_CASE("Editing with LTX-2 (known pictures and sound, a mask per stream) matches upstream's conditioning") {
    // end_to_end.safetensors again: a clip and a sound encoded by upstream's VAE encoders as the initial
    // latents, then retake (TemporalRegionMask in both streams), inpainting with the sound frozen
    // (VideoConditionByMask), restyle (noise scale 0.6, the sound frozen), foley (the pictures frozen) and
    // keyframes after the shot (VideoConditionByKeyframeIndex).
    torch::NoGradGuard noGrad;
    const std::string fixtures = TANDEM_LTX2_FIXTURES;
    SafetensorsFile f(fixtures + "/end_to_end.safetensors");
    const auto shot = nlohmann::json::parse(f.metadata().at("shot"));
    auto model = LtxModel::load(fixtures + "/ltx-tiny.safetensors");
    REQUIRE(model.audioEncoder);
    const LtxContexts contexts{readTensor(f, "text.video"), readTensor(f, "text.audio"),
                               readTensor(f, "text.video_negative"), readTensor(f, "text.audio_negative")};
    LtxShotRequest base = endToEndRequest(shot);
    base.video_source = readTensor(f, "edit.clip");
    base.audio_source = readTensor(f, "edit.sound");
    base.audio_rate = 48000;
    const auto [lf, lh, lw] = videoLatentGrid(model, base);
    auto expectLatents = [&](const LtxLatents& got, const std::string& name) {
        const auto video = readTensor(f, name + ".final.video");
        const double v = relativeError(got.video.reshape(video.sizes()), video);
        const double a = relativeError(got.audio, readTensor(f, name + ".final.audio"));
        INFO(name << ": video " << v << ", audio " << a);
        CHECK(v <= 1e-4);
        CHECK(a <= 1e-4);
    };

    SECTION("retake: a time window made again in both streams") {
        const auto window = shot["window"].get<std::vector<double>>();
        LtxShotRequest r = base;
        r.video_generate = timeWindowMask(videoPositions(1, lf, lh, lw, r.fps, {8, 8, 8}), window[0], window[1])
                               .view({lf, lh, lw});
        r.audio_generate = timeWindowMask(audioPositions(1, audioLatentFrames(r)), window[0], window[1]);
        CHECK(r.video_generate.sum().item<double>() > 0);
        CHECK(r.video_generate.sum().item<double>() < r.video_generate.numel());
        const auto latents = sampleLatents(model, contexts, r);
        expectLatents(latents, "retake");
        const auto out = decodeLatents(model, latents, r);
        checkDecoded(out.frames, readTensor(f, "retake.output.frames"), "retake pictures");
        checkDecoded(out.audio, readTensor(f, "retake.output.audio"), "retake sound");
        // The kept tokens are the encoded sound, exactly: the sampler never touches them. (This port's
        // encoding is upstream's within rounding, and rounding differs between CPUs.)
        const auto encoded = model.audioEncoder->encode(base.audio_source.unsqueeze(0), 48000);
        const auto tokens =
            encoded.permute({0, 2, 1, 3}).reshape({encoded.size(2), -1}).narrow(0, 0, latents.audio.size(1));
        const auto upstreamTokens = readTensor(f, "edit.audio_latent")[0][0];
        CHECK(relativeError(tokens, upstreamTokens) <= 1e-5);
        auto kept = r.audio_generate == 0;
        CHECK(torch::equal(latents.audio[0].index({kept}), tokens.index({kept})));
    }
    SECTION("inpainting with the sound kept throughout") {
        LtxShotRequest r = base;
        r.video_generate = 1.0 - readTensor(f, "inpaint.keep")[0];
        r.audio_frozen = true;
        const auto latents = sampleLatents(model, contexts, r);
        expectLatents(latents, "inpaint");
        checkDecoded(decodeLatents(model, latents, r).frames, readTensor(f, "inpaint.output.frames"),
                     "inpaint pictures");
    }
    SECTION("restyle: from the pictures noised to σ 0.6") {
        LtxShotRequest r = base;
        r.noise_scale = shot["noise_scale"];
        r.audio_frozen = true;
        CHECK(relativeError(samplingSigmas(r), readTensor(f, "restyle.sigmas")) <= 1e-7);
        const auto latents = sampleLatents(model, contexts, r);
        expectLatents(latents, "restyle");
        checkDecoded(decodeLatents(model, latents, r).frames, readTensor(f, "restyle.output.frames"),
                     "restyle pictures");
    }
    SECTION("foley: the pictures kept throughout, the sound made") {
        LtxShotRequest r = base;
        r.audio_source = torch::Tensor();
        r.video_frozen = true;
        const auto latents = sampleLatents(model, contexts, r);
        expectLatents(latents, "foley");
        checkDecoded(decodeLatents(model, latents, r).audio, readTensor(f, "foley.output.audio"),
                     "foley sound");
    }
    SECTION("keyframes after the shot: extra tokens that guide it and are not part of it") {
        LtxShotRequest r = base;
        r.video_source = torch::Tensor();
        r.audio_source = torch::Tensor();
        r.keyframes = readTensor(f, "edit.clip");
        r.keyframes_index = shot["keyframe_index"];
        const auto latents = sampleLatents(model, contexts, r);
        const auto video = readTensor(f, "keyframes.final.video");
        const auto shotTokens = video.narrow(1, 0, lf * lh * lw);
        const double v = relativeError(latents.video.reshape(shotTokens.sizes()), shotTokens);
        const double a = relativeError(latents.audio, readTensor(f, "keyframes.final.audio"));
        INFO("keyframes: video " << v << ", audio " << a);
        CHECK(v <= 1e-4);
        CHECK(a <= 1e-4);
        checkDecoded(decodeLatents(model, latents, r).frames, readTensor(f, "keyframes.output.frames"),
                     "keyframes pictures");
        r.keyframes_index = 0;
        CHECK_THROWS_WITH(sampleLatents(model, contexts, r), Catch::Contains("index ≥ 1"));
        r.keyframes_index = 9;
        r.keyframes = r.keyframes.narrow(0, 0, 4);
        CHECK_THROWS_WITH(sampleLatents(model, contexts, r), Catch::Contains("8k + 1 frames"));
    }
    SECTION("requests that do not fit are refused by reason") {
        LtxShotRequest r = base;
        r.video_generate = torch::ones({1, 1, 1});
        CHECK_THROWS_WITH(sampleLatents(model, contexts, r), Catch::Contains("latent grid"));
        r = base;
        r.audio_generate = torch::ones({3});
        CHECK_THROWS_WITH(sampleLatents(model, contexts, r), Catch::Contains("one value per audio latent frame"));
        r = base;
        r.video_source = torch::zeros({3, 16, 32, 3});
        CHECK_THROWS_WITH(sampleLatents(model, contexts, r), Catch::Contains("known pictures must be"));
        r = base;
        r.audio_source = torch::Tensor();
        r.noise_scale = 0.5;
        CHECK_THROWS_WITH(sampleLatents(model, contexts, r), Catch::Contains("starting part-way"));
        r.audio_frozen = true;
        r.noise_scale = 1;
        CHECK_THROWS_WITH(sampleLatents(model, contexts, r), Catch::Contains("kept throughout needs"));
    }
}

TEST_CASE("fp8 checkpoints (e4m3 with scales, e5m2) are decoded and scaled on load") {
    torch::NoGradGuard noGrad;
    // Known bytes of both formats and the values they stand for.
    const std::vector<uint8_t> e4m3{0x00, 0x38, 0x40, 0xB8, 0x01, 0x7E, 0x3C, 0x08};
    const std::vector<float> e4m3Values{0.0f, 1.0f, 2.0f, -1.0f, 1.0f / 512, 448.0f, 1.5f, 1.0f / 64};
    const std::vector<uint8_t> e5m2{0x3C, 0x7B, 0xC0, 0x01};
    const std::vector<float> e5m2Values{1.0f, 57344.0f, -2.0f, 1.0f / 65536};
    const float scale = 0.25f;
    // A module with one [2, 4] weight, stored as e4m3 bytes with a scale, and a [4] bias as e5m2.
    torch::nn::Module module;
    auto weight = module.register_parameter("weight", torch::zeros({2, 4}), false);
    auto bias = module.register_parameter("bias", torch::zeros({4}), false);
    const auto path = (std::filesystem::temp_directory_path() / "tandem-fp8.safetensors").string();
    writeSafetensors(path,
                     {{"layer.weight", DType::F8_E4M3, {2, 4}, e4m3.data(), e4m3.size()},
                      {"layer.weight_scale", DType::F32, {}, &scale, sizeof scale},
                      {"layer.bias", DType::F8_E5M2, {4}, e5m2.data(), e5m2.size()}});
    SafetensorsFile file(path);
    CHECK(torch::equal(readTensor(file, "layer.weight"), torch::tensor(e4m3Values).view({2, 4})));
    loadWeights(module, file, "layer.");
    CHECK(torch::equal(weight, torch::tensor(e4m3Values).view({2, 4}) * scale));
    CHECK(torch::equal(bias, torch::tensor(e5m2Values)));
    // 0x7F is e4m3's NaN: a file holding one is refused by name.
    const std::vector<uint8_t> withNan{0x38, 0x7F, 0x38, 0x38, 0x38, 0x38, 0x38, 0x38};
    writeSafetensors(path, {{"layer.weight", DType::F8_E4M3, {2, 4}, withNan.data(), withNan.size()},
                            {"layer.bias", DType::F8_E5M2, {4}, e5m2.data(), e5m2.size()}});
    SafetensorsFile nanFile(path);
    CHECK_THROWS_WITH(loadWeights(module, nanFile, "layer."), Catch::Contains("NaN"));
    std::filesystem::remove(path);
}
