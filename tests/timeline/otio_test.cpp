// OpenTimelineIO import and export. The corpus below is written here from OTIO's documented schemas, each
// case the way a real tool or an older OTIO writes a timeline: Premiere's adapter (nested sequences without
// contents, asymmetric dissolves, clip markers with Marker.3 colours, a title generator, a 15 fps clip in a
// 30 fps timeline), OTIO's nested example (stacks and tracks as items, clips directly in a stack, effects),
// legacy files (Sequence.1, Filler.1, Timeline.0, Clip.1, Marker.1), numbers beyond 64 bits and non-finite
// ones, image sequences, unknown schemas and effects kept for export, and collections.
#include "support/test_media.h"
#include "timeline/bundle.h"
#include "timeline/otio.h"
#include "timeline_fixtures.h"

#include <QDir>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QUrl>

using namespace tandem::timeline;
using tandem::test::mediaAsset;

namespace {

QString freshBundle(const char* name) {
    return QString::fromStdString(tandem::test::freshTempDir(name)) + QStringLiteral("/Film.tandem");
}

void spit(const QString& path, const QByteArray& bytes) {
    QFile f(path);
    REQUIRE(f.open(QIODevice::WriteOnly | QIODevice::Truncate));
    f.write(bytes);
}

// ---- OTIO objects as the library serialises them (schema names and versions are the caller's)

QJsonObject rt(double value, double rate) { return {{"OTIO_SCHEMA", "RationalTime.1"}, {"rate", rate}, {"value", value}}; }
QJsonObject range(double start, double duration, double rate) {
    return {{"OTIO_SCHEMA", "TimeRange.1"}, {"start_time", rt(start, rate)}, {"duration", rt(duration, rate)}};
}
QJsonObject missing() { return {{"OTIO_SCHEMA", "MissingReference.1"}, {"metadata", QJsonObject()}}; }
QJsonObject external(const QString& url, double start, double duration, double rate) {
    return {{"OTIO_SCHEMA", "ExternalReference.1"}, {"target_url", url}, {"available_range", range(start, duration, rate)}};
}
// Clip.2 (media_references) unless `legacy`, then Clip.1 (media_reference).
QJsonObject clip(const QString& name, double start, double duration, double rate, QJsonObject ref = missing(), bool legacy = false) {
    QJsonObject c{{"OTIO_SCHEMA", legacy ? "Clip.1" : "Clip.2"}, {"name", name}, {"source_range", range(start, duration, rate)},
                  {"effects", QJsonArray()}, {"markers", QJsonArray()}, {"metadata", QJsonObject()}, {"enabled", true}};
    if (legacy) c[QStringLiteral("media_reference")] = ref;
    else {
        c[QStringLiteral("media_references")] = QJsonObject{{"DEFAULT_MEDIA", ref}};
        c[QStringLiteral("active_media_reference_key")] = QStringLiteral("DEFAULT_MEDIA");
    }
    return c;
}
QJsonObject gap(double duration, double rate, const char* schema = "Gap.1") {
    return {{"OTIO_SCHEMA", schema}, {"name", ""}, {"source_range", range(0, duration, rate)}};
}
QJsonObject transition(double in, double out, double rate, const char* type = "SMPTE_Dissolve") {
    return {{"OTIO_SCHEMA", "Transition.1"}, {"name", "Cross Dissolve"}, {"transition_type", type},
            {"in_offset", rt(in, rate)}, {"out_offset", rt(out, rate)}};
}
QJsonObject track(const QString& name, const char* kind, QJsonArray children, const char* schema = "Track.1") {
    return {{"OTIO_SCHEMA", schema}, {"name", name}, {"kind", kind}, {"children", children}, {"source_range", QJsonValue()},
            {"effects", QJsonArray()}, {"markers", QJsonArray()}, {"metadata", QJsonObject()}, {"enabled", true}};
}
QJsonObject stack(const QString& name, QJsonArray children) {
    return {{"OTIO_SCHEMA", "Stack.1"}, {"name", name}, {"children", children}, {"source_range", QJsonValue()},
            {"effects", QJsonArray()}, {"markers", QJsonArray()}, {"metadata", QJsonObject()}, {"enabled", true}};
}
QJsonObject withRange(QJsonObject item, double start, double duration, double rate) {
    item[QStringLiteral("source_range")] = range(start, duration, rate);
    return item;
}
QByteArray timeline(const QString& name, QJsonArray tracks, const char* schema = "Timeline.1") {
    return QJsonDocument(QJsonObject{{"OTIO_SCHEMA", schema}, {"name", name}, {"metadata", QJsonObject()},
                                     {"global_start_time", QJsonValue()}, {"tracks", stack(QStringLiteral("tracks"), tracks)}})
        .toJson();
}

struct Expect {
    const char* name;
    qint64 position, sourceIn, length;
};

// The clips of a track, by label, position, source in and length, in order.
void checkClips(const ProjectState& s, const Track& t, std::initializer_list<Expect> want) {
    REQUIRE(t.clips.size() == int(want.size()));
    int i = 0;
    for (const Expect& e : want) {
        const Clip& c = t.clips[i++];
        INFO("clip " << i - 1 << " " << e.name);
        CHECK(s.asset(c.assetId)->label == QLatin1String(e.name));
        CHECK(c.position == e.position);
        CHECK(c.sourceIn == e.sourceIn);
        CHECK(c.length == e.length);
    }
}

OtioImport importOk(const QByteArray& json, const OtioImportHooks& hooks = {}) {
    QString error;
    auto imported = importOtio(json, QDir::tempPath(), hooks, &error);
    INFO(error.toStdString());
    REQUIRE(imported);
    REQUIRE(imported->state.consistencyError().isEmpty());
    return *imported;
}

} // namespace

