#include "support/test_media.h"
#include "timeline/autosave.h"
#include "timeline/bundle.h"
#include "timeline/otio.h"
#include "timeline/project_file.h"
#include "timeline_fixtures.h"

#include <QCoreApplication>
#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QStandardPaths>
#include <QThread>

#include <csignal>
#include <sys/resource.h>
#include <unistd.h>

using namespace tandem::timeline;
using tandem::test::mediaAsset;

namespace {

QString freshBundle(const char* name) {
    return QString::fromStdString(tandem::test::freshTempDir(name)) + QStringLiteral("/Film.tandem");
}

QByteArray slurp(const QString& path) {
    QFile f(path);
    return f.open(QIODevice::ReadOnly) ? f.readAll() : QByteArray();
}

void spit(const QString& path, const QByteArray& bytes) {
    QFile f(path);
    REQUIRE(f.open(QIODevice::WriteOnly | QIODevice::Truncate));
    f.write(bytes);
}

QString projectFile(const QString& bundle) { return bundle + QStringLiteral("/project.json"); }

// A small project with media, a mask and a marker.
Project sampleProject() {
    Project p(QStringLiteral("Film"));
    const Id a = p.requestAddAsset(mediaAsset(4.0)).newId;
    REQUIRE_EDIT(p.requestInsertAsset(a, 0));
    const Id mask = p.requestCreateMask(p.sequence().tracks[0].clips[0].id).newId;
    Stroke s;
    s.points = {QPointF(0.1, 0.2), QPointF(0.3, 0.4)};
    REQUIRE_EDIT(p.requestPaintStroke(mask, 3, s));
    REQUIRE_EDIT(p.requestAddMarker(p.sequence().id, 10, QStringLiteral("look"), QStringLiteral("#ff0000")));
    return p;
}

QCoreApplication& app() {
    static int argc = 1;
    static char name[] = "bundle_tests";
    static char* argv[] = {name, nullptr};
    static QCoreApplication instance(argc, argv);
    return instance;
}

} // namespace

TEST_CASE("a saved bundle reads back identically and keeps the previous version as a backup") {
    const QString bundle = freshBundle("bundle-save");
    Project p = sampleProject();
    QString error;
    REQUIRE(saveBundle(bundle, p.state(), &error));
    for (const char* sub : {"media", "takes", "masks", "cache"}) CHECK(QDir(bundle + QLatin1Char('/') + QLatin1String(sub)).exists());
    const QByteArray first = slurp(projectFile(bundle));
    auto loaded = loadBundle(bundle, BundleSource::Project, &error);
    REQUIRE(loaded);
    CHECK(serializeProject(*loaded) == first);

    REQUIRE_EDIT(p.requestRenameSequence(p.sequence().id, QStringLiteral("Cut 2")));
    REQUIRE(saveBundle(bundle, p.state(), &error));
    CHECK(slurp(bundle + QStringLiteral("/project.backup.json")) == first);
    auto backup = loadBundle(bundle, BundleSource::Backup, &error);
    REQUIRE(backup);
    CHECK(backup->sequences[0].name == QStringLiteral("Sequence 1"));
    // No temporary files are left behind.
    CHECK(QDir(bundle).entryList(QStringList{QStringLiteral(".*tmp*")}, QDir::Hidden | QDir::Files).isEmpty());
}

