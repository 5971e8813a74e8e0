// Project-layer costs at the sizes a short drama reaches: how long one edit takes (copy, validate, commit,
// undo entry), how long project.json takes to serialize and to write atomically (what autosave does every
// 3 s while editing), and how long it takes to read back. Prints one line per size.
#include "timeline/atomic_file.h"
#include "timeline/project.h"
#include "timeline/project_file.h"

#include <QDir>
#include <QElapsedTimer>

#include <algorithm>
#include <cstdio>
#include <vector>

using namespace tandem::timeline;

namespace {

double median(std::vector<double> v) {
    std::sort(v.begin(), v.end());
    return v[v.size() / 2];
}

template <typename F> double timeMs(F f, int repeats) {
    std::vector<double> t;
    for (int i = 0; i < repeats; ++i) {
        QElapsedTimer clock;
        clock.start();
        f();
        t.push_back(clock.nsecsElapsed() / 1e6);
    }
    return median(t);
}

// `clips` A/V pairs of 2-second shots, each with a painted mask, on V1/A1.
Project build(int clips) {
    Project p;
    Asset a;
    a.path = QStringLiteral("media/shot.mp4");
    a.label = QStringLiteral("shot");
    a.hasVideo = a.hasAudio = true;
    a.duration = 10;
    const Id asset = p.requestAddAsset(a).newId;
    for (int i = 0; i < clips; ++i) {
        Placement pl;
        pl.assetId = asset;
        pl.videoTrackId = p.sequence().tracks[0].id;
        pl.audioTrackId = p.sequence().tracks[1].id;
        pl.position = qint64(i) * 64;
        pl.length = 64;
        const Id v = p.requestPlace(pl).newId;
        const Id m = p.requestCreateMask(v).newId;
        Stroke s;
        for (int k = 0; k < 20; ++k) s.points.append(QPointF(0.3 + k * 0.01, 0.5));
        p.requestPaintStroke(m, 0, s);
    }
    return p;
}

} // namespace

int main() {
    const QString dir = QDir::temp().filePath(QStringLiteral("tandem-project-bench"));
    QDir().mkpath(dir);
    std::printf("%8s %12s %13s %12s %12s %12s\n", "pairs", "edit ms", "undo µs", "json KiB", "autosave ms", "read ms");
    for (int clips : {100, 500, 1000, 2000}) {
        Project p = build(clips);
        const Id first = p.sequence().tracks[0].clips[0].id;
        qint64 at = 0;
        const double edit = timeMs([&] { p.requestSlip(first, (at++ % 2) ? -1 : 1); }, 51);
        const double undoUs = timeMs([&] { p.undo(); p.redo(); }, 51) / 2 * 1000;
        QByteArray json;
        const double save = timeMs([&] {
            json = serializeProject(p.state());
            QString error;
            writeFileAtomically(dir + QStringLiteral("/recovery.json"), json, &error);
        }, 11);
        const double read = timeMs([&] {
            QString error;
            parseProject(json, &error);
        }, 11);
        std::printf("%8d %12.3f %12.3f %12.1f %12.2f %12.2f\n", clips, edit, undoUs, json.size() / 1024.0, save, read);
    }
    QDir(dir).removeRecursively();
    return 0;
}
