#include "model/audio_vae.h"
#include "model/mmdit.h"
#include "model/rope.h"
#include "model/sampler.h"
#include "model/text_encoder.h"
#include "model/video_vae.h"

#include <catch2/catch.hpp>

using namespace tandem::model;

namespace {

ModelConfig tinyConfig() {
    ModelConfig c;
    c.video.width = 32;
    c.video.height = 32;
    c.video.vae_channels = 8;
    c.video.latent_channels = 4;
    c.audio.vae_channels = 8;
    c.audio.latent_channels = 4;
    c.text.width = 32;
    c.text.layers = 1;
    c.text.max_tokens = 16;
    c.dit.width = 32;
    c.dit.heads = 2;
    c.dit.layers = 2;
    c.validate();
    return c;
}

} // namespace

TEST_CASE("video VAE compresses 8x in space and 4x in time, and decodes back to the same shape") {
    torch::NoGradGuard g;
    const ModelConfig c = tinyConfig();
    VideoVae vae(c.video);
    auto pixels = torch::rand({1, 3, 8, 32, 32}) * 2 - 1;
    auto latent = vae->encoder(pixels);
    CHECK(latent.sizes() == torch::IntArrayRef({1, 4, 2, 4, 4}));
    auto back = vae->decoder(latent);
    CHECK(back.sizes() == pixels.sizes());
    CHECK(back.abs().max().item<float>() <= 1.0f);
}

TEST_CASE("video VAE is causal: a frame does not depend on later frames") {
    torch::NoGradGuard g;
    const ModelConfig c = tinyConfig();
    VideoVae vae(c.video);
    auto a = torch::rand({1, 3, 8, 32, 32});
    auto b = a.clone();
    b.narrow(2, 4, 4).uniform_(); // change the second latent step's frames only
    auto la = vae->encoder(a), lb = vae->encoder(b);
    CHECK(torch::equal(la.narrow(2, 0, 1), lb.narrow(2, 0, 1)));
    CHECK_FALSE(torch::equal(la.narrow(2, 1, 1), lb.narrow(2, 1, 1)));
    auto da = vae->decoder(la), db = vae->decoder(lb);
    CHECK(torch::equal(da.narrow(2, 0, 4), db.narrow(2, 0, 4)));
}

TEST_CASE("audio VAE compresses by the hop") {
    torch::NoGradGuard g;
    for (int hop : {128, 256, 512}) {
        ModelConfig c = tinyConfig();
        c.audio.hop = hop;
        AudioVae vae(c.audio);
        auto wave = torch::rand({2, 1, hop * 10}) - 0.5;
        auto latent = vae->encoder(wave);
        CHECK(latent.sizes() == torch::IntArrayRef({2, 4, 10}));
        CHECK(vae->decoder(latent).sizes() == wave.sizes());
    }
}

TEST_CASE("RoPE preserves norms and rotates equal times equally") {
    auto pos = torch::tensor({0.0f, 0.0f, 0.0f, 2.5f, 1.0f, 3.0f, 2.5f, 0.0f, 0.0f}).reshape({3, 3});
    auto angles = ropeAngles(pos, 16, 10000.0);
    REQUIRE(angles.sizes() == torch::IntArrayRef({3, 8}));
    CHECK(angles[0].abs().max().item<float>() == 0.0f); // origin: no rotation
    // Tokens 1 and 2 share a time, so the time half of their angles agrees; rows/columns differ.
    CHECK(torch::allclose(angles[1].narrow(0, 0, 4), angles[2].narrow(0, 0, 4)));
    CHECK_FALSE(torch::allclose(angles[1].narrow(0, 4, 4), angles[2].narrow(0, 4, 4)));
    auto x = torch::randn({1, 2, 3, 16});
    auto r = applyRope(x, angles);
    CHECK(torch::allclose(r.norm(2, -1), x.norm(2, -1), 1e-5, 1e-5));
}

TEST_CASE("MMDiT maps each stream's inputs to velocities of the latent's shape") {
    torch::NoGradGuard g;
    const ModelConfig c = tinyConfig();
    DualStreamDiT dit(c);
    TextEncoder text(c.text);
    const int64_t T = 3, h = 4, w = 4, L = 20, Nt = c.text.max_tokens;
    auto ids = torch::randint(3, 200, {2, Nt});
    auto seg = torch::zeros({2, Nt}, torch::kLong);
    auto valid = torch::ones({2, Nt}, torch::kBool);
    valid.narrow(1, 10, Nt - 10).fill_(false);
    DitInputs in{torch::randn({2, 2 * 4 + 1, T, h, w}), torch::randn({2, 2 * 4 + 1, L}), text(ids, seg, valid), valid,
                 torch::tensor({0.3f, 0.9f}), dit->tokenAngles(T, h, w, L, Nt), {}, {}, {}, {}};
    auto [v, a] = dit(in);
    CHECK(v.sizes() == torch::IntArrayRef({2, 4, T, h, w}));
    CHECK(a.sizes() == torch::IntArrayRef({2, 4, L}));
    CHECK(torch::isfinite(v).all().item<bool>());

    // Padding tokens are masked out: changing them does not change the output.
    auto ids2 = ids.clone();
    ids2.narrow(1, 10, Nt - 10).fill_(7);
    DitInputs in2 = in;
    in2.text = text(ids2, seg, valid);
    auto [v2, a2] = dit(in2);
    CHECK(torch::allclose(v, v2, 1e-5, 1e-5));
    CHECK(torch::allclose(a, a2, 1e-5, 1e-5));
}

