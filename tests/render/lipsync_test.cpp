// The lip-sync analyzer on clips whose offset is known: a drawn face speaking espeak-ng speech (found by the
// Haar cascade), the demo world's speaker (found by its skin colour), and the world's impacts — shifted by
// −200 … +200 ms, stretched for drift, silenced, and without any face.
#include "render/lipsync.h"
#include "render/speech_activity.h"
#include "render/movie_writer.h"
#include "model/world/world.h"
#include "support/talking_face.h"
#include "support/test_media.h"

#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <cstdlib>

using namespace tandem;

namespace {

const std::vector<float>& speech() {
    static const std::vector<float> s = test::synthesiseSpeech(
        "The quick brown fox jumps over the lazy dog. She sells sea shells, by the sea shore. "
        "Peter picked a peck of pickled peppers.");
    return s;
}

std::string talkingClip(const std::string& name, const test::TalkingFace& spec) {
    const std::string path = test::freshTempDir("lipsync") + "/" + name + ".mp4";
    test::writeTalkingFace(path, speech(), spec);
    return path;
}

// A world scene written as a movie, its sound moved by `offsetSeconds` (positive: late).
std::string worldClip(const std::string& name, world::SceneSpec scene, double offsetSeconds) {
    const world::Clip clip = world::render(scene, 11);
    std::vector<float> sound(clip.audio.size(), 0.f);
    const auto shift = int64_t(std::llround(offsetSeconds * scene.sampleRate));
    for (size_t i = 0; i < sound.size(); ++i) {
        const int64_t from = int64_t(i) - shift;
        if (from >= 0 && size_t(from) < clip.audio.size()) sound[i] = clip.audio[size_t(from)];
    }
    const std::string path = test::freshTempDir("lipsyncworld") + "/" + name + ".mp4";
    render::MovieSettings ms;
    ms.width = scene.width;
    ms.height = scene.height;
    ms.fps = scene.fps;
    ms.input_sample_rate = scene.sampleRate;
    ms.preset = "veryfast";
    render::MovieWriter writer(path, ms);
    const size_t frameBytes = size_t(scene.width) * scene.height * 3;
    for (int64_t f = 0; f < clip.frames; ++f) writer.addFrame(clip.rgb.data() + size_t(f) * frameBytes);
    writer.addAudio(sound.data(), int64_t(sound.size()));
    writer.finish();
    return path;
}

world::SceneSpec worldScene(bool speaker) {
    world::SceneSpec s;
    s.width = 256;
    s.height = 256;
    s.fps = 32;
    s.sampleRate = 16000;
    s.seconds = 6;
    if (speaker) {
        s.speaker = true;
        s.words = {"bama", "tilo", "kesu", "ramo", "pida", "lune", "soka", "bema", "tiru"};
    } else {
        world::ObjectSpec ball;
        ball.motion = world::Motion::Bounce;
        ball.large = true;
        ball.colour = 1;
        world::ObjectSpec box = ball;
        box.shape = world::Shape::Square;
        box.motion = world::Motion::Fall;
        box.colour = 3;
        s.objects = {ball, box};
    }
    return s;
}

constexpr double kFrameMs = 1000.0 / 32;

} // namespace

TEST_CASE("a talking face's audio offset is measured within a frame from -200 to +200 ms") {
    REQUIRE_FALSE(speech().empty()); // espeak-ng is installed by the setup script
    for (double offsetMs : {-200.0, -100.0, 0.0, 60.0, 200.0}) {
        test::TalkingFace spec;
        spec.audioOffsetSeconds = offsetMs / 1000;
        const render::SyncReport r = render::analyseSync(talkingClip("face", spec));
        INFO("injected " << offsetMs << " ms: " << r.reason << " face " << r.faceFraction);
        CHECK(r.method == render::SyncMethod::Lips);
        REQUIRE(r.offsetMs);
        CHECK(std::abs(*r.offsetMs - offsetMs) <= kFrameMs);
        CHECK(r.confidence > 0.3);
        CHECK(r.mouths.size() == size_t(r.frames));
    }
}

TEST_CASE("sound that runs 1 % slow shows as drift: the per-second offsets climb") {
    test::TalkingFace spec;
    spec.stretch = 1.01;
    const render::SyncReport r = render::analyseSync(talkingClip("drift", spec));
    INFO(r.reason);
    REQUIRE(r.offsetMs);
    REQUIRE(r.driftMsPerSecond);
    CHECK(*r.driftMsPerSecond == Approx(10).margin(5)); // 1 % of every second
    REQUIRE(r.perSecond.size() >= 3);
    CHECK(r.perSecond.back().offsetMs.value_or(0) > r.perSecond.front().offsetMs.value_or(0));
}

TEST_CASE("silence, a mouth that does not move and a shot with nothing to match give no estimate") {
    test::TalkingFace silent;
    silent.silent = true;
    const render::SyncReport quiet = render::analyseSync(talkingClip("silent", silent));
    CHECK_FALSE(quiet.offsetMs);
    CHECK(quiet.reason.find("silent") != std::string::npos);

    // No face and no motion: a still grey clip with a tone.
    const std::string flat = test::freshTempDir("lipsyncflat") + "/flat.mp4";
    test::writeTestMovie(flat, {64, 48, 64, 32.0, 16000});
    const render::SyncReport none = render::analyseSync(flat);
    CHECK_FALSE(none.offsetMs);
    CHECK(none.method == render::SyncMethod::Impacts);
    CHECK(none.reason.find("no face") != std::string::npos);
    CHECK(none.confidence == 0);
}