TEST_CASE("a three-track sequence exported as OTIO reads back with the same cut") {
    const QString bundle = freshBundle("otio-roundtrip");
    QDir().mkpath(bundle + QStringLiteral("/media"));
    for (const char* f : {"media/a.mp4", "media/b.mp4", "media/music.wav"}) spit(bundle + QLatin1Char('/') + QLatin1String(f), "x");
    Project p(QStringLiteral("Film"));
    p.requestRenameSequence(p.sequence().id, QStringLiteral("Main cut"));
    p.requestAddSequence(QStringLiteral("unused"));
    const Id a = p.requestAddAsset(mediaAsset(4.0, true, true, "a")).newId;
    const Id b = p.requestAddAsset(mediaAsset(3.0, true, false, "b")).newId;
    const Id music = p.requestAddAsset(mediaAsset(10.0, false, true, "music")).newId;
    REQUIRE_EDIT(p.requestReplaceMedia(music, QStringLiteral("media/music.wav"), 10.0));
    REQUIRE_EDIT(p.requestAddTrack(p.sequence().id, TrackKind::Audio));
    REQUIRE_EDIT(p.requestInsertAsset(a, 0));
    Placement pl;
    pl.assetId = b;
    pl.videoTrackId = tandem::test::videoTrack(p);
    pl.position = 160; // a gap of 32 frames before it
    pl.sourceIn = 8;
    pl.length = 40;
    REQUIRE_EDIT(p.requestPlace(pl));
    pl = Placement{};
    pl.assetId = music;
    pl.audioTrackId = tandem::test::audioTrack(p, 1);
    pl.position = 16;
    pl.sourceIn = 64;
    pl.length = 150;
    REQUIRE_EDIT(p.requestPlace(pl));
    REQUIRE_EDIT(p.requestSetGain(p.state().track(tandem::test::audioTrack(p, 1))->clips[0].id, -6));
    REQUIRE_EDIT(p.requestAddMarker(p.sequence().id, 100, QStringLiteral("drop"), QStringLiteral("#00c000")));

    QString error;
    const QByteArray otio = exportOtio(p.state(), p.sequence().id, bundle, &error);
    REQUIRE_FALSE(otio.isEmpty());
    const QJsonObject root = QJsonDocument::fromJson(otio).object();
    CHECK(root.value(QStringLiteral("OTIO_SCHEMA")).toString() == QStringLiteral("Timeline.1"));
    const QJsonArray tracks = root.value(QStringLiteral("tracks")).toObject().value(QStringLiteral("children")).toArray();
    REQUIRE(tracks.size() == 3);
    CHECK(tracks[0].toObject().value(QStringLiteral("kind")).toString() == QStringLiteral("Video"));
    const QJsonArray v1 = tracks[0].toObject().value(QStringLiteral("children")).toArray();
    REQUIRE(v1.size() == 3); // clip, gap, clip
    CHECK(v1[1].toObject().value(QStringLiteral("OTIO_SCHEMA")).toString() == QStringLiteral("Gap.1"));
    const QString url = v1[0].toObject()["media_references"].toObject()["DEFAULT_MEDIA"].toObject()["target_url"].toString();
    CHECK(url.startsWith(QStringLiteral("file:///")));
    CHECK(url.endsWith(QStringLiteral("Film.tandem/media/a.mp4")));

    const QString target = freshBundle("otio-roundtrip-import");
    QDir().mkpath(target);
    OtioImportHooks hooks;
    hooks.adoptMedia = [&](const QString& file, QString* why) { return adoptMediaFile(target, file, why); };
    auto imported = importOtio(otio, QDir::tempPath(), hooks, &error);
    INFO(error.toStdString());
    REQUIRE(imported);
    CHECK(imported->warnings.isEmpty());
    const ProjectState& s = imported->state;
    REQUIRE(s.consistencyError().isEmpty());
    const Sequence& seq = s.sequences[0];
    CHECK(seq.name == QStringLiteral("Main cut"));
    CHECK(seq.time.fps == Rational{32, 1});
    REQUIRE(seq.tracks.size() == 3);
    auto sameCut = [&](const Track& got, const Track& want) {
        REQUIRE(got.clips.size() == want.clips.size());
        for (int i = 0; i < got.clips.size(); ++i) {
            CHECK(got.clips[i].position == want.clips[i].position);
            CHECK(got.clips[i].sourceIn == want.clips[i].sourceIn);
            CHECK(got.clips[i].length == want.clips[i].length);
            CHECK(got.clips[i].gainDb == want.clips[i].gainDb);
            CHECK(s.asset(got.clips[i].assetId)->label == p.state().asset(want.clips[i].assetId)->label);
            CHECK(bool(got.clips[i].linkedClipId) == bool(want.clips[i].linkedClipId));
        }
    };
    for (int t = 0; t < 3; ++t) sameCut(seq.tracks[t], p.sequence().tracks[t]);
    REQUIRE(seq.markers.size() == 1);
    CHECK(seq.markers[0].frame == 100);
    CHECK(seq.markers[0].color == QStringLiteral("#00c000"));
    CHECK(QFile::exists(target + QStringLiteral("/media/a.mp4")));
}

