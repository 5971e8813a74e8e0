#include "render/compositor.h"
#include "render/exporter.h"
#include "render/media_error.h"
#include "render/movie_writer.h"
#include "render/probe.h"
#include "render/video_decoder.h"
#include "support/test_media.h"

#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <filesystem>

using namespace tandem::render;

namespace {

int greyAt(const Frame& f, int x, int y) { return f.rgb[(size_t(y) * f.width + x) * 3]; }

} // namespace

TEST_CASE("the compositor picks the right media frame, fits it with its aspect, and blends layers") {
    const std::string dir = tandem::test::freshTempDir("compositor");
    const std::string movie = dir + "/m.mp4";
    tandem::test::writeTestMovie(movie, {64, 48, 32, 16.0, 0}); // frame i is grey level testMovieLevel(i)
    CompositeTrack base;
    base.clips = {CompositeClip::of(movie, 0, 20, 0.0), CompositeClip::of(movie, 20, 20, 1.0)}; // the second from media second 1
    Compositor c(160, 60, 32.0, {base});
    // Sequence frame 6 at 32 fps is media time 0.1875 s → media frame 3 at 16 fps.
    const Frame& f6 = c.frameAt(6);
    CHECK(std::abs(greyAt(f6, 80, 30) - tandem::test::testMovieLevel(3)) <= 3);
    CHECK(greyAt(f6, 5, 30) == 0); // 64×48 fitted into 160×60 is 80×60: black bars left and right
    const Frame& f22 = c.frameAt(22); // 2 frames into the second clip: 1 s + 1/16 s → media frame 17
    CHECK(std::abs(greyAt(f22, 80, 30) - tandem::test::testMovieLevel(17)) <= 3);
    CHECK(greyAt(c.frameAt(45), 80, 30) == 0); // after the last clip

    // An upper layer at half opacity over the lower one.
    CompositeTrack top;
    top.clips = {CompositeClip::of(movie, 0, 40, 0.5, 0.5)}; // media frame 8 onwards
    Compositor blended(64, 48, 16.0, {base, top});
    const int below = tandem::test::testMovieLevel(0), above = tandem::test::testMovieLevel(8);
    CHECK(std::abs(greyAt(blended.frameAt(0), 32, 24) - (below + above) / 2) <= 3);
}

TEST_CASE("an export writes picture and sound of the right length, and a cancelled one leaves nothing") {
    const std::string dir = tandem::test::freshTempDir("export");
    const std::string movie = dir + "/m.mp4";
    tandem::test::writeTestMovie(movie, {64, 48, 32, 16.0, 16000});
    auto sound = std::make_shared<AudioSource>();
    sound->samples = decodeAudio(movie, kMixRate, kMixChannels);
    ExportJob job;
    job.width = 128;
    job.height = 96;
    job.fps = 32;
    job.frames = 64;
    CompositeTrack v;
    v.clips = {CompositeClip::of(movie, 0, 64, 0.0)};
    job.video = {v};
    MixTrack a;
    MixClip clip;
    clip.source = sound;
    clip.length = 96000;
    a.clips = {clip};
    job.audio = {a};
    job.x264Preset = "ultrafast";

    const std::string out = dir + "/out.mp4";
    int64_t calls = 0;
    exportMovie(out, job, [&](int64_t done, int64_t total) {
        CHECK(done <= total);
        ++calls;
        return true;
    });
    CHECK(calls == 64);
    const MediaInfo info = probe(out);
    REQUIRE(info.firstVideo());
    REQUIRE(info.firstAudio());
    CHECK(info.firstVideo()->width == 128);
    CHECK(info.firstVideo()->fps == Approx(32));
    CHECK(info.firstVideo()->duration == Approx(2.0).margin(1.0 / 32));
    CHECK(info.firstAudio()->sample_rate == 48000);
    CHECK(info.firstAudio()->channels == 2);
    CHECK(info.firstAudio()->duration == Approx(2.0).margin(0.05));

    const std::string cancelled = dir + "/cancelled.mp4";
    CHECK_THROWS_AS(exportMovie(cancelled, job, [](int64_t done, int64_t) { return done < 10; }), ExportCancelled);
    CHECK_FALSE(std::filesystem::exists(cancelled));
    for (const auto& e : std::filesystem::directory_iterator(dir))
        CHECK(e.path().filename().string().find("cancelled") == std::string::npos); // no temporary left either

    job.frames = 0;
    CHECK_THROWS_AS(exportMovie(dir + "/empty.mp4", job), MediaError);
}

