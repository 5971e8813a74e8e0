#include "model/timebase.h"

#include <catch2/catch.hpp>

using tandem::model::TimeBase;

TEST_CASE("shot lengths round to whole video latent steps and audio covers the same time") {
    TimeBase tb; // 16 fps, 16 kHz, 4 frames and 256 samples per latent step
    CHECK(tb.videoLatentStepsForSeconds(4.0) == 16);
    CHECK(tb.videoLatentStepsForSeconds(0.01) == 1); // never zero
    CHECK(tb.framesForVideoLatentSteps(16) == 64);
    CHECK(tb.samplesForFrames(64) == 64000);
    CHECK(tb.audioLatentStepsForSamples(64000) == 250);
    CHECK(tb.audioLatentStepsForSamples(64001) == 251);
    CHECK(tb.secondsForFrames(tb.framesForVideoLatentSteps(16)) == Approx(4.0));
}

TEST_CASE("video and audio latents at the same instant get the same time") {
    TimeBase tb;
    // Video latent 3 covers frames 12..15 = 0.75 s .. 1.0 s, centre 0.875 s.
    CHECK(tb.secondsOfVideoLatent(3) == Approx(0.875));
    // Audio latent 54 covers samples 13824..14079 = 0.864 s .. 0.88 s, centre 0.872 s: within one hop.
    CHECK(std::abs(tb.secondsOfAudioLatent(54) - tb.secondsOfVideoLatent(3)) < double(tb.audio_hop) / tb.sample_rate);
}

TEST_CASE("non-integer frame rates convert without drift") {
    TimeBase tb;
    tb.fps = 30000.0 / 1001.0;
    tb.sample_rate = 48000;
    CHECK(tb.samplesForFrames(30000) == 48048000); // 1001 s of audio
    CHECK(tb.frameForSeconds(1001.0) == 30000);
}