TEST_CASE("without a face, impacts against their sound give the offset") {
    for (double offsetMs : {-125.0, 0.0, 156.25}) {
        const render::SyncReport r = render::analyseSync(worldClip("impacts", worldScene(false), offsetMs / 1000));
        INFO("injected " << offsetMs << " ms: " << r.reason);
        CHECK(r.method == render::SyncMethod::Impacts);
        REQUIRE(r.offsetMs);
        CHECK(std::abs(*r.offsetMs - offsetMs) <= kFrameMs);
    }
}

TEST_CASE("the demo world's drawn speaker is found by colour and its lips measured") {
    for (double offsetMs : {-94.0, 125.0}) {
        const render::SyncReport r = render::analyseSync(worldClip("speaker", worldScene(true), offsetMs / 1000));
        INFO("injected " << offsetMs << " ms: " << r.reason << " face " << r.faceFraction);
        CHECK(r.method == render::SyncMethod::Lips);
        REQUIRE(r.offsetMs);
        CHECK(std::abs(*r.offsetMs - offsetMs) <= kFrameMs);
    }
}

TEST_CASE("the offset search: sign, sub-frame refinement, and no estimate at the edge or without a peak") {
    // A pulse train in the picture and the same train 3 frames later in the sound: audio late by 3 frames.
    std::vector<float> video(200, 0.f), audio(200, 0.f);
    for (int i = 10; i < 190; i += 17) {
        video[size_t(i)] = 1;
        video[size_t(i + 1)] = 0.5;
        audio[size_t(i + 3)] = 1;
        audio[size_t(i + 4)] = 0.5;
    }
    const render::SyncReport late = render::measureOffset(video, audio, 25, render::SyncMethod::Impacts);
    REQUIRE(late.offsetMs);
    CHECK(*late.offsetMs == Approx(120).margin(15)); // 3 frames at 25 fps, refined between frames
    const render::SyncReport early = render::measureOffset(audio, video, 25, render::SyncMethod::Impacts);
    REQUIRE(early.offsetMs);
    CHECK(*early.offsetMs == Approx(-120).margin(15));
    // Unrelated signals: no clear peak.
    std::vector<float> noise(200);
    for (size_t i = 0; i < noise.size(); ++i) noise[i] = float((i * 7919) % 101) / 101.f;
    CHECK_FALSE(render::measureOffset(video, noise, 25, render::SyncMethod::Impacts).offsetMs);
}

TEST_CASE("an edit of two shots: the cut is found, each shot measured, and the one slipped by 160 ms is named") {
    // Shot A in sync (the longer: it carries the clip), shot B's sound 160 ms late and its colours turned
    // (a different shot to the cut detector), joined by FFmpeg.
    test::TalkingFace inSync;
    const std::string a = talkingClip("shotA", inSync);
    test::TalkingFace late;
    late.audioOffsetSeconds = 0.160;
    const std::string bPath = test::freshTempDir("lipsyncB") + "/b.mp4";
    test::writeTalkingFace(bPath, test::synthesiseSpeech("Peter picked a peck of pickled peppers."), late);
    const std::string edit = test::freshTempDir("lipsyncedit") + "/edit.mp4";
    const std::string cmd = "ffmpeg -v error -y -i " + a + " -i " + bPath +
                            " -filter_complex \"[1:v]hue=h=150:s=2[b];[0:v][0:a][b][1:a]concat=n=2:v=1:a=1[v][s]\" -map [v] -map [s]"
                            " -c:v libx264 -preset veryfast -crf 18 -c:a aac -b:a 128k " + edit + " >/dev/null 2>&1";
    REQUIRE(std::system(cmd.c_str()) == 0);
    const render::SyncReport r = render::analyseSync(edit);
    INFO(r.reason);
    REQUIRE(r.shots.size() == 2);
    const double cut = r.shots[1].startSeconds;
    CHECK(std::abs(r.shots[0].endSeconds - cut) < 1e-9);
    REQUIRE(r.offsetMs);
    CHECK(std::abs(*r.offsetMs) <= kFrameMs);
    for (const auto& shot : r.shots) {
        INFO("shot at " << shot.startSeconds << ": " << shot.reason);
        CHECK(shot.faces == 1);
        CHECK(shot.speaker == 0);
        REQUIRE(shot.offsetMs);
    }
    CHECK(std::abs(*r.shots[0].offsetMs) <= kFrameMs);
    CHECK_FALSE(r.shots[0].slipped);
    CHECK(std::abs(*r.shots[1].offsetMs - 160) <= kFrameMs);
    CHECK(r.shots[1].slipped);
}

TEST_CASE("speech activity: a voice is voiced, white noise as loud is not, and silence has no change") {
    const std::vector<float>& voice = speech();
    const double fps = 25;
    const auto frames = int64_t(double(voice.size()) / test::kSpeechRate * fps);
    const render::SpeechActivity v = render::speechActivity(voice, test::kSpeechRate, fps, frames);
    CHECK(v.voicedFraction > 0.4);
    std::vector<float> noise(voice.size());
    uint32_t state = 12345;
    for (float& x : noise) {
        state = state * 1664525u + 1013904223u;
        x = 0.2f * (float(state >> 8) / float(1u << 24) - 0.5f);
    }
    const render::SpeechActivity n = render::speechActivity(noise, test::kSpeechRate, fps, frames);
    CHECK(n.voicedFraction < 0.05);
    const render::SpeechActivity quiet = render::speechActivity(std::vector<float>(voice.size(), 0.f), test::kSpeechRate, fps, frames);
    CHECK(quiet.voicedFraction == 0);
    CHECK(std::all_of(quiet.change.begin(), quiet.change.end(), [](float c) { return c == 0; }));
}
