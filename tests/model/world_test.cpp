#include "model/tokenizer.h"
#include "model/world/world.h"

#include <catch2/catch.hpp>

#include <cmath>

using namespace tandem::world;

namespace {

double energy(const std::vector<float>& a, int64_t from, int64_t to) {
    double e = 0;
    for (int64_t i = std::max<int64_t>(0, from); i < std::min<int64_t>(int64_t(a.size()), to); ++i) e += a[size_t(i)] * a[size_t(i)];
    return e;
}

SceneSpec quietScene(Motion motion, Material material) {
    SceneSpec s;
    s.objects = {ObjectSpec{Shape::Circle, 0, false, motion, material}};
    s.background = 2;
    return s;
}

} // namespace

TEST_CASE("the world is deterministic per seed and varies between seeds") {
    const Clip a = render(randomScene(7, 64, 64, 16, 16000, 2), 7);
    const Clip b = render(randomScene(7, 64, 64, 16, 16000, 2), 7);
    const Clip c = render(randomScene(8, 64, 64, 16, 16000, 2), 8);
    CHECK(a.rgb == b.rgb);
    CHECK(a.audio == b.audio);
    CHECK(a.caption == b.caption);
    CHECK(a.rgb != c.rgb);
    CHECK(a.frames == 32);
    CHECK(a.rgb.size() == size_t(32 * 64 * 64 * 3));
    CHECK(a.audio.size() == 32000u);
}

TEST_CASE("every impact is seen at the floor and heard at its time") {
    for (Material m : {Material::Wood, Material::Metal, Material::Rubber}) {
        const Clip clip = render(quietScene(Motion::Bounce, m), 3);
        REQUIRE(clip.impacts.size() >= 2);
        const double floorY = 128 * 0.85, r = 128 * 0.07;
        for (const Impact& hit : clip.impacts) {
            // The ball is drawn at the floor on the frame of the impact or the one after.
            const auto& track = clip.tracks[0];
            double nearest = 1e9;
            for (int64_t f = hit.frame; f <= std::min<int64_t>(hit.frame + 1, clip.frames - 1); ++f)
                nearest = std::min(nearest, std::abs(track[size_t(f)].second + r - floorY));
            CHECK(nearest < 128 * 0.08);
            // Sound starts at the impact: the 10 ms after it are louder than the 10 ms before (where the
            // ring of an earlier bounce may still sound).
            const int64_t at = std::llround(hit.seconds * 16000);
            INFO("impact at " << hit.seconds << " s, strength " << hit.strength);
            CHECK(energy(clip.audio, at, at + 160) > 2 * energy(clip.audio, at - 160, at) + 1e-6);
        }
    }
}

TEST_CASE("sliding objects knock on the walls — falling ones land once") {
    const Clip slide = render(quietScene(Motion::Slide, Material::Wood), 5);
    CHECK_FALSE(slide.impacts.empty());
    const Clip fall = render(quietScene(Motion::Fall, Material::Metal), 5);
    CHECK(fall.impacts.size() == 1);
}

TEST_CASE("the mouth opens with the voice") {
    SceneSpec s = quietScene(Motion::Slide, Material::Rubber);
    s.objects.clear();
    s.speaker = true;
    s.words = {"bama", "tilo", "ku"};
    const Clip clip = render(s, 2);
    REQUIRE(clip.mouthOpenness.size() == size_t(clip.frames));
    double ma = 0, mb = 0;
    for (int64_t f = 0; f < clip.frames; ++f) ma += clip.mouthOpenness[size_t(f)], mb += clip.speechEnvelope[size_t(f)];
    ma /= clip.frames, mb /= clip.frames;
    double cov = 0, va = 0, vb = 0;
    for (int64_t f = 0; f < clip.frames; ++f) {
        const double a = clip.mouthOpenness[size_t(f)] - ma, b = clip.speechEnvelope[size_t(f)] - mb;
        cov += a * b, va += a * a, vb += b * b;
    }
    CHECK(cov / std::sqrt(va * vb) > 0.6);
    CHECK(clip.caption.find("<S>bama tilo ku<E>") != std::string::npos);
    // Silence before the first word: the mouth is closed.
    CHECK(clip.mouthOpenness[0] == 0.0f);
}

TEST_CASE("captions describe the scene in words the vocabulary knows") {
    const SceneSpec s = randomScene(11, 64, 64, 16, 16000, 1);
    const std::string cap = caption(s);
    CHECK(cap.find(palette()[size_t(s.objects[0].colour)].name) != std::string::npos);
    // Every scene word is in the vocabulary the tokenizer will list as known (dialogue is speech, not scenery).
    const auto vocab = vocabulary();
    const tandem::model::Tokenizer tokenizer(96, {vocab.begin(), vocab.end()});
    INFO(cap);
    CHECK(tokenizer.unknownWords(cap).empty());
}
