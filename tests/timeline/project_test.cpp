#include "timeline/project.h"

#include <catch2/catch.hpp>

using namespace tandem::timeline;

namespace {

Asset shot(double seconds, bool audio = true) {
    Asset a;
    a.path = QStringLiteral("/media/shot.mp4");
    a.label = QStringLiteral("shot");
    a.hasVideo = true;
    a.hasAudio = audio;
    a.duration = seconds;
    return a;
}

} // namespace

TEST_CASE("time map converts frames, samples and seconds exactly") {
    TimeMap t; // 32 fps, 48 kHz
    CHECK(t.samplesForFrames(32) == 48000);
    CHECK(t.framesForSamples(47999) == 31);
    CHECK(t.framesForSeconds(2.0) == 64);
    t.fps = {30000, 1001};
    CHECK(t.samplesForFrames(30000) == 48048000);
    CHECK(t.secondsForFrames(30000) == Approx(1001.0));
}

TEST_CASE("inserting a shot places a linked picture and sound pair") {
    Project p;
    const Id id = p.addAsset(shot(2.0));
    REQUIRE(p.requestInsertAsset(id, 0).ok);
    REQUIRE(p.consistencyError().isEmpty());
    const auto& tracks = p.sequence().tracks;
    REQUIRE(tracks[0].clips.size() == 1);
    REQUIRE(tracks[1].clips.size() == 1);
    const Clip& v = tracks[0].clips[0];
    const Clip& a = tracks[1].clips[0];
    CHECK(v.length == 64);
    CHECK(v.linkedClipId == a.id);
    CHECK(a.linkedClipId == v.id);
    CHECK(p.sequence().duration() == 64);

    REQUIRE(p.requestInsertAsset(p.addAsset(shot(1.0, false)), 64).ok);
    CHECK(p.consistencyError().isEmpty());
    CHECK(tracks[0].clips.size() == 2);
    CHECK(tracks[1].clips.size() == 1);
    CHECK(tracks[0].clips[1].linkedClipId == 0);
}

TEST_CASE("a refused insert changes nothing and says why") {
    Project p;
    const Id id = p.addAsset(shot(2.0));
    REQUIRE(p.requestInsertAsset(id, 0).ok);
    const auto before = p.sequence().tracks[0].clips.size();
    const EditResult overlap = p.requestInsertAsset(id, 10);
    CHECK_FALSE(overlap.ok);
    CHECK(overlap.reason.contains(QStringLiteral("occupied")));
    CHECK(p.sequence().tracks[0].clips.size() == before);
    CHECK_FALSE(p.requestInsertAsset(999, 100).ok);
    CHECK_FALSE(p.requestInsertAsset(id, -5).ok);
    CHECK_FALSE(p.requestInsertAsset(p.addAsset(shot(0.0)), 200).ok);
    CHECK(p.consistencyError().isEmpty());
}