namespace {

// A 2-second movie at 16 fps, black with a white flash at `flashFrames`, silent with a 1 kHz beep starting
// at the same instant as each flash.
void writeFlashBeep(const std::string& path, const std::vector<int>& flashFrames) {
    MovieSettings s;
    s.width = 64;
    s.height = 48;
    s.fps = 16;
    s.input_sample_rate = 48000;
    s.crf = 10;
    s.preset = "ultrafast";
    MovieWriter w(path, s);
    std::vector<uint8_t> black(64 * 48 * 3, 0), white(64 * 48 * 3, 255);
    for (int i = 0; i < 32; ++i)
        w.addFrame(std::find(flashFrames.begin(), flashFrames.end(), i) != flashFrames.end() ? white.data() : black.data());
    std::vector<float> audio(96000, 0.f);
    for (int f : flashFrames)
        for (int i = 0; i < 1500; ++i) audio[size_t(f * 3000 + i)] = 0.8f * float(std::sin(2 * M_PI * 1000.0 * i / 48000));
    w.addAudio(audio.data(), int64_t(audio.size()));
    w.finish();
}

} // namespace

TEST_CASE("flashes and beeps stay together through compositing, mixing and export, across cuts") {
    const std::string dir = tandem::test::freshTempDir("export-sync");
    const std::string media = dir + "/fb.mp4";
    writeFlashBeep(media, {4, 12, 20, 28}); // at 0.25, 0.75, 1.25 and 1.75 s of the media
    auto sound = std::make_shared<AudioSource>();
    sound->samples = decodeAudio(media, kMixRate, kMixChannels);
    // A 30 fps sequence (sample starts of frames are not whole numbers of 1600 everywhere), three cuts:
    // media 0–1 s at 0, media 1.5–2 s at 1 s, media 0.5–1 s at 1.5 s.
    const double fps = 30;
    struct Cut {
        int64_t start, length;
        double source;
    };
    const std::vector<Cut> cuts = {{0, 30, 0.0}, {30, 15, 1.5}, {45, 15, 0.5}};
    ExportJob job;
    job.width = 64;
    job.height = 48;
    job.fps = fps;
    job.frames = 60;
    job.x264Preset = "ultrafast";
    CompositeTrack v;
    MixTrack a;
    for (const Cut& c : cuts) {
        v.clips.push_back(CompositeClip::of(media, c.start, c.length, c.source));
        MixClip m;
        m.source = sound;
        m.start = c.start * 1600; // 48000 / 30
        m.sourceStart = int64_t(std::llround(c.source * 48000));
        m.length = c.length * 1600;
        a.clips.push_back(m);
    }
    job.video = {v};
    job.audio = {a};
    const std::string out = dir + "/out.mp4";
    exportMovie(out, job);

    // Flash times from the picture, beep onsets from the sound.
    std::vector<double> flashes, beeps;
    VideoDecoder decoder(out);
    Frame f;
    bool wasBright = false;
    while (decoder.readNext(f)) {
        const bool bright = f.rgb[(24 * 64 + 32) * 3] > 128;
        if (bright && !wasBright) flashes.push_back(double(f.index) / fps);
        wasBright = bright;
    }
    const std::vector<float> mix = decodeAudio(out, 48000, 1);
    int64_t quietSince = 0;
    for (int64_t i = 0; i < int64_t(mix.size()); ++i) {
        if (std::abs(mix[size_t(i)]) > 0.2f) {
            if (i - quietSince > 2400) beeps.push_back(double(i) / 48000); // after ≥ 50 ms of quiet
            quietSince = i;
        }
    }
    // The media's flashes at 0.25 and 0.75 (first cut), 1.75 (→ 1.25 s), 0.75 (→ 1.75 s).
    const std::vector<double> expected = {0.25, 0.75, 1.25, 1.75};
    REQUIRE(flashes.size() == expected.size());
    REQUIRE(beeps.size() == expected.size());
    for (size_t i = 0; i < expected.size(); ++i) {
        INFO("event " << i << ": flash " << flashes[i] << " s, beep " << beeps[i] << " s");
        CHECK(std::abs(flashes[i] - expected[i]) <= 1.0 / fps);
        // Sound is placed by the sample; the picture by the frame: they agree to within half a frame.
        CHECK(std::abs(beeps[i] - expected[i]) <= 2.0 / 48000 + 0.002);
        CHECK(std::abs(beeps[i] - flashes[i]) <= 0.5 / fps + 0.002);
    }
}