TEST_CASE("OTIO from other editors: timecode starts, NTSC rates, transitions, missing media") {
    const QByteArray otio = R"({"OTIO_SCHEMA": "Timeline.1", "name": "From Resolve",
      "global_start_time": {"OTIO_SCHEMA": "RationalTime.1", "rate": 23.976023976023978, "value": 86400},
      "tracks": {"OTIO_SCHEMA": "Stack.1", "name": "tracks", "markers": [], "children": [
        {"OTIO_SCHEMA": "Track.1", "kind": "Video", "name": "Video 1", "children": [
          {"OTIO_SCHEMA": "Gap.1", "source_range": {"OTIO_SCHEMA": "TimeRange.1",
              "start_time": {"OTIO_SCHEMA": "RationalTime.1", "rate": 23.976023976023978, "value": 0},
              "duration": {"OTIO_SCHEMA": "RationalTime.1", "rate": 23.976023976023978, "value": 24}}},
          {"OTIO_SCHEMA": "Clip.1", "name": "A001",
           "source_range": {"OTIO_SCHEMA": "TimeRange.1",
              "start_time": {"OTIO_SCHEMA": "RationalTime.1", "rate": 23.976023976023978, "value": 86448},
              "duration": {"OTIO_SCHEMA": "RationalTime.1", "rate": 23.976023976023978, "value": 48}},
           "media_reference": {"OTIO_SCHEMA": "ExternalReference.1", "target_url": "file:///nowhere/A001.mov",
              "available_range": {"OTIO_SCHEMA": "TimeRange.1",
                 "start_time": {"OTIO_SCHEMA": "RationalTime.1", "rate": 23.976023976023978, "value": 86400},
                 "duration": {"OTIO_SCHEMA": "RationalTime.1", "rate": 23.976023976023978, "value": 240}}}},
          {"OTIO_SCHEMA": "Transition.1", "name": "dissolve", "in_offset": {"OTIO_SCHEMA": "RationalTime.1", "rate": 24, "value": 6},
           "out_offset": {"OTIO_SCHEMA": "RationalTime.1", "rate": 24, "value": 6}},
          {"OTIO_SCHEMA": "Clip.1", "name": "B",
           "source_range": {"OTIO_SCHEMA": "TimeRange.1",
              "start_time": {"OTIO_SCHEMA": "RationalTime.1", "rate": 23.976023976023978, "value": 0},
              "duration": {"OTIO_SCHEMA": "RationalTime.1", "rate": 23.976023976023978, "value": 12}},
           "media_reference": {"OTIO_SCHEMA": "MissingReference.1", "name": "B"}}]}]}})";
    QString error;
    auto imported = importOtio(otio, QDir::tempPath(), {}, &error);
    INFO(error.toStdString());
    REQUIRE(imported);
    const Sequence& seq = imported->state.sequences[0];
    CHECK(seq.time.fps == Rational{24000, 1001});
    const auto& clips = seq.tracks[0].clips;
    REQUIRE(clips.size() == 2);
    CHECK(clips[0].position == 24);
    CHECK(clips[0].sourceIn == 48); // counted from the media's own 01:00:00:00 start
    CHECK(clips[0].length == 48);
    CHECK(clips[1].position == 72);
    CHECK(imported->state.asset(clips[0].assetId)->offline());
    CHECK(clips[1].dissolveIn == 12); // 6 + 6 frames at 24 fps, in the sequence's 23.976
    REQUIRE(imported->warnings.size() == 1); // both offline clips, named in one line
    CHECK(imported->warnings[0].contains(QStringLiteral("A001")));
    CHECK(imported->warnings[0].contains(QStringLiteral("'B'")));
}

