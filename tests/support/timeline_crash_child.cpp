// The editing half of the crash test: opens (or creates) a bundle, recovers autosaved work if there is
// any, then edits without pause — every edit appends a clip and a marker named with its number, as one
// undo step — with autosave on, and saves (as the creator would with Ctrl+S) every 300 edits, until it is killed. Each edit is reported on
// stdout as "edit N MS" (N = number, MS = wall clock), so the test can tell which edits a kill lost.
#include "timeline/autosave.h"
#include "timeline/bundle.h"

#include <QCoreApplication>
#include <QDateTime>
#include <QRandomGenerator>
#include <QTimer>

#include <cstdio>

using namespace tandem::timeline;

int main(int argc, char** argv) {
    QCoreApplication app(argc, argv);
    if (argc != 2) {
        std::fprintf(stderr, "usage: timeline_crash_child BUNDLE\n");
        return 2;
    }
    const QString bundle = QString::fromLocal8Bit(argv[1]);
    QString error;
    std::optional<ProjectState> state;
    const BundleStatus status = inspectBundle(bundle);
    if (status.exists) {
        state = loadBundle(bundle, status.recoverable ? BundleSource::Recovery : BundleSource::Project, &error);
        if (!state) {
            std::fprintf(stderr, "cannot reopen: %s\n", qPrintable(error));
            return 1;
        }
    }
    Project project = state ? Project(*state) : Project(QStringLiteral("Crash"));
    if (!state) {
        Asset a;
        a.path = QStringLiteral("media/long.mp4");
        a.label = QStringLiteral("long");
        a.hasVideo = true;
        a.duration = 100000;
        if (!project.requestAddAsset(a).ok || !saveBundle(bundle, project.state(), &error)) {
            std::fprintf(stderr, "cannot create: %s\n", qPrintable(error));
            return 1;
        }
    }
    Autosaver autosave(project, bundle);
    qint64 number = project.sequence().markers.size();
    std::printf("ready %lld\n", number);
    std::fflush(stdout);

    QTimer edits;
    QObject::connect(&edits, &QTimer::timeout, [&] {
        const Id assetId = project.state().assets.front().id;
        const Id track = project.sequence().tracks.front().id;
        const qint64 end = project.sequence().duration();
        const auto r = project.requestCompound(QStringLiteral("edit"), [&] {
            Placement p;
            p.assetId = assetId;
            p.videoTrackId = track;
            p.position = end;
            p.sourceIn = QRandomGenerator::global()->bounded(1000);
            p.length = 1 + QRandomGenerator::global()->bounded(8);
            const auto placed = project.requestPlace(p);
            if (!placed.ok) return placed;
            return project.requestAddMarker(project.sequence().id, end, QString::number(number + 1));
        });
        if (!r.ok) {
            std::fprintf(stderr, "edit refused: %s\n", qPrintable(r.reason));
            app.exit(1);
            return;
        }
        ++number;
        std::printf("edit %lld %lld\n", number, QDateTime::currentMSecsSinceEpoch());
        std::fflush(stdout);
        if (number % 300 == 0 && !autosave.save(&error)) std::fprintf(stderr, "save failed: %s\n", qPrintable(error));
        edits.start(5 + QRandomGenerator::global()->bounded(35));
    });
    edits.setSingleShot(true);
    edits.start(10);
    return app.exec();
}
