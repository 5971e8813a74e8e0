// The evaluation's sound measures on world sounds: the STFT distance sees muffling, the voice analysis
// finds a voice's pitch and envelope in a mixed soundtrack.
#include "model/world/world.h"
#include "render/audio_metrics.h"
#include "render/sync_metrics.h"

#include <catch2/catch.hpp>

#include <cmath>

using namespace tandem;

TEST_CASE("the multi-resolution STFT distance is zero for the same sound and grows with muffling") {
    world::SceneSpec s;
    s.objects = {world::ObjectSpec{world::Shape::Circle, 0, true, world::Motion::Bounce, world::Material::Metal}};
    s.ambience = world::Ambience::Rain;
    const world::Clip clip = world::render(s, 3);
    CHECK(render::multiResolutionStftDistance(clip.audio, clip.audio) == Approx(0.0).margin(1e-9));
    auto lowPassed = [&](double a) { // one-pole low-pass: larger a, more muffled
        std::vector<float> out(clip.audio.size());
        double y = 0;
        for (size_t i = 0; i < out.size(); ++i) out[i] = float(y += (1 - a) * (clip.audio[i] - y));
        return out;
    };
    const double slight = render::multiResolutionStftDistance(clip.audio, lowPassed(0.3));
    const double heavy = render::multiResolutionStftDistance(clip.audio, lowPassed(0.9));
    CHECK(slight > 0.05);
    CHECK(heavy > slight);
}

TEST_CASE("a voice's pitch and envelope are found alone and under impacts and rain") {
    for (double pitch : {120.0, 150.0, 185.0}) {
        const auto alone = world::voiceReference(pitch, {"bama", "tilo"}, 16000, 16, 1.5, 1);
        const auto a = render::analyseVoice(alone, 16000, 16, 24);
        REQUIRE(a.pitchHz);
        CHECK(std::abs(*a.pitchHz / pitch - 1) <= 0.1);
        CHECK(render::medianPitchHz(alone, 16000).has_value());
    }
    world::SceneSpec s;
    s.speaker = true;
    s.words = {"bama", "tilo", "kunepa"};
    s.voicePitch = 140;
    s.ambience = world::Ambience::Rain;
    s.objects = {world::ObjectSpec{world::Shape::Square, 2, false, world::Motion::Bounce, world::Material::Wood}};
    const world::Clip clip = world::render(s, 8);
    const auto v = render::analyseVoice(clip.audio, 16000, 16, clip.frames);
    REQUIRE(v.pitchHz);
    CHECK(std::abs(*v.pitchHz / 140 - 1) <= 0.1);
    const auto est = render::bestLag(clip.mouthOpenness, v.envelope, 8);
    REQUIRE(est);
    CHECK(std::abs(est->lag) <= 1);
    CHECK(est->correlation > 0.6);
    // Silence has no voice.
    CHECK_FALSE(render::analyseVoice(std::vector<float>(16000, 0.f), 16000, 16, 16).pitchHz);
}