TEST_CASE("malformed or unsupported OTIO gets a clear error") {
    QString error;
    struct Case {
        QByteArray json;
        const char* expect;
    };
    const Case cases[] = {
        {"{not json", "not OpenTimelineIO JSON"},
        {R"({"OTIO_SCHEMA": "Clip.1"})", "not an OpenTimelineIO timeline"},
        {R"({"OTIO_SCHEMA": "Timeline.1", "tracks": {"OTIO_SCHEMA": "Stack.1", "children": []}})", "no tracks"},
        {R"({"OTIO_SCHEMA": "Timeline.1", "tracks": {"OTIO_SCHEMA": "Stack.1", "children": [{"OTIO_SCHEMA": "Stack.1"}]}})", "no tracks"},
        {R"({"OTIO_SCHEMA": "Timeline.1", "tracks": {"OTIO_SCHEMA": "Stack.1", "children": [{"OTIO_SCHEMA": "Track.1", "kind": "Subtitle", "children": []}]}})", "no tracks"},
        {R"({"OTIO_SCHEMA": "Timeline.1", "tracks": {"OTIO_SCHEMA": "Stack.1", "children": [{"OTIO_SCHEMA": "Track.1", "kind": "Video", "children": [{"OTIO_SCHEMA": "Gap.1"}]}]}})", "gap without a duration"},
        {R"({"OTIO_SCHEMA": "Timeline.1", "tracks": {"OTIO_SCHEMA": "Stack.1", "children": [{"OTIO_SCHEMA": "Track.1", "kind": "Video", "children": [{"OTIO_SCHEMA": "Gap.1", "source_range": {"OTIO_SCHEMA": "TimeRange.1", "start_time": {"OTIO_SCHEMA": "RationalTime.1", "rate": 24, "value": 0}, "duration": {"OTIO_SCHEMA": "RationalTime.1", "rate": Infinity, "value": 1}}}]}]}})", "positive rate"},
        {R"({"OTIO_SCHEMA": "SerializableCollection.1", "children": []})", "no timeline"},
        {R"({"OTIO_SCHEMA": "Timeline.1", "tracks": {"OTIO_SCHEMA": "Stack.1", "children": [{"OTIO_SCHEMA": "Track.1", "kind": "Video", "children": [{"OTIO_SCHEMA": "Clip.1", "name": "x", "media_reference": {}}]}]}})", "neither a source range"},
        {R"({"OTIO_SCHEMA": "Timeline.1", "tracks": {"OTIO_SCHEMA": "Stack.1", "children": [{"OTIO_SCHEMA": "Track.1", "kind": "Video", "children": [{"OTIO_SCHEMA": "Gap.1", "source_range": {"OTIO_SCHEMA": "TimeRange.1", "start_time": {"OTIO_SCHEMA": "RationalTime.1", "rate": 0, "value": 0}, "duration": {"OTIO_SCHEMA": "RationalTime.1", "rate": 24, "value": 1}}}]}]}})", "positive rate"},
    };
    for (const Case& c : cases) {
        INFO(c.json.toStdString());
        error.clear();
        CHECK_FALSE(importOtio(c.json, QDir::tempPath(), {}, &error));
        CHECK(error.contains(QLatin1String(c.expect)));
    }
}

