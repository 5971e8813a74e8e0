#include "model/engine.h"
#include "model/precision.h"
#include "model/sampler.h"

#include "support/gpu.h"
#include "support/tiny_model.h"

#include <catch2/catch.hpp>

#include <cmath>

using namespace tandem::model;

namespace {

ModelConfig smallConfig() { return tandem::test::tinyModelConfig(); }

GenerateRequest request(uint64_t seed) {
    GenerateRequest r;
    r.prompt = "a blue square slides <S>hello<E>";
    r.seconds = 1.0;
    r.steps = 3;
    r.seed = seed;
    return r;
}

} // namespace

TEST_CASE("generate returns frames and samples that span the same time") {
    auto engine = Engine::createUntrained(smallConfig(), EngineOptions{"cpu", 1});
    CHECK_FALSE(engine->hasTrainedWeights());
    std::vector<StepProgress> seen;
    Shot shot = engine->generate(request(1), [&](const StepProgress& p) {
        seen.push_back(p);
        return true;
    });
    CHECK(shot.frames == 16);
    CHECK(shot.width == 32);
    CHECK(shot.rgb.size() == size_t(16 * 32 * 32 * 3));
    CHECK(shot.audio.size() == 16000u);
    CHECK(double(shot.frames) / shot.fps == Approx(double(shot.audio.size()) / shot.sample_rate));
    REQUIRE(seen.size() == 3);
    CHECK(seen.back().step == 3);
    CHECK(seen.back().eta_seconds == Approx(0.0));
}

TEST_CASE("the same seed gives the same shot on the CPU, another seed another shot") {
    auto engine = Engine::createUntrained(smallConfig(), EngineOptions{"cpu", 1});
    Shot a = engine->generate(request(7));
    Shot b = engine->generate(request(7));
    Shot c = engine->generate(request(8));
    CHECK(a.rgb == b.rgb);
    CHECK(a.audio == b.audio);
    CHECK(a.rgb != c.rgb);
}

TEST_CASE("guidance and negative prompt run, and bad requests are refused") {
    auto engine = Engine::createUntrained(smallConfig(), EngineOptions{"cpu", 1});
    GenerateRequest r = request(3);
    r.video_guidance = 4.0;
    r.audio_guidance = 2.0;
    r.negative_prompt = "blurry";
    Shot guided = engine->generate(r);
    CHECK(guided.rgb != engine->generate(request(3)).rgb);
    r.steps = 0;
    CHECK_THROWS_AS(engine->generate(r), std::invalid_argument);
    r.steps = 2;
    r.seconds = -1;
    CHECK_THROWS_AS(engine->generate(r), std::invalid_argument);
}

TEST_CASE("a request that leaves guidance unset runs with the model's own, and the noise floor limits it") {
    ModelConfig guidedConfig = smallConfig();
    guidedConfig.sampler.video_guidance = 4.0;
    guidedConfig.sampler.audio_guidance = 2.0;
    auto plain = Engine::createUntrained(smallConfig(), EngineOptions{"cpu", 1}, 5);
    auto guided = Engine::createUntrained(guidedConfig, EngineOptions{"cpu", 1}, 5); // the same weights
    GenerateRequest explicitly = request(3);
    explicitly.video_guidance = 4.0;
    explicitly.audio_guidance = 2.0;
    const Shot byDefault = guided->generate(request(3));
    CHECK(byDefault.rgb == plain->generate(explicitly).rgb);
    CHECK(byDefault.audio == plain->generate(explicitly).audio);
    CHECK(byDefault.rgb != plain->generate(request(3)).rgb);
    // Explicit values win over the model's.
    GenerateRequest off = request(3);
    off.video_guidance = 1.0;
    off.audio_guidance = 1.0;
    CHECK(guided->generate(off).rgb == plain->generate(request(3)).rgb);

    // A floor above the last steps' noise levels guides the first steps only: neither fully guided nor plain.
    GenerateRequest early = explicitly;
    early.guidance_noise_floor = 0.9;
    const Shot partly = plain->generate(early);
    CHECK(partly.rgb != byDefault.rgb);
    CHECK(partly.rgb != plain->generate(request(3)).rgb);
    early.guidance_noise_floor = 0.0; // every step, as the default
    CHECK(plain->generate(early).rgb == byDefault.rgb);

    // A task's own entry: dub without the picture guidance generate gets; a request's value still wins.
    SamplerConfig sampler;
    sampler.video_guidance = 4.0;
    sampler.tasks["dub"] = GuidanceConfig{1.0, 1.0, 0.0};
    GenerateRequest dub = request(3);
    dub.task = Task::Dub;
    CHECK(resolvedGuidance(dub, sampler).video_guidance == 1.0);
    CHECK(resolvedGuidance(request(3), sampler).video_guidance == 4.0);
    dub.video_guidance = 2.5;
    CHECK(resolvedGuidance(dub, sampler).video_guidance == 2.5);

    GenerateRequest bad = request(3);
    bad.guidance_noise_floor = 2.0;
    CHECK_THROWS_AS(plain->generate(bad), std::invalid_argument);
    bad = request(3);
    bad.video_guidance = -1.0;
    CHECK_THROWS_AS(plain->generate(bad), std::invalid_argument);
}

