// MLT XML documents without MLT: what Tandem writes reads back as the same project, a document laid out as
// Shotcut writes its projects (chains, clock times, a black background, a transition tractor with luma and
// mix, Shotcut's filters) reads as the cut it shows, and broken documents get a clear error. Rendering
// them with melt is tests/app/mlt_test.cpp.
#include "support/test_media.h"
#include "timeline/bundle.h"
#include "timeline/mlt.h"
#include "timeline_fixtures.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QJsonArray>

using namespace tandem::timeline;

namespace {

void spit(const QString& path, const QByteArray& bytes) {
    QFile f(path);
    REQUIRE(f.open(QIODevice::WriteOnly | QIODevice::Truncate));
    f.write(bytes);
}

Asset media(Id id, const char* name, double seconds) {
    Asset a = tandem::test::mediaAsset(seconds, true, true, name);
    a.id = id;
    return a;
}

MltImport importOk(const QByteArray& xml, const QString& dir, const OtioImportHooks& hooks) {
    QString error;
    auto imported = importMlt(xml, dir, hooks, &error);
    INFO(error.toStdString());
    REQUIRE(imported);
    REQUIRE(imported->state.consistencyError().isEmpty());
    return *imported;
}

} // namespace

TEST_CASE("an MLT document Tandem writes reads back as the same cut: dissolves, opacity, fades, gain, mix, markers") {
    const QString dir = QString::fromStdString(tandem::test::freshTempDir("mlt-doc"));
    QDir().mkpath(dir + QStringLiteral("/media"));
    for (const char* f : {"a", "b", "c"}) spit(dir + QStringLiteral("/media/%1.mp4").arg(QLatin1String(f)), "x");
    ProjectState s;
    s.assets = {media(1, "a", 8), media(2, "b", 8), media(3, "c", 8)};
    Sequence seq;
    seq.id = 10;
    seq.name = QStringLiteral("Cut");
    seq.time.fps = Rational{25, 1};
    seq.width = 1080;
    seq.height = 1920;
    Track v1 = Track::named(11, TrackKind::Video, QStringLiteral("V1"));
    Track v2 = Track::named(12, TrackKind::Video, QStringLiteral("Titles"));
    Track a1 = Track::named(13, TrackKind::Audio, QStringLiteral("Dialogue"));
    v1.clips = {tandem::test::clipAt(20, 1, 0, 10, 50), tandem::test::clipAt(21, 2, 50, 20, 60), tandem::test::clipAt(22, 1, 130, 0, 40)};
    v1.clips[1].dissolveIn = 12;
    v1.clips[0].fadeIn = 10;
    v1.clips[2].fadeOut = 15;
    v2.clips = {tandem::test::clipAt(23, 3, 30, 5, 40)};
    v2.clips[0].opacity = 0.5;
    a1.clips = {tandem::test::clipAt(24, 1, 0, 10, 50), tandem::test::clipAt(25, 2, 50, 20, 60)};
    a1.clips[1].gainDb = -6;
    a1.clips[1].fadeOut = 20;
    a1.clips[0].audioDelayMs = 40; // one frame at 25 fps: MLT can say that
    a1.gainDb = -3;
    seq.tracks = {v1, v2, a1};
    seq.markers = {Marker{30, 75, QStringLiteral("music in"), QStringLiteral("#00c000")}};
    s.sequences = {seq};
    REQUIRE(s.consistencyError().isEmpty());

    const MltExport doc = mltDocument(s, s.sequences[0], [&](const Clip& c) { return dir + QLatin1Char('/') + s.mediaPathOfClip(c); });
    CHECK(doc.warnings.isEmpty());
    OtioImportHooks hooks;
    const QString target = QString::fromStdString(tandem::test::freshTempDir("mlt-doc-import")) + QStringLiteral("/Back.tandem");
    hooks.adoptMedia = [&](const QString& file, QString* why) { return adoptMediaFile(target, file, why); };
    const MltImport in = importOk(doc.xml, dir, hooks);
    INFO(in.summary().toStdString());
    CHECK(in.warnings.isEmpty());
    const Sequence& got = in.state.sequences[0];
    CHECK(got.time.fps == Rational{25, 1});
    CHECK(got.width == 1080);
    CHECK(got.height == 1920);
    REQUIRE(got.tracks.size() == 3);
    CHECK(got.tracks[1].name == QStringLiteral("Titles"));
    CHECK(got.tracks[2].gainDb == -3);
    for (int t = 0; t < 3; ++t) {
        const Track& want = seq.tracks[t];
        REQUIRE(got.tracks[t].clips.size() == want.clips.size());
        for (int i = 0; i < want.clips.size(); ++i) {
            const Clip& g = got.tracks[t].clips[i];
            const Clip& w = want.clips[i];
            INFO("track " << t << " clip " << i);
            // A delay of one frame comes back as the frame it moved the sound's source by.
            const qint64 shift = w.audioDelayMs != 0 ? 1 : 0;
            CHECK(g.position == w.position);
            CHECK(g.sourceIn == w.sourceIn - shift);
            CHECK(g.length == w.length);
            CHECK(g.opacity == w.opacity);
            CHECK(g.gainDb == w.gainDb);
            CHECK(g.fadeIn == w.fadeIn);
            CHECK(g.fadeOut == w.fadeOut);
            CHECK(g.dissolveIn == w.dissolveIn);
        }
    }
    REQUIRE(got.markers.size() == 1);
    CHECK(got.markers[0].frame == 75);
    CHECK(got.markers[0].name == QStringLiteral("music in"));

    // What MLT cannot say is listed: a delay of half a frame, a missing file.
    s.sequences[0].tracks[2].clips[0].audioDelayMs = 20;
    const MltExport rounded = mltDocument(s, s.sequences[0], [&](const Clip& c) { return c.assetId == 3 ? QString() : dir + QLatin1Char('/') + s.mediaPathOfClip(c); });
    const QString warnings = rounded.warnings.join(QLatin1Char('\n'));
    CHECK(warnings.contains(QStringLiteral("rounded to whole frames")));
    CHECK(warnings.contains(QStringLiteral("'c' at frame 30")));
}