TEST_CASE("corrupt, truncated and future-version project files get a clear error and stay untouched") {
    const QString bundle = freshBundle("bundle-corrupt");
    QString error;
    REQUIRE(saveBundle(bundle, sampleProject().state(), &error));
    const QByteArray good = slurp(projectFile(bundle));

    struct Case {
        const char* what;
        QByteArray bytes;
        const char* expect;
    };
    QByteArray future = good;
    future.replace(QByteArray("\"schema\": ") + QByteArray::number(kProjectSchema),
                   QByteArray("\"schema\": ") + QByteArray::number(kProjectSchema + 1));
    REQUIRE(future != good);
    QByteArray wrongType = good;
    wrongType.replace("\"length\": 128", "\"length\": \"long\"");
    QByteArray badRef = good;
    badRef.replace("\"asset\": 4,", "\"asset\": 4242,");
    REQUIRE(badRef != good);
    const Case cases[] = {
        {"truncated", good.left(good.size() / 2), "damaged"},
        {"empty", QByteArray(), "empty"},
        {"binary noise", QByteArray("\x00\xff\x13garbage", 10), "damaged"},
        {"not a project", QByteArray("{\"hello\": 1}"), "not a Tandem project"},
        {"newer schema", future, "newer Tandem"},
        {"wrong type", wrongType, "length: expected a whole number"},
        {"dangling reference", badRef, "missing asset"},
    };
    for (const Case& c : cases) {
        INFO(c.what);
        spit(projectFile(bundle), c.bytes);
        error.clear();
        CHECK_FALSE(loadBundle(bundle, BundleSource::Project, &error));
        CHECK(error.contains(QLatin1String(c.expect)));
        CHECK(slurp(projectFile(bundle)) == c.bytes); // opening never writes
    }
    CHECK_FALSE(loadBundle(bundle + QStringLiteral("-missing"), BundleSource::Project, &error));
}

TEST_CASE("a bundle whose paths try to escape it is refused") {
    const QString bundle = freshBundle("bundle-escape");
    QString error;
    REQUIRE(saveBundle(bundle, sampleProject().state(), &error));
    const QByteArray good = slurp(projectFile(bundle));
    for (const char* evil : {"../outside.mp4", "/etc/passwd", "media/../../outside.mp4", "media/./x.mp4",
                             "C:/media/x.mp4", "media\\\\..\\\\x.mp4", "elsewhere/x.mp4"}) {
        INFO(evil);
        QByteArray bytes = good;
        bytes.replace("\"media/shot.mp4\"", QByteArray("\"") + evil + "\"");
        REQUIRE(bytes != good);
        spit(projectFile(bundle), bytes);
        CHECK_FALSE(loadBundle(bundle, BundleSource::Project, &error));
    }
    // A symbolic link inside the bundle that points outside is refused too.
    spit(projectFile(bundle), good);
    REQUIRE(QFile::link(QStringLiteral("/etc/hostname"), bundle + QStringLiteral("/media/shot.mp4")));
    CHECK_FALSE(loadBundle(bundle, BundleSource::Project, &error));
    CHECK(error.contains(QStringLiteral("outside")));
    QFile::remove(bundle + QStringLiteral("/media/shot.mp4"));
    CHECK(loadBundle(bundle, BundleSource::Project, &error));
    // So is a media folder that is a link elsewhere, even when the named file does not exist yet.
    const QString outside = QString::fromStdString(tandem::test::freshTempDir("bundle-escape-outside"));
    REQUIRE(QDir(bundle + QStringLiteral("/media")).removeRecursively());
    REQUIRE(QFile::link(outside, bundle + QStringLiteral("/media")));
    CHECK_FALSE(loadBundle(bundle, BundleSource::Project, &error));
    CHECK(error.contains(QStringLiteral("outside")));
}

TEST_CASE("a schema 1 project migrates on open") {
    const QString bundle = freshBundle("bundle-migrate");
    QDir().mkpath(bundle);
    const QByteArray v1 = R"({"format": "tandem-project", "schema": 1, "name": "Old",
      "assets": [{"id": 1, "path": "media/a.mp4", "label": "a", "has_video": true, "has_audio": true,
                  "width": 64, "height": 48, "fps": 16, "duration": 2.0, "prompt": ""}],
      "sequence": {"id": 2, "name": "Main", "fps": 29.97, "sample_rate": 48000,
                   "tracks": [{"id": 3, "kind": "video", "name": "V1", "clips": [
                                 {"id": 5, "asset": 1, "position": 0, "source_in": 0, "length": 30, "link": 6}]},
                              {"id": 4, "kind": "audio", "name": "A1", "clips": [
                                 {"id": 6, "asset": 1, "position": 0, "source_in": 0, "length": 30, "link": 5}]}]}})";
    spit(projectFile(bundle), v1);
    QString error;
    auto state = loadBundle(bundle, BundleSource::Project, &error);
    INFO(error.toStdString());
    REQUIRE(state);
    REQUIRE(state->sequences.size() == 1);
    CHECK(state->sequences[0].time.fps == Rational{30000, 1001});
    CHECK(state->sequences[0].tracks[0].clips[0].linkedClipId == 6);
    CHECK(state->assets[0].kind == AssetKind::Media);
    CHECK(slurp(projectFile(bundle)) == v1); // migrated in memory; saved as schema 2 only when the user saves
}

