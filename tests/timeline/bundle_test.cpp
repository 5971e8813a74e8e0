#include "support/test_media.h"
#include "timeline/autosave.h"
#include "timeline/bundle.h"
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