TEST_CASE("a document laid out as Shotcut writes its projects reads as the cut Shotcut shows") {
    const QString dir = QString::fromStdString(tandem::test::freshTempDir("mlt-shotcut"));
    for (const char* f : {"one.mp4", "two.mp4"}) spit(dir + QLatin1Char('/') + QLatin1String(f), "x");
    // 25 fps; clock times as Shotcut writes them; "two" dissolves in over 10 frames centred on frame 100.
    const QByteArray xml = R"(<?xml version="1.0" standalone="no"?>
<mlt LC_NUMERIC="C" version="7.12.0" title="Shotcut version 22.12.21" producer="main_bin">
  <profile description="HD 1080p 25 fps" width="1920" height="1080" progressive="1" sample_aspect_num="1" sample_aspect_den="1" display_aspect_num="16" display_aspect_den="9" frame_rate_num="25" frame_rate_den="1" colorspace="709"/>
  <playlist id="main_bin"><property name="xml_retain">1</property></playlist>
  <producer id="black" in="00:00:00.000" out="00:00:07.960">
    <property name="length">00:00:08.000</property><property name="eof">pause</property><property name="resource">0</property>
    <property name="mlt_service">color</property><property name="set.test_audio">0</property>
  </producer>
  <playlist id="background"><entry producer="black" in="00:00:00.000" out="00:00:07.960"/></playlist>
  <chain id="chain0" out="00:00:09.960">
    <property name="length">00:00:10.000</property><property name="eof">pause</property>
    <property name="resource">one.mp4</property><property name="mlt_service">avformat-novalidate</property>
    <property name="shotcut:caption">one.mp4</property>
    <filter id="filter0" out="00:00:03.960">
      <property name="mlt_service">brightness</property><property name="level">1</property>
      <property name="alpha">0.7</property><property name="shotcut:filter">brightnessOpacity</property>
    </filter>
    <filter id="filter1" in="00:00:00.000" out="00:00:00.360">
      <property name="mlt_service">brightness</property><property name="level">1</property>
      <property name="alpha">00:00:00.000=0;00:00:00.360=1</property><property name="shotcut:filter">fadeInBrightness</property>
    </filter>
    <filter id="filter2">
      <property name="mlt_service">frei0r.glow</property><property name="0">0.5</property><property name="shotcut:filter">frei0r.glow</property>
    </filter>
  </chain>
  <chain id="chain1" out="00:00:09.960">
    <property name="length">00:00:10.000</property><property name="resource">two.mp4</property>
    <property name="mlt_service">avformat-novalidate</property>
  </chain>
  <chain id="chain2" out="00:00:09.960">
    <property name="length">00:00:10.000</property><property name="resource">one.mp4</property>
    <property name="mlt_service">avformat-novalidate</property><property name="video_index">-1</property>
    <filter id="filter3"><property name="mlt_service">volume</property><property name="level">-4.5</property>
      <property name="shotcut:filter">audioGain</property></filter>
  </chain>
  <tractor id="tractor0" in="00:00:00.000" out="00:00:00.360">
    <property name="shotcut:transition">lumaMix</property>
    <track producer="chain0" in="00:00:03.800" out="00:00:04.160"/>
    <track producer="chain1" in="00:00:01.000" out="00:00:01.360"/>
    <transition id="transition0" out="00:00:00.360">
      <property name="a_track">0</property><property name="b_track">1</property><property name="mlt_service">luma</property>
      <property name="alpha_over">1</property><property name="fix_background_alpha">1</property>
    </transition>
    <transition id="transition1" out="00:00:00.360">
      <property name="a_track">0</property><property name="b_track">1</property><property name="start">-1</property>
      <property name="mlt_service">mix</property>
    </transition>
  </tractor>
  <playlist id="playlist0">
    <property name="shotcut:video">1</property><property name="shotcut:name">V1</property>
    <blank length="00:00:01.000"/>
    <entry producer="chain0" in="00:00:00.000" out="00:00:03.760"/>
    <entry producer="tractor0" in="00:00:00.000" out="00:00:00.360"/>
    <entry producer="chain1" in="00:00:01.400" out="00:00:03.000"/>
  </playlist>
  <playlist id="playlist1">
    <property name="shotcut:audio">1</property><property name="shotcut:name">A1</property>
    <entry producer="chain2" in="00:00:02.000" out="00:00:05.960"/>
  </playlist>
  <tractor id="tractor1" title="Shotcut version 22.12.21" in="00:00:00.000" out="00:00:07.960">
    <property name="shotcut">1</property>
    <track producer="background"/>
    <track producer="playlist0"/>
    <track producer="playlist1" hide="video"/>
    <transition id="transition2"><property name="a_track">0</property><property name="b_track">1</property>
      <property name="mlt_service">mix</property><property name="always_active">1</property><property name="sum">1</property></transition>
    <transition id="transition3"><property name="a_track">0</property><property name="b_track">1</property>
      <property name="mlt_service">qtblend</property><property name="disable">1</property></transition>
    <transition id="transition4"><property name="a_track">0</property><property name="b_track">2</property>
      <property name="mlt_service">mix</property><property name="always_active">1</property><property name="sum">1</property></transition>
  </tractor>
</mlt>
)";
    OtioImportHooks hooks;
    const QString target = QString::fromStdString(tandem::test::freshTempDir("mlt-shotcut-import")) + QStringLiteral("/S.tandem");
    hooks.adoptMedia = [&](const QString& file, QString* why) { return adoptMediaFile(target, file, why); };
    const MltImport in = importOk(xml, dir, hooks);
    const Sequence& seq = in.state.sequences[0];
    CHECK(seq.time.fps == Rational{25, 1});
    CHECK(seq.width == 1920);
    // V1 (picture), its sound (two lanes for the cross-fade), and A1.
    REQUIRE(seq.tracks.size() == 4);
    const Track& v1 = seq.tracks[0];
    CHECK(v1.kind == TrackKind::Video);
    CHECK(v1.name == QStringLiteral("V1"));
    REQUIRE(v1.clips.size() == 2);
    // one: frames 0–94 of its source at 25–119, then 5 of the mix's 10 frames; two from the mix's middle.
    CHECK(v1.clips[0].position == 25);
    CHECK(v1.clips[0].sourceIn == 0);
    CHECK(v1.clips[0].length == 95 + 5);
    CHECK(v1.clips[0].opacity == Approx(0.7));
    CHECK(v1.clips[0].fadeIn == 10);
    CHECK(v1.clips[1].position == 125);
    CHECK(v1.clips[1].sourceIn == 25 + 5);
    CHECK(v1.clips[1].dissolveIn == 10);
    CHECK(v1.clips[1].length == 5 + 41);
    const Track& a1 = seq.tracks[3];
    CHECK(a1.name == QStringLiteral("A1"));
    REQUIRE(a1.clips.size() == 1);
    CHECK(a1.clips[0].sourceIn == 50);
    CHECK(a1.clips[0].length == 100);
    CHECK(a1.clips[0].gainDb == -4.5);
    // The sound of V1 cross-fades over the whole mix: one runs to its end fading out, two starts at its start.
    const Track& sound = seq.tracks[1];
    const Track& lane = seq.tracks[2];
    REQUIRE(sound.clips.size() == 1);
    REQUIRE(lane.clips.size() == 1);
    CHECK(sound.clips[0].end() == 130);
    CHECK(sound.clips[0].fadeOut == 10);
    CHECK(lane.clips[0].position == 120);
    CHECK(lane.clips[0].fadeIn == 10);
    // The glow it cannot play is named and kept for a later export.
    CHECK(in.summary().contains(QStringLiteral("frei0r.glow on 'one.mp4'")));
    CHECK(v1.clips[0].foreign.value(QStringLiteral("mlt")).toObject().value(QStringLiteral("filters")).toArray().size() == 1);
    const MltExport again = mltDocument(in.state, seq, [](const Clip&) { return QStringLiteral("x.mp4"); });
    CHECK(again.xml.contains("frei0r.glow"));
}

