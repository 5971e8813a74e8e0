// Every task end to end on a tiny model: output sizes, and kept regions bit-identical to the source.
#include "model/engine.h"

#include "support/tiny_model.h"

#include <catch2/catch.hpp>

#include <random>

using namespace tandem::model;

namespace {

ModelConfig tiny() { return tandem::test::tinyModelConfig(); }

Engine& engine() {
    static auto e = Engine::createUntrained(tiny(), EngineOptions{"cpu", 1}, 5);
    return *e;
}

// A source shot of `frames` frames with random pixels and samples, at the model's geometry.
Shot source(int64_t frames, uint32_t seed = 1) {
    std::mt19937 rng(seed);
    Shot s;
    s.width = 32;
    s.height = 32;
    s.fps = 16;
    s.frames = frames;
    s.rgb.resize(size_t(frames) * 32 * 32 * 3);
    for (auto& b : s.rgb) b = uint8_t(rng());
    s.sample_rate = 16000;
    s.audio.resize(size_t(frames) * 1000);
    std::uniform_real_distribution<float> u(-0.5f, 0.5f);
    for (auto& a : s.audio) a = u(rng);
    return s;
}

ShotRequest base(Task task) {
    ShotRequest r;
    r.task = task;
    r.prompt = "a green circle falls <S>oh<E>";
    r.steps = 2;
    r.seconds = 1;
    r.seed = 11;
    return r;
}

constexpr size_t kFramePixels = 32 * 32;

bool framesEqual(const Shot& a, int64_t fa, const Shot& b, int64_t fb, int64_t count) {
    return std::equal(a.rgb.begin() + fa * kFramePixels * 3, a.rgb.begin() + (fa + count) * kFramePixels * 3,
                      b.rgb.begin() + fb * kFramePixels * 3);
}

} // namespace

TEST_CASE("task names parse and print") {
    for (const char* n : {"generate", "image", "inpaint", "retake", "extend", "restyle", "foley", "dub"}) {
        Task t;
        REQUIRE(parseTask(n, t));
        CHECK(std::string(taskName(t)) == n);
    }
    Task t;
    CHECK_FALSE(parseTask("frobnicate", t));
}

TEST_CASE("image: frame 0 is the given picture, the rest is generated") {
    ShotRequest r = base(Task::Image);
    r.source = source(1);
    const Shot out = engine().generate(r);
    CHECK(out.frames == 16);
    CHECK(out.audio.size() == 16000u);
    CHECK(framesEqual(out, 0, r.source, 0, 1));
    CHECK_FALSE(framesEqual(out, 1, r.source, 0, 1));
}

TEST_CASE("inpaint: pixels outside the mask are the source's, bit for bit — audio kept unless asked") {
    ShotRequest r = base(Task::Inpaint);
    r.source = source(16);
    r.paint_mask.assign(16 * kFramePixels, 0);
    // A 10×6 box on frames 4..9.
    for (int f = 4; f <= 9; ++f)
        for (int y = 8; y < 14; ++y)
            for (int x = 5; x < 15; ++x) r.paint_mask[f * kFramePixels + y * 32 + x] = 255;
    r.regenerate_audio = false;
    const Shot out = engine().generate(r);
    REQUIRE(out.rgb.size() == r.source.rgb.size());
    size_t changedInside = 0;
    for (size_t i = 0; i < r.paint_mask.size(); ++i) {
        const bool same = std::equal(out.rgb.begin() + i * 3, out.rgb.begin() + i * 3 + 3, r.source.rgb.begin() + i * 3);
        if (!r.paint_mask[i]) REQUIRE(same);
        else changedInside += !same;
    }
    CHECK(changedInside > 300);
    CHECK(out.audio == r.source.audio);

    r.regenerate_audio = true;
    CHECK(engine().generate(r).audio != r.source.audio);
}

TEST_CASE("retake: only the window changes, in the modalities asked for") {
    ShotRequest r = base(Task::Retake);
    r.source = source(32);
    r.window_start = 0.5;
    r.window_end = 1.25;
    const Shot both = engine().generate(r);
    CHECK(both.frames == 32);
    CHECK(framesEqual(both, 0, r.source, 0, 8));    // before 0.5 s
    CHECK(framesEqual(both, 20, r.source, 20, 12)); // from 1.25 s
    CHECK_FALSE(framesEqual(both, 8, r.source, 8, 12));
    CHECK(std::equal(both.audio.begin(), both.audio.begin() + 8000, r.source.audio.begin()));
    CHECK(std::equal(both.audio.begin() + 20000, both.audio.end(), r.source.audio.begin() + 20000));
    CHECK_FALSE(std::equal(both.audio.begin() + 8000, both.audio.begin() + 20000, r.source.audio.begin() + 8000));

    r.regenerate_video = false;
    const Shot audioOnly = engine().generate(r);
    CHECK(audioOnly.rgb == r.source.rgb);
    CHECK(audioOnly.audio != r.source.audio);
}