TEST_CASE("a full disk fails the save with a message and leaves the saved project intact") {
    const QString bundle = freshBundle("bundle-full");
    QString error;
    REQUIRE(saveBundle(bundle, sampleProject().state(), &error));
    const QByteArray saved = slurp(projectFile(bundle));
    Project bigger = sampleProject();
    for (int i = 0; i < 200; ++i) REQUIRE_EDIT(bigger.requestAddMarker(bigger.sequence().id, i, QStringLiteral("marker %1").arg(i)));

    // The file-size limit makes every write past 1 KiB fail as a full disk would.
    rlimit old{};
    REQUIRE(getrlimit(RLIMIT_FSIZE, &old) == 0);
    const auto oldHandler = std::signal(SIGXFSZ, SIG_IGN);
    rlimit tiny = old;
    tiny.rlim_cur = 1024;
    REQUIRE(setrlimit(RLIMIT_FSIZE, &tiny) == 0);
    const bool ok = saveBundle(bundle, bigger.state(), &error);
    setrlimit(RLIMIT_FSIZE, &old);
    std::signal(SIGXFSZ, oldHandler);

    CHECK_FALSE(ok);
    CHECK(error.contains(QStringLiteral("cannot write")));
    CHECK(slurp(projectFile(bundle)) == saved);
    CHECK(QDir(bundle).entryList(QStringList{QStringLiteral(".*tmp*")}, QDir::Hidden | QDir::Files).isEmpty());
}

TEST_CASE("autosave writes a recovery file after the delay — opening offers it — saving retires it") {
    app();
    const QString bundle = freshBundle("bundle-autosave");
    Project p = sampleProject();
    QString error;
    REQUIRE(saveBundle(bundle, p.state(), &error));
    {
        Autosaver autosave(p, bundle, 200);
        REQUIRE_EDIT(p.requestAddMarker(p.sequence().id, 50, QStringLiteral("unsaved")));
        CHECK_FALSE(inspectBundle(bundle).recoverable); // not yet: the delay has not passed
        QElapsedTimer clock;
        clock.start();
        while (!inspectBundle(bundle).recoverable && clock.elapsed() < 5000) {
            QCoreApplication::processEvents(QEventLoop::AllEvents, 20);
            QThread::msleep(10);
        }
        CHECK(clock.elapsed() >= 150);
        REQUIRE(inspectBundle(bundle).recoverable);
        auto recovered = loadBundle(bundle, BundleSource::Recovery, &error);
        REQUIRE(recovered);
        CHECK(recovered->sequences[0].markers.size() == 2);
        CHECK(serializeProject(*recovered) == serializeProject(p.state()));

        REQUIRE(autosave.save(&error));
        CHECK_FALSE(QFile::exists(bundle + QStringLiteral("/recovery.json")));
        CHECK_FALSE(inspectBundle(bundle).recoverable);
        CHECK_FALSE(autosave.hasUnsavedEdits());

        REQUIRE_EDIT(p.requestAddMarker(p.sequence().id, 60, QStringLiteral("again")));
        REQUIRE(autosave.flush(&error));
        REQUIRE(inspectBundle(bundle).recoverable);
    }
    // Declining recovery sets the file aside rather than deleting it.
    REQUIRE(discardRecovery(bundle, &error));
    CHECK_FALSE(inspectBundle(bundle).recoverable);
    CHECK(QFile::exists(bundle + QStringLiteral("/recovery.discarded.json")));
}