TEST_CASE("broken MLT documents get a clear error") {
    struct Case {
        QByteArray xml;
        const char* expect;
    };
    const Case cases[] = {
        {"not xml at all", "not"},
        {"<html><body/></html>", "no <mlt> element"},
        {"<mlt><profile frame_rate_num=\"25\" frame_rate_den=\"1\"/></mlt>", "no tractor or playlist"},
        {"<mlt><playlist id=\"p\"><entry producer=\"nowhere\" in=\"0\" out=\"9\"/></playlist></mlt>", "does not define (nowhere)"},
        {"<mlt><tractor id=\"t\"><track producer=\"gone\"/></tractor></mlt>", "does not define (gone)"},
        {"<mlt><producer id=\"p\"><property name=\"resource\">a.mp4</property></producer><playlist id=\"l\"><entry producer=\"p\" in=\"zero\" out=\"9\"/></playlist></mlt>",
         "'zero' is not a time"},
        {"<mlt><playlist id=\"l\"><blank length=\"10\"/></playlist><tractor id=\"t\"><track producer=\"l\"/></tractor>", "malformed XML"},
    };
    for (const Case& c : cases) {
        INFO(c.xml.toStdString());
        QString error;
        CHECK_FALSE(importMlt(c.xml, QDir::tempPath(), {}, &error));
        INFO(error.toStdString());
        CHECK(error.contains(QLatin1String(c.expect)));
    }
}