TEST_CASE("extend: the source is kept whole and new seconds are added after or before it") {
    ShotRequest r = base(Task::Extend);
    r.source = engine().generate(base(Task::Generate)); // a generated shot carries its latents
    REQUIRE_FALSE(r.source.video_latent.empty());
    r.seconds = 0.5;
    r.context_seconds = 0.5;
    const Shot forward = engine().generate(r);
    CHECK(forward.frames == 24);
    CHECK(forward.audio.size() == 24000u);
    CHECK(framesEqual(forward, 0, r.source, 0, 16));
    CHECK(std::equal(r.source.audio.begin(), r.source.audio.end(), forward.audio.begin()));
    CHECK(forward.video_latent.shape[1] == 6); // source latents + new ones, ready for the next extension

    r.backward = true;
    const Shot backward = engine().generate(r);
    CHECK(backward.frames == 24);
    CHECK(framesEqual(backward, 8, r.source, 0, 16));
    CHECK(std::equal(r.source.audio.begin(), r.source.audio.end(), backward.audio.begin() + 8000));

    // A source without latents (imported media) is encoded instead.
    r.backward = false;
    r.source.video_latent = {};
    CHECK(engine().generate(r).frames == 24);
}

TEST_CASE("restyle keeps the audio and changes the picture, more with more strength") {
    ShotRequest r = base(Task::Restyle);
    r.source = source(16);
    r.strength = 0.3;
    const Shot light = engine().generate(r);
    CHECK(light.audio == r.source.audio);
    CHECK(light.rgb != r.source.rgb);
    r.strength = 0;
    CHECK_THROWS_AS(engine().generate(r), std::invalid_argument);
}

TEST_CASE("foley keeps the picture, dub keeps the voice") {
    ShotRequest f = base(Task::Foley);
    f.source = source(16);
    const Shot foley = engine().generate(f);
    CHECK(foley.rgb == f.source.rgb);
    CHECK(foley.audio.size() == 16000u);
    CHECK(foley.audio != f.source.audio);

    ShotRequest d = base(Task::Dub);
    d.source = source(16);
    d.source.audio.resize(15000); // a voice line shorter than whole latent steps
    d.source.rgb.clear();
    d.source.frames = 0;
    const Shot dub = engine().generate(d);
    CHECK(dub.frames == 16);
    CHECK(std::equal(d.source.audio.begin(), d.source.audio.end(), dub.audio.begin()));
}

TEST_CASE("requests that do not fit their task are refused with a reason") {
    auto refused = [](ShotRequest r, const std::string& fragment) {
        try {
            engine().generate(r);
        } catch (const std::invalid_argument& e) {
            INFO(e.what());
            CHECK(std::string(e.what()).find(fragment) != std::string::npos);
            return;
        }
        FAIL("accepted");
    };
    refused(base(Task::Inpaint), "needs a source video");
    ShotRequest r = base(Task::Inpaint);
    r.source = source(16);
    refused(r, "paint mask must cover");
    r.paint_mask.assign(16 * kFramePixels, 0);
    refused(r, "paints nothing");
    r = base(Task::Retake);
    r.source = source(15);
    refused(r, "multiple of 4");
    r.source = source(16);
    r.window_start = 2;
    r.window_end = 3;
    refused(r, "window");
    r = base(Task::Foley);
    r.source = source(16);
    r.source.width = 64;
    refused(r, "model works at 32x32");
    refused(base(Task::Dub), "needs source audio");
}

TEST_CASE("Heun takes two network calls a step and stays deterministic") {
    ShotRequest r = base(Task::Generate);
    r.solver = Solver::Heun;
    const Shot a = engine().generate(r), b = engine().generate(r);
    CHECK(a.rgb == b.rgb);
    r.solver = Solver::Euler;
    CHECK(engine().generate(r).rgb != a.rgb);
}

TEST_CASE("references condition the shot without being generated or changing kept regions") {
    ShotRequest r = base(Task::Generate);
    const Shot plain = engine().generate(r);
    Shot face = source(1, 7); // a still
    Shot voice;               // a sound
    voice.sample_rate = 16000;
    voice.audio = source(8, 9).audio;
    r.references = {face, voice, source(8, 3)};
    const Shot withRefs = engine().generate(r);
    CHECK(withRefs.frames == plain.frames);
    CHECK(withRefs.audio.size() == plain.audio.size());
    CHECK(withRefs.rgb != plain.rgb);
    CHECK(withRefs.audio != plain.audio);

    ShotRequest f = base(Task::Foley); // kept picture stays exact with references present
    f.source = source(16);
    f.references = {face};
    CHECK(engine().generate(f).rgb == f.source.rgb);

    Shot wrong = face;
    wrong.width = 64;
    r.references = {wrong};
    CHECK_THROWS_WITH(engine().generate(r), Catch::Contains("reference 1"));
}