namespace {

// A sound of `seconds` of a 1 kHz sine at `amplitude` in both channels.
std::shared_ptr<AudioSource> sine(double seconds, float amplitude) {
    auto s = std::make_shared<AudioSource>();
    const auto n = size_t(seconds * kMixRate);
    s->samples.resize(n * kMixChannels);
    for (size_t i = 0; i < n; ++i)
        s->samples[i * 2] = s->samples[i * 2 + 1] = amplitude * float(std::sin(2 * M_PI * 1000.0 * double(i) / kMixRate));
    return s;
}

ExportJob soundJob(const std::string& movie, std::vector<MixTrack> audio) {
    ExportJob job;
    job.width = 64;
    job.height = 48;
    job.fps = 16;
    job.frames = 32;
    CompositeTrack v;
    v.clips = {CompositeClip::of(movie, 0, 32, 0.0)};
    job.video = {v};
    job.audio = std::move(audio);
    job.x264Preset = "ultrafast";
    return job;
}

MixTrack trackOf(std::shared_ptr<AudioSource> source, std::string name) {
    MixTrack t;
    t.name = std::move(name);
    t.clips = {{std::move(source), 0, 0, 2 * kMixRate, 0, 0, 0}};
    return t;
}

} // namespace

TEST_CASE("a MOV export is ProRes 422 HQ with PCM sound — an MP4 asks for the H.264 encoder it can have") {
    const std::string dir = tandem::test::freshTempDir("prores");
    tandem::test::writeTestMovie(dir + "/m.mp4", {64, 48, 32, 16.0, 0});
    ExportJob job = soundJob(dir + "/m.mp4", {trackOf(sine(2, 0.25f), "A1")});
    job.container = "mov";
    const ExportReport report = exportMovie(dir + "/out.mov", job);
    CHECK(report.videoEncoder == "prores_ks");
    const MediaInfo info = probe(dir + "/out.mov");
    REQUIRE(info.firstVideo());
    REQUIRE(info.firstAudio());
    CHECK(info.firstVideo()->codec == "prores");
    CHECK(info.firstAudio()->codec == "pcm_s24le");
    CHECK(info.firstVideo()->duration == Approx(2.0).margin(1.0 / 16));
    CHECK(decodeAudio(dir + "/out.mov", kMixRate, 2).size() == size_t(2 * kMixRate * 2));
    // auto takes NVENC where a GPU encoder opens, else libx264; naming NVENC without one is a clear error.
    job.container = "mp4";
    job.h264Encoder = "auto";
    const std::string used = exportMovie(dir + "/auto.mp4", job).videoEncoder;
    CHECK((used == "libx264" || used == "h264_nvenc"));
    if (used == "libx264") {
        job.h264Encoder = "h264_nvenc";
        CHECK_THROWS_WITH(exportMovie(dir + "/nv.mp4", job), Catch::Contains("h264_nvenc"));
        CHECK_FALSE(std::filesystem::exists(dir + "/nv.mp4"));
    }
}

TEST_CASE("loudness normalisation reaches the target, or stops at the true-peak ceiling and says so") {
    const std::string dir = tandem::test::freshTempDir("loudness");
    tandem::test::writeTestMovie(dir + "/m.mp4", {64, 48, 32, 16.0, 0});
    ExportJob job = soundJob(dir + "/m.mp4", {trackOf(sine(2, 0.05f), "A1")}); // about −29 LUFS
    const Loudness before = measureMix(job);
    CHECK(before.integratedLufs < -25);
    job.loudnessTarget = -14;
    const ExportReport report = exportMovie(dir + "/out.mp4", job);
    REQUIRE(report.measured);
    CHECK(report.measured->integratedLufs == Approx(before.integratedLufs));
    CHECK_FALSE(report.peakLimited);
    CHECK(report.gainDb == Approx(-14 - before.integratedLufs).margin(0.01));
    // The file's sound, decoded and measured again (AAC changes it a little).
    const std::vector<float> back = decodeAudio(dir + "/out.mp4", kMixRate, 2);
    LoudnessMeter meter(kMixRate, 2);
    meter.add(back.data(), int64_t(back.size() / 2));
    CHECK(meter.result().integratedLufs == Approx(-14).margin(0.5));

    // A sine reads as loud as its peak: 0 LUFS would put the peak at 0 dBTP, so the ceiling wins.
    ExportJob loud = soundJob(dir + "/m.mp4", {trackOf(sine(2, 0.7f), "A1")});
    loud.loudnessTarget = 0;
    const ExportReport held = exportMovie(dir + "/loud.mp4", loud);
    CHECK(held.peakLimited);
    CHECK(held.measured->truePeakDb + held.gainDb == Approx(kTruePeakCeilingDb).margin(0.01));
}