TEST_CASE("an MLT export writes generated takes as their rendered files beside the document, and says what it left out") {
    const QString bundle = QString::fromStdString(tandem::test::freshTempDir("mlt-takes")) + QStringLiteral("/Film.tandem");
    QDir().mkpath(bundle + QStringLiteral("/takes"));
    QDir().mkpath(bundle + QStringLiteral("/media"));
    spit(bundle + QStringLiteral("/takes/take-1.mp4"), "first take");
    spit(bundle + QStringLiteral("/takes/take-2.mp4"), "second take");
    spit(bundle + QStringLiteral("/media/take-2.mp4"), "a media file of the same name");
    Project p(QStringLiteral("Film"));
    const Id shot = p.requestAddGeneratedShot(tandem::test::generatedShot("scene 1"), tandem::test::takeWriting("takes/take-1.mp4", 2.0)).newId;
    Take second = tandem::test::takeWriting("takes/take-2.mp4", 2.0);
    second.assetId = shot;
    REQUIRE_EDIT(p.requestAddTake(second)); // the shot now shows its second take
    REQUIRE_EDIT(p.requestInsertAsset(shot, 0));
    const Id other = p.requestAddAsset([] {
        Asset a = tandem::test::mediaAsset(2.0, true, true, "take-2");
        return a;
    }()).newId;
    REQUIRE_EDIT(p.requestInsertAsset(other, p.sequence().duration()));
    // A clip whose media went missing (as an import leaves it): offline.
    ProjectState s = p.state();
    Asset lost = tandem::test::mediaAsset(2.0, true, true, "lost");
    lost.id = s.largestId() + 1;
    lost.path.clear();
    s.assets.append(lost);
    Clip c;
    c.id = lost.id + 1;
    c.assetId = lost.id;
    c.position = s.sequences[0].duration();
    c.length = 20;
    s.sequences[0].tracks[0].clips.append(c);
    REQUIRE(s.consistencyError().isEmpty());

    const QString mlt = QString::fromStdString(tandem::test::freshTempDir("mlt-takes-out")) + QStringLiteral("/cut.mlt");
    QString error;
    const auto exported = exportMltProject(s, s.sequences[0].id, bundle, mlt, &error);
    INFO(error.toStdString());
    REQUIRE(exported);
    const QString media = QFileInfo(mlt).dir().filePath(QStringLiteral("cut-media"));
    QFile take(media + QStringLiteral("/take-2.mp4"));
    REQUIRE(take.open(QIODevice::ReadOnly));
    CHECK(take.readAll() == "second take");
    QFile same(media + QStringLiteral("/media-take-2.mp4")); // the same name from another folder kept apart
    REQUIRE(same.open(QIODevice::ReadOnly));
    CHECK(same.readAll() == "a media file of the same name");
    QFile doc(mlt);
    REQUIRE(doc.open(QIODevice::ReadOnly));
    const QByteArray xml = doc.readAll();
    CHECK(xml.contains("cut-media/take-2.mp4"));
    CHECK(xml.contains("cut-media/media-take-2.mp4"));
    CHECK_FALSE(xml.contains("take-1.mp4"));
    REQUIRE(exported->warnings.size() == 1);
    CHECK(exported->warnings[0].contains(QStringLiteral("'lost'")));
}