TEST_CASE("a read-only project folder: saving says why, and autosave keeps the edits in the user's data folder") {
    app();
    QStandardPaths::setTestModeEnabled(true); // the fallback goes to a test location, not the user's
    const QString bundle = freshBundle("bundle-readonly");
    Project p = sampleProject();
    QString error;
    REQUIRE(saveBundle(bundle, p.state(), &error));
    // Read-only for everyone but root, whom permissions do not stop: for root a directory where the recovery
    // file and the project file would go makes the writes fail the same way.
    REQUIRE(QFile::setPermissions(bundle, QFile::ReadOwner | QFile::ExeOwner | QFile::ReadGroup | QFile::ExeGroup));
    if (geteuid() == 0) {
        REQUIRE(QDir(bundle).mkdir(QStringLiteral("recovery.json")));
        QFile::remove(bundle + QStringLiteral("/project.backup.json"));
        REQUIRE(QDir(bundle).mkdir(QStringLiteral("project.backup.json")));
    }
    {
        Autosaver autosave(p, bundle, 100);
        REQUIRE_EDIT(p.requestAddMarker(p.sequence().id, 70, QStringLiteral("kept")));
        REQUIRE(autosave.flush(&error));
        CHECK(error.contains(QStringLiteral("cannot be written")));
        CHECK(error.contains(fallbackRecoveryFile(bundle)));
        CHECK(QFile::exists(fallbackRecoveryFile(bundle)));

        // Opening offers the edits from there.
        const BundleStatus st = inspectBundle(bundle);
        CHECK(st.recoverable);
        CHECK(st.recoveryFile == fallbackRecoveryFile(bundle));
        const auto recovered = loadBundle(bundle, BundleSource::Recovery, &error);
        REQUIRE(recovered);
        CHECK(serializeProject(*recovered) == serializeProject(p.state()));

        // Saving into the read-only folder fails with the reason; nothing is lost.
        QString why;
        CHECK_FALSE(autosave.save(&why));
        CHECK_FALSE(why.isEmpty());
        CHECK(QFile::exists(fallbackRecoveryFile(bundle)));
    }
    QFile::setPermissions(bundle, QFile::ReadOwner | QFile::WriteOwner | QFile::ExeOwner);
    QDir(bundle + QStringLiteral("/recovery.json")).removeRecursively();
    QDir(bundle + QStringLiteral("/project.backup.json")).removeRecursively();
    // Writable again: a save retires the fallback too.
    REQUIRE(saveBundle(bundle, p.state(), &error));
    CHECK_FALSE(QFile::exists(fallbackRecoveryFile(bundle)));
    CHECK_FALSE(inspectBundle(bundle).recoverable);
}

TEST_CASE("media brought into a bundle stay inside it — the same file is not copied twice") {
    const std::string dir = tandem::test::freshTempDir("bundle-adopt");
    const QString source = QString::fromStdString(dir) + QStringLiteral("/take.mp4");
    spit(source, QByteArray(1000, 'x'));
    const QString bundle = QString::fromStdString(dir) + QStringLiteral("/P.tandem");
    QString error;
    const QString first = adoptMediaFile(bundle, source, &error);
    CHECK(first == QStringLiteral("media/take.mp4"));
    CHECK(adoptMediaFile(bundle, source, &error) == first);
    spit(source, QByteArray(1000, 'y'));
    QFile::remove(source); // a different file with the same name, after the hard link is broken
    spit(source, QByteArray(900, 'y'));
    CHECK(adoptMediaFile(bundle, source, &error) == QStringLiteral("media/take-2.mp4"));
    CHECK(adoptMediaFile(bundle, source + QStringLiteral(".missing"), &error).isEmpty());
    CHECK(error.contains(QStringLiteral("not a readable file")));
}

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
    CHECK(imported->warnings.size() == 3); // missing file, missing reference, skipped transition
    CHECK(imported->warnings.join(QLatin1Char('\n')).contains(QStringLiteral("transition")));
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
        {R"({"OTIO_SCHEMA": "SerializableCollection.1", "children": []})", "collection"},
        {R"({"OTIO_SCHEMA": "Timeline.1", "tracks": {"OTIO_SCHEMA": "Stack.1", "children": []}})", "no tracks"},
        {R"({"OTIO_SCHEMA": "Timeline.1", "tracks": {"OTIO_SCHEMA": "Stack.1", "children": [{"OTIO_SCHEMA": "Stack.1"}]}})", "nested stacks"},
        {R"({"OTIO_SCHEMA": "Timeline.1", "tracks": {"OTIO_SCHEMA": "Stack.1", "children": [{"OTIO_SCHEMA": "Track.1", "kind": "Subtitle", "children": []}]}})", "not Video or Audio"},
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