TEST_CASE("bf16 decoding on the CPU: the same sampled shot within rounding, where the model asks and the CPU has the units") {
    ModelConfig bf16Config = smallConfig();
    bf16Config.sampler.cpu_precision = "bf16";
    auto engine = [&](const ModelConfig& config, const std::string& precision) {
        return Engine::createUntrained(config, EngineOptions{"cpu", 1, false, precision}, 5); // the same weights
    };
    const Shot exact = engine(smallConfig(), "auto")->generate(request(3));
    const Shot rounded = engine(smallConfig(), "bf16")->generate(request(3));
    REQUIRE(exact.rgb.size() == rounded.rgb.size());
    CHECK(exact.rgb != rounded.rgb); // the decoder did run in bf16
    double pixelError = 0;
    for (size_t i = 0; i < exact.rgb.size(); ++i) pixelError += std::abs(int(exact.rgb[i]) - int(rounded.rgb[i]));
    pixelError /= double(exact.rgb.size());
    INFO("mean pixel difference " << pixelError);
    CHECK(pixelError < 2.0); // of 255: bf16's 8-bit mantissa, not another picture
    REQUIRE_FALSE(exact.video_latent.data.empty());
    CHECK(exact.video_latent.data == rounded.video_latent.data); // sampling itself is fp32's, bit for bit
    CHECK(exact.audio == rounded.audio);                 // and so is the sound (the audio decoder is fp32)
    CHECK(engine(smallConfig(), "bf16")->generate(request(3)).rgb == rounded.rgb); // reproducible too

    // A model that asks for bf16 gets it where the CPU has bf16 units, fp32 elsewhere; fp32 can be forced.
    const Shot asked = engine(bf16Config, "auto")->generate(request(3));
    INFO("bf16 units on this CPU: " << cpuHasBf16Units());
    CHECK(asked.rgb == (cpuHasBf16Units() ? rounded.rgb : exact.rgb));
    CHECK(engine(bf16Config, "fp32")->generate(request(3)).rgb == exact.rgb);
    CHECK_THROWS_WITH(engine(smallConfig(), "fp16"), Catch::Contains("cpu precision"));
}

TEST_CASE("a cancelled generation stops within one step") {
    auto engine = Engine::createUntrained(smallConfig(), EngineOptions{"cpu", 1});
    GenerateRequest r = request(1);
    r.steps = 10;
    int calls = 0;
    CHECK_THROWS_AS(engine->generate(r, [&](const StepProgress&) { return ++calls < 2; }), Cancelled);
    CHECK(calls == 2);
}

TEST_CASE("an unknown device is refused") {
    CHECK_THROWS_AS(Engine::createUntrained(smallConfig(), EngineOptions{"tpu", 1}), std::invalid_argument);
}

TEST_CASE("CUDA generation matches the device's own reruns", "[gpu]") {
    TANDEM_SKIP_WITHOUT_GPU();
    auto engine = Engine::createUntrained(smallConfig(), EngineOptions{"cuda", 0});
    CHECK(engine->deviceName() == "cuda");
    Shot a = engine->generate(request(5)), b = engine->generate(request(5));
    CHECK(a.frames == 16);
    CHECK(a.rgb == b.rgb);
    CHECK(a.audio == b.audio);
}

TEST_CASE("with offload the shot is byte for byte the one the model resident on the GPU makes", "[gpu]") {
    TANDEM_SKIP_WITHOUT_GPU();
    // The same weights (same seed), once wholly on the GPU and once with the blocks kept in CPU memory.
    auto resident = Engine::createUntrained(smallConfig(), EngineOptions{"cuda", 0, false});
    auto offloaded = Engine::createUntrained(smallConfig(), EngineOptions{"cuda", 0, true});
    Shot a = resident->generate(request(6)), b = offloaded->generate(request(6));
    CHECK(a.rgb == b.rgb);
    CHECK(a.audio == b.audio);
}
