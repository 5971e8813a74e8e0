// The shipped demo model (resources/models/demo): it loads, knows the world's words, and does every task
// with what the task keeps kept bit for bit.
#include "model/engine.h"
#include "model/model_folder.h"
#include "model/world/world.h"
#include "support/gpu.h"

#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>

using namespace tandem;

namespace {

model::Engine& demo() {
    static auto engine = model::Engine::load(TANDEM_DEMO_MODEL_DIR, {"cpu", 2, false});
    return *engine;
}

// A world clip at the model's geometry, as a source shot.
model::Shot worldShot(uint64_t seed, double seconds) {
    const auto& cfg = demo().config();
    const world::Clip c = world::render(world::randomScene(seed, cfg.video.width, cfg.video.height, cfg.video.fps, cfg.audio.sample_rate, seconds), seed);
    model::Shot s;
    s.width = cfg.video.width;
    s.height = cfg.video.height;
    s.fps = cfg.video.fps;
    s.frames = c.frames;
    s.rgb = c.rgb;
    s.sample_rate = cfg.audio.sample_rate;
    s.audio = c.audio;
    s.audio.resize(size_t(cfg.timeBase().samplesForFrames(c.frames)), 0.f);
    return s;
}

// Mean absolute difference of two shots' pixels (levels of 255) and of their samples.
struct ShotDifference {
    double pixels = 0, samples = 0;
};
ShotDifference difference(const model::Shot& a, const model::Shot& b) {
    ShotDifference d;
    for (size_t i = 0; i < a.rgb.size(); ++i) d.pixels += std::abs(int(a.rgb[i]) - int(b.rgb[i]));
    for (size_t i = 0; i < a.audio.size(); ++i) d.samples += std::abs(double(a.audio[i]) - b.audio[i]);
    d.pixels /= double(a.rgb.size());
    d.samples /= double(a.audio.size());
    return d;
}

bool finiteAndAlive(const std::vector<float>& audio) {
    float lo = 0, hi = 0;
    for (float v : audio) {
        if (!std::isfinite(v)) return false;
        lo = std::min(lo, v), hi = std::max(hi, v);
    }
    return hi - lo > 1e-4f;
}

} // namespace

TEST_CASE("the demo model is the default, loads as trained weights and knows the world's words") {
    CHECK(model::defaultModelDir("") != "");
    const model::ModelFolder folder = model::readModelFolder(TANDEM_DEMO_MODEL_DIR);
    CHECK(folder.config.name == "tandem-demo");
    CHECK(demo().hasTrainedWeights());
    for (const auto& word : world::vocabulary()) CHECK(demo().tokenizer().knownWords().count(word) == 1);
    CHECK(demo().tokenizer().unknownWords("a red circle bounces near a dragon") == std::vector<std::string>{"near", "dragon"});
}