TEST_CASE("OTIO as Premiere's adapter writes it: nested sequences, dissolves, clip markers, generators, mixed rates") {
    const QString media = QStringLiteral("file://localhost/D%3a/media/");
    QJsonObject sh030 = clip(QStringLiteral("sh030.mov"), 0, 235, 30, external(media + QStringLiteral("sh030.mov"), 0, 400, 30));
    QJsonObject marker{{"OTIO_SCHEMA", "Marker.3"}, {"name", "fix the hand"}, {"marked_range", range(100, 0, 30)},
                       {"color", QJsonObject{{"OTIO_SCHEMA", "Color.1"}, {"name", "GREEN"}, {"r", 0.0}, {"g", 1.0}, {"b", 0.0}, {"a", 1.0}}}};
    sh030[QStringLiteral("markers")] = QJsonArray{marker};
    QJsonObject title = clip(QStringLiteral("title"), 108000, 60, 30);
    title[QStringLiteral("media_references")] = QJsonObject{{"DEFAULT_MEDIA", QJsonObject{{"OTIO_SCHEMA", "GeneratorReference.1"}, {"generator_kind", "Slug"}}}};
    const QByteArray json = timeline(QStringLiteral("sc01"), {
        // A 15 fps clip: 50 of its frames last 100 of the timeline's.
        track(QStringLiteral("V1"), "Video", {gap(20, 30), clip(QStringLiteral("anim15.mov"), 10, 50, 15, external(media + QStringLiteral("anim15.mov"), 0, 100, 15))}),
        track(QStringLiteral("V2"), "Video", {gap(13, 30), clip(QStringLiteral("sh010.mov"), 0, 100, 30, external(media + QStringLiteral("sh010.mov"), 0, 100, 30)),
                                              sh030, transition(19, 0, 30), gap(79, 30),
                                              withRange(stack(QStringLiteral("nested sequence"), {}), 0, 320, 30)}),
        track(QStringLiteral("V3"), "Video", {gap(15, 30), title}),
        // An asymmetric dissolve between two clips (12 frames before the cut, 13 after).
        track(QStringLiteral("V4"), "Video", {gap(500, 30), clip(QStringLiteral("temp.mov"), 133, 208, 30, external(media + QStringLiteral("temp.mov"), 99, 400, 30)),
                                              transition(12, 13, 30), clip(QStringLiteral("sh010.mov"), 18, 82, 30, external(media + QStringLiteral("sh010.mov"), 0, 100, 30))}),
        track(QStringLiteral("A1"), "Audio", {gap(13, 30), clip(QStringLiteral("sh010.mov"), 0, 100, 30, external(media + QStringLiteral("sh010.mov"), 0, 100, 30)),
                                              gap(131, 30), withRange(stack(QStringLiteral("nested sequence"), {}), 0, 294, 30)}),
    });
    const OtioImport in = importOk(json);
    const Sequence& seq = in.state.sequences[0];
    CHECK(seq.time.fps == Rational{30, 1});
    REQUIRE(seq.tracks.size() == 5);
    checkClips(in.state, seq.tracks[0], {{"anim15.mov", 20, 20, 100}});
    checkClips(in.state, seq.tracks[1], {{"sh010.mov", 13, 0, 100}, {"sh030.mov", 113, 0, 235}});
    CHECK(seq.tracks[1].clips[1].fadeOut == 19); // a dissolve into nothing fades out
    CHECK(seq.tracks[2].clips.isEmpty());        // the title generator is a gap
    checkClips(in.state, seq.tracks[3], {{"temp.mov", 500, 34, 208}, {"sh010.mov", 708, 18, 82}});
    CHECK(seq.tracks[3].clips[1].dissolveIn == 25);
    checkClips(in.state, seq.tracks[4], {{"sh010.mov", 13, 0, 100}});
    CHECK(seq.tracks[4].clips[0].linkedClipId == seq.tracks[1].clips[0].id);
    // The clip's marker at source frame 100 of a clip placed at 113 from source 0.
    REQUIRE(seq.markers.size() == 1);
    CHECK(seq.markers[0].frame == 213);
    CHECK(seq.markers[0].color == QStringLiteral("#00c000"));
    // One warning, naming each kind of change with its items.
    const QString summary = in.summary();
    CHECK(summary.count(QStringLiteral("\n  - ")) == in.warnings.size());
    CHECK(summary.contains(QStringLiteral("'nested sequence'")));
    CHECK(summary.contains(QStringLiteral("'title' (Slug)")));
    CHECK(summary.contains(QStringLiteral("centred")));
    CHECK(summary.contains(QStringLiteral("played as fades")));
}

TEST_CASE("OTIO nested compositions flatten as flatten_stack does: the top layer wins, ranges map through parents") {
    // A nested stack of two tracks: the upper one has a gap in its middle, where the lower shows through.
    const QJsonObject inner = stack(QStringLiteral("comp"), {
        track(QStringLiteral("bottom"), "Video", {clip(QStringLiteral("plate"), 1000, 48, 24)}),
        track(QStringLiteral("top"), "Video", {clip(QStringLiteral("fg1"), 0, 12, 24), gap(24, 24), clip(QStringLiteral("fg2"), 500, 12, 24)}),
    });
    // A nested track whose own source range starts 6 frames in and runs at 48 fps (12 of its frames = 6 of ours).
    QJsonObject nestedTrack = withRange(track(QStringLiteral("nest"), "Video", {clip(QStringLiteral("n1"), 0, 8, 24), clip(QStringLiteral("n2"), 40, 8, 24)}), 12, 12, 48);
    nestedTrack[QStringLiteral("effects")] = QJsonArray{QJsonObject{{"OTIO_SCHEMA", "LinearTimeWarp.1"}, {"time_scalar", 2.0}}};
    const QByteArray json = timeline(QStringLiteral("nested"), {
        track(QStringLiteral("V"), "Video", {
            clip(QStringLiteral("a"), 100, 24, 24),
            withRange(inner, 6, 36, 24),                                   // frames 6..42 of the comp
            stack(QStringLiteral("loose"), {clip(QStringLiteral("direct"), 200, 10, 24)}), // a clip directly in a stack
            nestedTrack,
        }),
    });
    const OtioImport in = importOk(json);
    const Sequence& seq = in.state.sequences[0];
    REQUIRE(seq.tracks.size() == 1);
    checkClips(in.state, seq.tracks[0], {{"a", 0, 100, 24},
                                         {"fg1", 24, 6, 6},       // comp 6..12: the top track's first clip
                                         {"plate", 30, 1012, 24}, // comp 12..36: its gap, the plate shows
                                         {"fg2", 54, 500, 6},     // comp 36..42
                                         {"direct", 60, 200, 10},
                                         {"n1", 70, 6, 2},        // nested 0.25 s .. 0.5 s: n1 from 6, n2 from 40
                                         {"n2", 72, 40, 4}});
    CHECK(in.summary().contains(QStringLiteral("LinearTimeWarp on 'nest'")));
}

