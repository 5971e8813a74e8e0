#include "render/mixer.h"

#include <catch2/catch.hpp>

#include <cmath>

using namespace tandem::render;

namespace {

// A source whose every sample is `value` on both channels.
std::shared_ptr<const AudioSource> constant(float value, int64_t frames) {
    auto s = std::make_shared<AudioSource>();
    s->samples.assign(size_t(frames) * kMixChannels, value);
    return s;
}

// A source whose sample i is i (left) and -i (right), to see which source sample lands where.
std::shared_ptr<const AudioSource> ramp(int64_t frames) {
    auto s = std::make_shared<AudioSource>();
    for (int64_t i = 0; i < frames; ++i) {
        s->samples.push_back(float(i));
        s->samples.push_back(float(-i));
    }
    return s;
}

MixClip clipOf(std::shared_ptr<const AudioSource> src, int64_t start, int64_t length, int64_t sourceStart = 0) {
    MixClip c;
    c.source = std::move(src);
    c.start = start;
    c.length = length;
    c.sourceStart = sourceStart;
    return c;
}

} // namespace

TEST_CASE("clips land sample-accurately and play the right source range") {
    MixTrack t;
    t.clips = {clipOf(ramp(1000), 100, 50, 300), clipOf(constant(0.5f, 100), 150, 10)};
    const auto mix = mixAll({t});
    REQUIRE(mix.size() == 160 * 2);
    CHECK(mix[99 * 2] == 0.f);         // before the first clip: silence
    CHECK(mix[100 * 2] == 300.f);      // its first sample is source sample 300
    CHECK(mix[100 * 2 + 1] == -300.f); // right channel stays right
    CHECK(mix[149 * 2] == 349.f);      // its last
    CHECK(mix[150 * 2] == 0.5f);       // the next clip starts on the very next sample
    CHECK(mix[159 * 2] == 0.5f);
}

TEST_CASE("tracks sum — clip and track gains multiply — mute and solo decide who sounds") {
    MixTrack a, b;
    a.clips = {clipOf(constant(0.25f, 10), 0, 10)};
    b.clips = {clipOf(constant(0.5f, 10), 0, 10)};
    CHECK(mixAll({a, b})[0] == Approx(0.75f));
    a.clips[0].gainDb = 20 * std::log10(2.0); // ×2
    b.gainDb = -20 * std::log10(2.0);         // ×½
    CHECK(mixAll({a, b})[0] == Approx(0.5f + 0.25f));
    b.mute = true;
    CHECK(mixAll({a, b})[0] == Approx(0.5f));
    b.mute = false;
    b.solo = true;
    CHECK(mixAll({a, b})[0] == Approx(0.25f)); // only the soloed track
}

TEST_CASE("pan is constant power with unity at the centre") {
    MixTrack t;
    t.clips = {clipOf(constant(1.f, 4), 0, 4)};
    auto at = [&](double pan) {
        t.pan = pan;
        const auto m = mixAll({t});
        return std::pair<float, float>(m[0], m[1]);
    };
    CHECK(at(0).first == Approx(1.f));
    CHECK(at(0).second == Approx(1.f));
    CHECK(at(-1).first == Approx(std::sqrt(2.f)));
    CHECK(at(-1).second == Approx(0.f).margin(1e-6));
    const auto half = at(0.5);
    CHECK(half.first * half.first + half.second * half.second == Approx(2.f)); // power stays even
}

TEST_CASE("fades ramp linearly within the clip — sources that end early fall silent") {
    MixTrack t;
    MixClip c = clipOf(constant(1.f, 100), 0, 100);
    c.fadeIn = 10;
    c.fadeOut = 20;
    t.clips = {c};
    const auto m = mixAll({t});
    CHECK(m[0] == 0.f);
    CHECK(m[5 * 2] == Approx(0.5f));
    CHECK(m[50 * 2] == 1.f);
    CHECK(m[90 * 2] == Approx(0.5f));
    CHECK(m[99 * 2] == Approx(0.05f));

    t.clips = {clipOf(constant(1.f, 30), 0, 50)}; // the clip is longer than its source
    const auto short_ = mixAll({t});
    CHECK(short_[29 * 2] == 1.f);
    CHECK(short_[30 * 2] == 0.f);
}

TEST_CASE("mixing in blocks gives exactly the whole mix") {
    MixTrack t;
    t.clips = {clipOf(ramp(500), 7, 300, 11), clipOf(ramp(500), 333, 100, 0)};
    t.clips[0].fadeOut = 17;
    const auto whole = mixAll({t});
    std::vector<float> blocks(whole.size(), 0.f);
    const int64_t total = int64_t(whole.size()) / 2;
    for (int64_t from = 0; from < total; from += 64)
        mixInto({t}, from, std::min<int64_t>(64, total - from), blocks.data() + from * 2);
    CHECK(blocks == whole);
}