TEST_CASE("flow schedule runs from 1 to 0 and the shift spends steps at high noise") {
    auto plain = flowSchedule(10, 1.0);
    auto shifted = flowSchedule(10, 3.0);
    CHECK(plain.front() == Approx(1.0));
    CHECK(plain.back() == Approx(0.0));
    CHECK(shifted[5] > plain[5]);
    for (size_t i = 1; i < shifted.size(); ++i) CHECK(shifted[i] < shifted[i - 1]);
    // The same shift on a tensor of noise levels (what training draws) as on the schedule's numbers.
    CHECK(shiftTime(0.5, 3.0) == Approx(0.75));
    CHECK(shiftTime(0.3, 1.0) == Approx(0.3));
    auto drawn = shiftTime(torch::tensor({0.0, 0.5, 0.7, 1.0}, torch::kFloat64), 3.0);
    CHECK(drawn[0].item<double>() == Approx(0.0));
    CHECK(drawn[1].item<double>() == Approx(shiftTime(0.5, 3.0)));
    CHECK(drawn[2].item<double>() == Approx(shiftTime(0.7, 3.0)));
    CHECK(drawn[3].item<double>() == Approx(1.0));
}

TEST_CASE("sampler keeps known latents exactly and stops when cancelled") {
    auto noise = Latents{torch::randn({1, 2, 3, 4, 4}), torch::randn({1, 2, 10})};
    auto known = Latents{torch::randn({1, 2, 3, 4, 4}), torch::randn({1, 2, 10})};
    auto mask = Latents{torch::ones({1, 1, 3, 4, 4}), torch::ones({1, 1, 10})};
    mask.video.narrow(2, 0, 1).zero_(); // keep the first latent step
    mask.audio.narrow(2, 5, 5).zero_(); // keep the second half of the audio
    auto velocity = [](const Latents& x, double) { return Latents{x.video * 0.5 + 1, x.audio * 0.5 - 1}; };
    int steps = 0;
    Latents out = sampleEuler(velocity, noise, known, mask, SamplerSettings{8, 3.0}, [&](int, int) {
        ++steps;
        return true;
    });
    CHECK(steps == 8);
    CHECK(torch::equal(out.video.narrow(2, 0, 1), known.video.narrow(2, 0, 1)));
    CHECK(torch::equal(out.audio.narrow(2, 5, 5), known.audio.narrow(2, 5, 5)));
    CHECK_FALSE(torch::allclose(out.video.narrow(2, 1, 2), known.video.narrow(2, 1, 2)));

    int calls = 0;
    CHECK_THROWS_AS(sampleEuler(velocity, noise, known, mask, SamplerSettings{8, 3.0},
                                [&](int, int) { return ++calls < 3; }),
                    Cancelled);
    CHECK(calls == 3);
}

TEST_CASE("sampler names the step where values stop being finite") {
    auto noise = Latents{torch::randn({1, 1, 1, 2, 2}), torch::randn({1, 1, 4})};
    auto zero = Latents{torch::zeros_like(noise.video), torch::zeros_like(noise.audio)};
    auto ones = Latents{torch::ones_like(noise.video), torch::ones_like(noise.audio)};
    int call = 0;
    auto velocity = [&](const Latents& x, double) {
        const double bad = ++call == 3 ? NAN : 0.0;
        return Latents{x.video * 0 + bad, x.audio * 0};
    };
    try {
        sampleEuler(velocity, noise, zero, ones, SamplerSettings{5, 1.0}, {});
        FAIL("no error");
    } catch (const std::runtime_error& e) {
        CHECK(std::string(e.what()).find("step 3") != std::string::npos);
    }
}

TEST_CASE("reference tokens sit outside the shot on the time axis and are not generated") {
    torch::NoGradGuard g;
    const ModelConfig c = tinyConfig();
    DualStreamDiT dit(c);
    auto shot = dit->videoPositions(3, 4, 4, 0.0);
    auto ref = dit->videoPositions(1, 4, 4, -100.0);
    CHECK(shot.select(1, 0).min().item<float>() >= 0.0f);
    CHECK(ref.select(1, 0).max().item<float>() < -300.0f); // −100 s × 4 per second
    CHECK(torch::equal(ref.select(1, 1), dit->videoPositions(1, 4, 4, 0.0).select(1, 1))); // same spatial grid

    TextEncoder text(c.text);
    const int64_t T = 3, h = 4, w = 4, L = 20, Nt = c.text.max_tokens;
    auto ids = torch::randint(3, 200, {1, Nt});
    auto valid = torch::ones({1, Nt}, torch::kBool);
    auto refLatent = torch::randn({1, 4, 1, h, w});
    auto refs = dit->videoReferenceFeatures(refLatent).unsqueeze(0);
    CHECK(refs.size(1) == 4); // 1 step × (4/2)²
    DitInputs in{torch::randn({1, 9, T, h, w}), torch::randn({1, 9, L}), text(ids, torch::zeros_like(ids), valid), valid,
                 torch::tensor({0.5f}), dit->referenceAngles(T, h, w, L, Nt, ref, torch::zeros({0, 3})), refs, {}, {}, {}};
    auto [v, a] = dit(in);
    CHECK(v.sizes() == torch::IntArrayRef({1, 4, T, h, w})); // only the shot's tokens come out
    CHECK(a.sizes() == torch::IntArrayRef({1, 4, L}));
}