TEST_CASE("OTIO written by older versions: Sequence.1, Filler.1, Timeline.0, Clip.1, Marker.1") {
    QJsonObject old = clip(QStringLiteral("one"), 10, 20, 24, external(QStringLiteral("file:///nowhere/one.mov"), 0, 100, 24), true);
    old[QStringLiteral("markers")] = QJsonArray{QJsonObject{{"OTIO_SCHEMA", "Marker.1"}, {"name", "old"}, {"color", "RED"}, {"range", range(15, 0, 24)}}};
    const QByteArray json = timeline(QStringLiteral("legacy"), {
        track(QStringLiteral("Sequence1"), "Video", {gap(4, 24, "Filler.1"), old, clip(QStringLiteral("two"), 0, 6, 24, missing(), true)}, "Sequence.1"),
    }, "Timeline.0");
    const OtioImport in = importOk(json);
    const Sequence& seq = in.state.sequences[0];
    checkClips(in.state, seq.tracks[0], {{"one", 4, 10, 20}, {"two", 24, 0, 6}});
    REQUIRE(seq.markers.size() == 1);
    CHECK(seq.markers[0].frame == 9);
    CHECK(seq.markers[0].color == QStringLiteral("#ff0000"));
}

TEST_CASE("OTIO numbers as the library writes them: integers past 64 bits and bare Infinity/NaN survive a round trip") {
    const QByteArray json = R"({"OTIO_SCHEMA": "Timeline.1", "name": "numbers", "global_start_time": null, "metadata": {},
      "tracks": {"OTIO_SCHEMA": "Stack.1", "children": [{"OTIO_SCHEMA": "Track.1", "kind": "Video", "children": [
        {"OTIO_SCHEMA": "Clip.1", "name": "black",
         "metadata": {"int_test": {"maxint64": 9223372036854775807, "int128": 170141183460469231731687303715884105728,
                                   "neg": -57896044618658097711785492504343953926634992332820282019728792003956564819968},
                      "float": {"inf": Inf, "neginf": -Infinity, "nan": NaN, "plain": 1.5e-7}, "text": "Inf NaN 1e999 \"quoted\""},
         "source_range": {"OTIO_SCHEMA": "TimeRange.1", "start_time": {"OTIO_SCHEMA": "RationalTime.1", "rate": 24.0, "value": 1.0},
                          "duration": {"OTIO_SCHEMA": "RationalTime.1", "rate": 24.0, "value": 24.0}},
         "media_reference": {"OTIO_SCHEMA": "MissingReference.1"}}]}]}})";
    const OtioImport in = importOk(json);
    const Clip& c = in.state.sequences[0].tracks[0].clips[0];
    CHECK(c.length == 24);
    QString error;
    const QByteArray out = exportOtio(in.state, in.state.sequences[0].id, QDir::tempPath(), &error);
    REQUIRE_FALSE(out.isEmpty());
    for (const char* kept : {"\"int128\": 170141183460469231731687303715884105728", "\"inf\": Inf", "\"neginf\": -Infinity",
                             "\"nan\": NaN", "\"maxint64\": 9223372036854775807", "\"neg\": -5789604461865809771178549250434395392663499233282028201972879200395656481996",
                             "\"text\": \"Inf NaN 1e999 \\\"quoted\\\"\""}) {
        INFO(kept);
        CHECK(out.contains(kept));
    }
    // And what was written reads again.
    const OtioImport again = importOk(out);
    CHECK(again.state.sequences[0].tracks[0].clips[0].foreign == c.foreign);
}

