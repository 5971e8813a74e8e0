// The sync measurements, checked on world clips whose truth is known, and on deliberately damaged ones.
#include "model/world/world.h"
#include "render/sync_metrics.h"

#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>

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
        const auto events = render::visualImpactTimes(track, 16, 128, 128, render::colourAreas(clip.rgb.data(), clip.frames, 128, 128, rgb));
        // Every clearly audible landing is drawn (the world's contact speed is strength × √(2·3H·0.85H));
        // the last, slowest hops are below kAudibleLandingSpeed and need not be.
        const double maxSpeed = std::sqrt(2 * 3.0 * 0.85); // frame heights per second
        const auto audible = std::count_if(clip.impacts.begin(), clip.impacts.end(),
                                           [&](const auto& h) { return h.strength * maxSpeed >= 1.25 * render::kAudibleLandingSpeed; });
        CHECK(audible >= 2);
        CHECK(int64_t(events.size()) >= audible);
        for (double e : events) { // every drawn impact is a true one, placed within a fifth of a frame
            double nearest = 1e9;
            for (const auto& hit : clip.impacts) nearest = std::min(nearest, std::abs(hit.seconds * 16 - e));
            CHECK(nearest < 0.2);
        }
        const auto onsets = render::audioOnsets(clip.audio, 16000);
        for (const auto& hit : clip.impacts) {
            double nearest = 1e9;
            for (double o : onsets) nearest = std::min(nearest, std::abs(o - hit.seconds));
            CHECK(nearest < 0.01); // onsets found within 10 ms of the true impacts
        }
        const render::EventSync truth = render::matchEvents(events, onsets, 16);
        INFO("median " << truth.medianAbs << " p90 " << truth.p90Abs);
        CHECK(truth.medianAbs <= 0.25);
        CHECK(truth.offsetsFrames.size() == events.size());
        const render::EventSync late = render::matchEvents(events, render::audioOnsets(shifted(clip.audio, 3, 16000, 16), 16000), 16);
        CHECK(late.medianAbs == Approx(3.0).margin(0.25));
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

TEST_CASE("a bouncing object that drifts into a side wall makes no drawn impact there, a sliding one does") {
    world::SceneSpec s;
    s.objects = {world::ObjectSpec{world::Shape::Square, 3, false, world::Motion::Slide, world::Material::Wood}};
    const world::Clip slide = world::render(s, 11);
    const auto& yellow = world::palette()[3];
    const uint8_t rgb[3] = {yellow.r, yellow.g, yellow.b};
    const auto events = render::visualImpactTimes(render::trackColour(slide.rgb.data(), slide.frames, 128, 128, rgb), 16, 128, 128);
    REQUIRE(!slide.impacts.empty());
    CHECK(events.size() == slide.impacts.size());
    // A track that reverses in mid-air (no floor, no slide) is no audible impact.
    std::vector<std::optional<std::pair<float, float>>> arc;
    for (int f = 0; f < 20; ++f) arc.push_back(std::make_pair(float(f < 10 ? 10 + 4 * f : 90 - 4 * (f - 10)), float(20 + (f - 10) * (f - 10))));
    CHECK(render::visualImpactTimes(arc, 16, 128, 128).empty());
}