TEST_CASE("the demo model does every task, keeping what each task keeps") {
    const model::Shot source = worldShot(11, 1.0);
    const std::string prompt = world::caption(world::randomScene(11, 128, 128, 16, 16000, 1.0));
    auto request = [&](model::Task task) {
        model::ShotRequest r;
        r.task = task;
        r.prompt = prompt;
        r.seconds = 1.0;
        r.steps = 4;
        r.seed = 3;
        r.source = source;
        return r;
    };
    const size_t frameBytes = size_t(source.width) * source.height * 3;

    SECTION("generate") {
        model::ShotRequest r = request(model::Task::Generate);
        r.source = {};
        const model::Shot s = demo().generate(r);
        CHECK(s.frames == 16);
        CHECK(finiteAndAlive(s.audio));
    }
    SECTION("image") {
        model::ShotRequest r = request(model::Task::Image);
        r.source.frames = 1;
        r.source.rgb.resize(frameBytes);
        r.source.audio.clear();
        const model::Shot s = demo().generate(r);
        CHECK(std::equal(s.rgb.begin(), s.rgb.begin() + long(frameBytes), source.rgb.begin()));
    }
    SECTION("inpaint") {
        model::ShotRequest r = request(model::Task::Inpaint);
        r.regenerate_audio = false;
        r.paint_mask.assign(size_t(source.frames) * source.width * source.height, 0);
        for (size_t i = 0; i < r.paint_mask.size(); ++i) r.paint_mask[i] = (i % source.width) < size_t(source.width / 2);
        const model::Shot s = demo().generate(r);
        size_t changedOutside = 0;
        for (size_t i = 0; i < r.paint_mask.size(); ++i)
            if (!r.paint_mask[i] && !std::equal(s.rgb.begin() + long(i * 3), s.rgb.begin() + long(i * 3 + 3), source.rgb.begin() + long(i * 3)))
                ++changedOutside;
        CHECK(changedOutside == 0);
        CHECK(s.rgb != source.rgb); // and inside, something was painted
        CHECK(s.audio == source.audio);
    }
    SECTION("retake") {
        model::ShotRequest r = request(model::Task::Retake);
        r.window_start = 0.25;
        r.window_end = 0.75;
        const model::Shot s = demo().generate(r);
        CHECK(std::equal(s.rgb.begin(), s.rgb.begin() + long(4 * frameBytes), source.rgb.begin()));
        CHECK(std::equal(s.audio.begin(), s.audio.begin() + 4000, source.audio.begin()));
    }
    SECTION("extend") {
        model::ShotRequest r = request(model::Task::Extend);
        r.seconds = 0.5;
        const model::Shot s = demo().generate(r);
        CHECK(s.frames == 24);
        CHECK(std::equal(source.rgb.begin(), source.rgb.end(), s.rgb.begin()));
    }
    SECTION("restyle") {
        const model::Shot s = demo().generate(request(model::Task::Restyle));
        CHECK(s.audio == source.audio);
        CHECK(s.rgb != source.rgb);
    }
    SECTION("foley") {
        model::ShotRequest r = request(model::Task::Foley);
        r.source.audio.clear();
        const model::Shot s = demo().generate(r);
        CHECK(s.rgb == source.rgb);
        CHECK(finiteAndAlive(s.audio));
    }
    SECTION("dub") {
        model::ShotRequest r = request(model::Task::Dub);
        r.source.frames = 0;
        r.source.rgb.clear();
        const model::Shot s = demo().generate(r);
        CHECK(s.frames == 16);
        CHECK(s.audio == source.audio);
    }
}

TEST_CASE("on CUDA the demo model makes the CPU's shot up to bf16 rounding and keeps what a task keeps", "[gpu]") {
    TANDEM_SKIP_WITHOUT_GPU();
    auto gpu = model::Engine::load(TANDEM_DEMO_MODEL_DIR, {"cuda", 0, false});
    model::ShotRequest r;
    r.prompt = world::caption(world::randomScene(12, 128, 128, 16, 16000, 1.0));
    r.seconds = 1.0;
    r.steps = 8;
    r.seed = 3;
    const model::Shot onCpu = demo().generate(r), onGpu = gpu->generate(r);
    REQUIRE(onGpu.rgb.size() == onCpu.rgb.size());
    REQUIRE(onGpu.audio.size() == onCpu.audio.size());
    // A seed means the same noise on every device, so the GPU's shot is the CPU's up to rounding (bf16 there,
    // fp32 here): far closer to it than the CPU's shot of another seed is.
    model::ShotRequest other = r;
    other.seed = 4;
    const ShotDifference devices = difference(onGpu, onCpu), seeds = difference(demo().generate(other), onCpu);
    WARN("GPU vs CPU, same seed: pixels " << devices.pixels << " levels, samples " << devices.samples
                                          << "; CPU, seed 4 vs 3: pixels " << seeds.pixels << ", samples " << seeds.samples);
    CHECK(devices.pixels < 0.25 * seeds.pixels);
    CHECK(devices.samples < 0.5 * seeds.samples); // measured on an H100: 0.22 of it (pixels: 0.017)

    // Inpainting on the GPU keeps every pixel outside the mask and the sound bit for bit, as on the CPU.
    const model::Shot source = worldShot(11, 1.0);
    model::ShotRequest inpaint = r;
    inpaint.task = model::Task::Inpaint;
    inpaint.source = source;
    inpaint.regenerate_audio = false;
    inpaint.paint_mask.assign(size_t(source.frames) * source.width * source.height, 0);
    for (size_t i = 0; i < inpaint.paint_mask.size(); ++i) inpaint.paint_mask[i] = (i / source.width) % source.height < size_t(source.height / 2);
    const model::Shot painted = gpu->generate(inpaint);
    REQUIRE(painted.rgb.size() == source.rgb.size());
    size_t changedOutside = 0;
    for (size_t i = 0; i < inpaint.paint_mask.size(); ++i)
        if (!inpaint.paint_mask[i] && !std::equal(painted.rgb.begin() + long(i * 3), painted.rgb.begin() + long(i * 3 + 3), source.rgb.begin() + long(i * 3)))
            ++changedOutside;
    CHECK(changedOutside == 0);
    CHECK(painted.rgb != source.rgb);
    CHECK(painted.audio == source.audio);
}