TEST_CASE("OTIO effects, unknown item kinds and other tools' metadata are kept and written back on export") {
    QJsonObject graded = clip(QStringLiteral("graded"), 0, 48, 24);
    graded[QStringLiteral("effects")] = QJsonArray{QJsonObject{{"OTIO_SCHEMA", "Effect.1"}, {"effect_name", "Resolve Effect"}, {"metadata", QJsonObject{{"lut", "film.cube"}}}}};
    graded[QStringLiteral("metadata")] = QJsonObject{{"Resolve_OTIO", QJsonObject{{"Clip Color", "Orange"}}}};
    const QJsonObject subtitle{{"OTIO_SCHEMA", "SubtitleItem.1"}, {"name", "line 1"}, {"source_range", range(0, 24, 24)}, {"text", "hello"}};
    const QByteArray json = timeline(QStringLiteral("graded"), {track(QStringLiteral("V"), "Video", {graded, subtitle, clip(QStringLiteral("after"), 0, 12, 24)}),
                                                                track(QStringLiteral("Subs"), "Subtitle", {})});
    const OtioImport in = importOk(json);
    const Track& t = in.state.sequences[0].tracks[0];
    checkClips(in.state, t, {{"graded", 0, 0, 48}, {"after", 72, 0, 12}});
    const QString summary = in.summary();
    CHECK(summary.contains(QStringLiteral("Resolve Effect on 'graded'")));
    CHECK(summary.contains(QStringLiteral("'line 1' (SubtitleItem.1)")));
    CHECK(summary.contains(QStringLiteral("'Subs' (Subtitle)")));

    QString error;
    const QJsonObject out = QJsonDocument::fromJson(exportOtio(in.state, in.state.sequences[0].id, QDir::tempPath(), &error)).object();
    const QJsonObject written = out[QStringLiteral("tracks")].toObject()[QStringLiteral("children")].toArray()[0].toObject()[QStringLiteral("children")].toArray()[0].toObject();
    CHECK(written[QStringLiteral("effects")].toArray() == graded[QStringLiteral("effects")].toArray());
    CHECK(written[QStringLiteral("metadata")].toObject()[QStringLiteral("Resolve_OTIO")] == graded[QStringLiteral("metadata")].toObject()[QStringLiteral("Resolve_OTIO")]);
    const QJsonArray unknown = out[QStringLiteral("metadata")].toObject()[QStringLiteral("tandem")].toObject()[QStringLiteral("unknown_items")].toArray();
    REQUIRE(unknown.size() == 1);
    CHECK(unknown[0].toObject()[QStringLiteral("item")].toObject() == subtitle);
    CHECK(unknown[0].toObject()[QStringLiteral("at_seconds")].toDouble() == 2.0);
}

TEST_CASE("OTIO image sequences come in through the hook, or offline and named when their frames are missing") {
    const QString dir = QString::fromStdString(tandem::test::freshTempDir("otio-images"));
    for (int f = 1001; f <= 1003; ++f) spit(dir + QStringLiteral("/sh010.%1.png").arg(f, 4, 10, QLatin1Char('0')), "x");
    auto images = [&](const QString& base) {
        return QJsonObject{{"OTIO_SCHEMA", "ImageSequenceReference.1"}, {"target_url_base", QUrl::fromLocalFile(base + QLatin1Char('/')).toString()},
                           {"name_prefix", "sh010."}, {"name_suffix", ".png"}, {"start_frame", 1001}, {"frame_step", 1},
                           {"rate", 24.0}, {"frame_zero_padding", 4}, {"missing_frame_policy", "error"},
                           {"available_range", range(0, 3, 24)}};
    };
    const QByteArray json = timeline(QStringLiteral("vfx"), {track(QStringLiteral("V"), "Video", {
        clip(QStringLiteral("plate"), 0, 3, 24, images(dir)), clip(QStringLiteral("lost"), 0, 3, 24, images(dir + QStringLiteral("/nowhere")))})});
    std::vector<ImageSequence> asked;
    OtioImportHooks hooks;
    hooks.adoptImageSequence = [&](const ImageSequence& s, Asset& a, QString*) {
        asked.push_back(s);
        a.path = QStringLiteral("media/sh010.mp4");
        a.duration = double(s.count) / s.rate;
        return true;
    };
    const OtioImport in = importOk(json, hooks);
    REQUIRE(asked.size() == 1);
    CHECK(asked[0].pattern == dir + QStringLiteral("/sh010.%04d.png"));
    CHECK(asked[0].startFrame == 1001);
    CHECK(asked[0].count == 3);
    CHECK(asked[0].firstFile() == dir + QStringLiteral("/sh010.1001.png"));
    const Track& t = in.state.sequences[0].tracks[0];
    checkClips(in.state, t, {{"plate", 0, 0, 3}, {"lost", 3, 0, 3}});
    CHECK(in.state.asset(t.clips[0].assetId)->path == QStringLiteral("media/sh010.mp4"));
    CHECK(in.state.asset(t.clips[1].assetId)->offline());
    CHECK(in.summary().contains(QStringLiteral("'lost'")));
}

