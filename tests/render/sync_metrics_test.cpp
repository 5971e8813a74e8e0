// The sync measurements, checked on world clips whose truth is known, and on deliberately damaged ones.
#include "model/world/world.h"
#include "render/sync_metrics.h"

#include <catch2/catch.hpp>

using namespace tandem;

namespace {

world::Clip bouncing(world::Material material, uint64_t seed) {
    world::SceneSpec s;
    s.objects = {world::ObjectSpec{world::Shape::Circle, 0, true, world::Motion::Bounce, material}};
    s.background = 2;
    return world::render(s, seed);
}

// Delays the audio by `frames` video frames (positive = later), padding with silence.
std::vector<float> shifted(const std::vector<float>& audio, int frames, int rate, double fps) {
    const int64_t n = std::llround(frames * rate / fps);
    std::vector<float> out(audio.size(), 0.f);
    for (int64_t i = 0; i < int64_t(audio.size()); ++i)
        if (i - n >= 0 && i - n < int64_t(audio.size())) out[size_t(i)] = audio[size_t(i - n)];
    return out;
}

} // namespace

TEST_CASE("impacts are found in the picture and in the sound, and a shift is measured") {
    for (auto material : {world::Material::Wood, world::Material::Rubber, world::Material::Metal}) {
        const world::Clip clip = bouncing(material, 4);
        REQUIRE(clip.impacts.size() >= 2);
        const auto& red = world::palette()[0];
        const uint8_t rgb[3] = {red.r, red.g, red.b};
        const auto track = render::trackColour(clip.rgb.data(), clip.frames, 128, 128, rgb);
        for (int64_t f = 0; f < clip.frames; ++f) {
            REQUIRE(track[size_t(f)]);
            CHECK(std::abs(track[size_t(f)]->second - clip.tracks[0][size_t(f)].second) < 2.0f);
        }
        const auto events = render::motionImpactFrames(track);
        CHECK(events.size() >= clip.impacts.size() - 1);
        const auto onsets = render::audioOnsets(clip.audio, 16000);
        for (const auto& hit : clip.impacts) {
            double nearest = 1e9;
            for (double o : onsets) nearest = std::min(nearest, std::abs(o - hit.seconds));
            CHECK(nearest < 0.01); // onsets found within 10 ms of the true impacts
        }
        const render::EventSync truth = render::matchEvents(events, onsets, 16);
        INFO("median " << truth.medianAbs << " p90 " << truth.p90Abs);
        CHECK(truth.medianAbs <= 1.0);
        const render::EventSync late = render::matchEvents(events, render::audioOnsets(shifted(clip.audio, 3, 16000, 16), 16000), 16);
        CHECK(late.medianAbs == Approx(3.0).margin(1.0));
        for (double d : late.offsetsFrames) CHECK(d > 1.0); // positive: audio late
    }
}

TEST_CASE("lip sync: the mouth and the voice agree at lag 0, and a shift shows as that lag") {
    world::SceneSpec s;
    s.speaker = true;
    s.words = {"bama", "tilo", "kunepa"};
    const world::Clip clip = world::render(s, 6);
    const auto env = render::audioEnvelopePerFrame(clip.audio, 16000, 16, clip.frames);
    auto est = render::bestLag(clip.mouthOpenness, env, 8);
    REQUIRE(est);
    CHECK(est->lag == 0);
    CHECK(est->correlation > 0.6);
    for (int shift : {-3, 2, 3}) {
        const auto moved = render::audioEnvelopePerFrame(shifted(clip.audio, shift, 16000, 16), 16000, 16, clip.frames);
        est = render::bestLag(clip.mouthOpenness, moved, 8);
        REQUIRE(est);
        CHECK(est->lag == shift);
    }
}

TEST_CASE("silence or a still mouth gives no estimate rather than a made-up lag") {
    std::vector<float> still(40, 0.3f), voice(40);
    for (size_t i = 0; i < voice.size(); ++i) voice[i] = float(i % 5);
    CHECK_FALSE(render::bestLag(still, voice, 5));
    CHECK_FALSE(render::bestLag(voice, std::vector<float>(40, 0.f), 5));
    CHECK(render::audioOnsets(std::vector<float>(16000, 0.f), 16000).empty());
    const render::EventSync none = render::matchEvents({3, 9}, {}, 16);
    CHECK(none.offsetsFrames.empty());
}

TEST_CASE("the mouth measured from the pixels follows the true openness, and a face-less clip gives nothing") {
    world::SceneSpec s;
    s.speaker = true;
    s.words = {"bama", "tilo", "kunepa"};
    const world::Clip clip = world::render(s, 6);
    const auto seen = render::mouthOpennessPerFrame(clip.rgb.data(), clip.frames, 128, 128);
    REQUIRE(seen.size() == size_t(clip.frames));
    auto est = render::bestLag(clip.mouthOpenness, seen, 4);
    REQUIRE(est);
    CHECK(est->lag == 0);
    CHECK(est->correlation > 0.9);
    const auto voice = render::audioEnvelopePerFrame(clip.audio, 16000, 16, clip.frames);
    est = render::bestLag(seen, voice, 8);
    REQUIRE(est);
    CHECK(est->lag == 0);
    CHECK(est->correlation > 0.6);

    const world::Clip noFace = bouncing(world::Material::Wood, 4);
    CHECK(render::mouthOpennessPerFrame(noFace.rgb.data(), noFace.frames, 128, 128).empty());
}