TEST_CASE("stems: each unmuted track alone, full length, in 24-bit WAV") {
    const std::string dir = tandem::test::freshTempDir("stems");
    tandem::test::writeTestMovie(dir + "/m.mp4", {64, 48, 32, 16.0, 0});
    MixTrack left = trackOf(sine(1, 0.5f), "Dialogue"); // 1 s of sound in a 2 s sequence
    left.pan = -1;
    MixTrack muted = trackOf(sine(2, 0.5f), "Muted");
    muted.mute = true;
    MixTrack soloed = trackOf(sine(2, 0.25f), "Music");
    soloed.solo = true; // soloed in the mix; a stem is the track by itself either way
    const ExportJob job = soundJob(dir + "/m.mp4", {left, muted, soloed});
    const std::vector<std::string> files = exportStems(dir + "/stems", job);
    REQUIRE(files.size() == 2);
    CHECK(files[0] == dir + "/stems/Dialogue.wav");
    CHECK(files[1] == dir + "/stems/Music.wav");
    const MediaInfo info = probe(files[0]);
    REQUIRE(info.firstAudio());
    CHECK(info.firstAudio()->codec == "pcm_s24le");
    const std::vector<float> dialogue = decodeAudio(files[0], kMixRate, 2);
    CHECK(dialogue.size() == size_t(2 * kMixRate * 2)); // the sequence's length, silence after the clip
    float leftPeak = 0, rightPeak = 0, tailPeak = 0;
    for (size_t i = 0; i < dialogue.size() / 2; ++i) {
        (i < size_t(kMixRate) ? leftPeak : tailPeak) = std::max(i < size_t(kMixRate) ? leftPeak : tailPeak, std::abs(dialogue[i * 2]));
        rightPeak = std::max(rightPeak, std::abs(dialogue[i * 2 + 1]));
    }
    CHECK(leftPeak > 0.5f); // panned hard left with constant-power pan: louder than centre
    CHECK(rightPeak < 1e-3f);
    CHECK(tailPeak < 1e-3f);
    std::vector<float> music = decodeAudio(files[1], kMixRate, 2);
    float musicPeak = 0;
    for (float v : music) musicPeak = std::max(musicPeak, std::abs(v));
    CHECK(musicPeak == Approx(0.25f).margin(0.01f));
}

TEST_CASE("a range of the sequence exports only its frames and their sound, from the range's first sample") {
    const std::string dir = tandem::test::freshTempDir("range");
    const std::string movie = dir + "/m.mp4";
    tandem::test::writeTestMovie(movie, {64, 48, 32, 16.0, 0}); // frame i grey testMovieLevel(i)
    auto ramp = std::make_shared<AudioSource>();                  // sample i of the mix says where it is
    ramp->samples.resize(size_t(2 * kMixRate) * kMixChannels);
    for (size_t i = 0; i < ramp->samples.size() / 2; ++i)
        ramp->samples[i * 2] = ramp->samples[i * 2 + 1] = float(i) / float(2 * kMixRate);
    ExportJob job = soundJob(movie, {trackOf(ramp, "A1")});
    job.crf = 0;
    job.container = "mov"; // PCM sound: samples come back exactly enough to read positions
    job.firstFrame = 8;    // sequence second 0.5 …
    job.frames = 16;       // … to 1.5
    int64_t lastDone = 0, total = 0;
    exportMovie(dir + "/range.mov", job, [&](int64_t done, int64_t all) { return lastDone = done, total = all, true; });
    CHECK(lastDone == 16);
    CHECK(total == 16);
    const MediaInfo info = probe(dir + "/range.mov");
    CHECK(info.firstVideo()->duration == Approx(1.0).margin(1.0 / 16));
    VideoDecoder decoder(dir + "/range.mov");
    Frame f;
    REQUIRE(decoder.readNext(f));
    CHECK(std::abs(greyAt(f, 32, 24) - tandem::test::testMovieLevel(8)) <= 4);
    const std::vector<float> sound = decodeAudio(dir + "/range.mov", kMixRate, 2);
    REQUIRE(sound.size() == size_t(kMixRate) * 2);
    CHECK(sound[0] == Approx(0.25f).margin(1e-4));                        // the sample at 0.5 s
    CHECK(sound[sound.size() - 2] == Approx(0.75f).margin(1e-4));         // … up to 1.5 s
}