TEST_CASE("an OTIO collection imports its first timeline and names the others") {
    const QJsonObject a = QJsonDocument::fromJson(timeline(QStringLiteral("first"), {track(QStringLiteral("V"), "Video", {clip(QStringLiteral("x"), 0, 5, 24)})})).object();
    const QJsonObject b = QJsonDocument::fromJson(timeline(QStringLiteral("second"), {track(QStringLiteral("V"), "Video", {clip(QStringLiteral("y"), 0, 5, 24)})})).object();
    const QByteArray json = QJsonDocument(QJsonObject{{"OTIO_SCHEMA", "SerializeableCollection.1"}, {"children", QJsonArray{a, b}}}).toJson();
    const OtioImport in = importOk(json);
    CHECK(in.state.sequences[0].name == QStringLiteral("first"));
    CHECK(in.summary().contains(QStringLiteral("'second'")));
}

TEST_CASE("an OTIO round trip keeps what the project holds: fades, dissolves, opacity, gain, delays, track mix, markers, size") {
    Project p(QStringLiteral("Film"));
    const Id a = p.requestAddAsset(mediaAsset(6.0, true, true, "a")).newId;
    const Id b = p.requestAddAsset(mediaAsset(6.0, true, true, "b")).newId;
    REQUIRE_EDIT(p.requestInsertAsset(a, 0));
    Placement pl;
    pl.assetId = b;
    pl.videoTrackId = tandem::test::videoTrack(p);
    pl.audioTrackId = tandem::test::audioTrack(p);
    pl.position = p.sequence().tracks[0].clips[0].end();
    pl.sourceIn = 16;
    pl.length = 64;
    REQUIRE_EDIT(p.requestPlace(pl));
    ProjectState s = p.state();
    Sequence& seq = s.sequences[0];
    seq.width = 1080;
    seq.height = 1920;
    Track& v = seq.tracks[0];
    v.clips[0].opacity = 0.75;
    v.clips[0].fadeIn = 8;
    v.clips[1].dissolveIn = 12;
    v.clips[1].fadeOut = 10;
    for (Track& t : seq.tracks)
        if (t.kind == TrackKind::Audio) {
            t.gainDb = -3;
            t.pan = 0.25;
            t.clips[0].gainDb = -6;
            t.clips[0].audioDelayMs = 12.5;
            t.clips[1].fadeOut = 16;
        }
    seq.markers.append(Marker{s.largestId() + 1, 40, QStringLiteral("beat"), QStringLiteral("#ff0000")});
    REQUIRE(s.consistencyError().isEmpty());

    const QString bundle = freshBundle("otio-keeps");
    QDir().mkpath(bundle + QStringLiteral("/media"));
    for (const char* f : {"/media/a.mp4", "/media/b.mp4"}) spit(bundle + QLatin1String(f), "x");
    const QString target = freshBundle("otio-keeps-import");
    OtioImportHooks hooks;
    hooks.adoptMedia = [&](const QString& file, QString* why) { return adoptMediaFile(target, file, why); };
    QString error;
    const OtioImport in = importOk(exportOtio(s, seq.id, bundle, &error), hooks);
    INFO(in.summary().toStdString());
    CHECK(in.warnings.isEmpty());
    const Sequence& got = in.state.sequences[0];
    CHECK(got.width == 1080);
    CHECK(got.height == 1920);
    REQUIRE(got.tracks.size() == seq.tracks.size());
    for (int t = 0; t < seq.tracks.size(); ++t) {
        const Track& want = seq.tracks[t];
        CHECK(got.tracks[t].gainDb == want.gainDb);
        CHECK(got.tracks[t].pan == want.pan);
        REQUIRE(got.tracks[t].clips.size() == want.clips.size());
        for (int i = 0; i < want.clips.size(); ++i) {
            const Clip& g = got.tracks[t].clips[i];
            const Clip& w = want.clips[i];
            INFO("track " << t << " clip " << i);
            CHECK(g.position == w.position);
            CHECK(g.sourceIn == w.sourceIn);
            CHECK(g.length == w.length);
            CHECK(g.opacity == w.opacity);
            CHECK(g.gainDb == w.gainDb);
            CHECK(g.fadeIn == w.fadeIn);
            CHECK(g.fadeOut == w.fadeOut);
            CHECK(g.dissolveIn == w.dissolveIn);
            CHECK(g.audioDelayMs == w.audioDelayMs);
            CHECK(bool(g.linkedClipId) == bool(w.linkedClipId));
        }
    }
    REQUIRE(got.markers.size() == 1);
    CHECK(got.markers[0].frame == 40);
}
