#include "app/otio_command.h"


#include "app/cli_args.h"
#include "app/project_input.h"
#include "render/image_sequence.h"
#include "render/media_error.h"
#include "timeline/atomic_file.h"
#include "timeline/bundle.h"
#include "timeline/otio.h"
#include "timeline/paths.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>

#include <iostream>

namespace tandem::app {

const char* kOtioUsage = R"(usage: tandem-cli otio import FILE.otio -o NAME.tandem
       tandem-cli otio export NAME.tandem -o FILE.otio [--sequence NAME]

import: reads an OpenTimelineIO timeline (from Resolve, Kdenlive, Premiere via OTIO, …) into a new project
        bundle: tracks, clips, gaps, source ranges, transitions (as dissolves or fades) and markers; nested
        sequences flattened as OTIO does (the top layer wins); image sequences made into one movie each.
        Referenced media files are brought into the bundle's media/ folder; missing ones stay offline.
        Effects and unknown items are kept for a later export, not played. Everything not brought in as
        it was is listed in one note.
export: writes a sequence of a project (the first, or --sequence NAME) as OpenTimelineIO JSON whose media
        references point at the files inside the bundle.
)";

namespace {

QString qs(const std::string& s) { return QString::fromStdString(s); }

// An image sequence as one movie in the bundle's media/ folder, named after its files.
bool adoptImageSequence(const QString& bundle, const timeline::ImageSequence& images, timeline::Asset& asset, QString* error) {
    std::vector<std::string> frames;
    for (qint64 i = 0; i < images.count; ++i) {
        timeline::ImageSequence one = images;
        one.startFrame = images.startFrame + i * images.frameStep;
        frames.push_back(one.firstFile().toStdString());
    }
    // Named after the files' common start: "sh010.%04d.exr" → sh010.mp4.
    QString stem = QFileInfo(images.pattern).fileName().section(QLatin1Char('%'), 0, 0);
    while (!stem.isEmpty() && QStringLiteral("._- ").contains(stem.back())) stem.chop(1);
    if (stem.isEmpty()) stem = QStringLiteral("images");
    const QDir media(QDir(bundle).filePath(QLatin1String(timeline::kMediaDir)));
    if (!media.mkpath(QStringLiteral("."))) {
        *error = QStringLiteral("cannot create ") + media.path();
        return false;
    }
    QString name = stem + QStringLiteral(".mp4");
    for (int n = 2; media.exists(name); ++n) name = QStringLiteral("%1-%2.mp4").arg(stem).arg(n);
    try {
        render::writeImageSequenceMovie(frames, images.rate, media.filePath(name).toStdString());
    } catch (const render::MediaError& e) {
        *error = QString::fromStdString(e.what());
        return false;
    }
    asset.path = QLatin1String(timeline::kMediaDir) + QLatin1Char('/') + name;
    return probeMediaInto(media.filePath(name), asset);
}

int importOtioFile(const QString& otioPath, const QString& outPath) {
    QFile in(otioPath);
    if (!in.open(QIODevice::ReadOnly)) throw std::runtime_error("cannot read " + otioPath.toStdString() + ": " + in.errorString().toStdString());
    const QByteArray json = in.readAll();
    auto imageSequences = [](const QString& bundle, timeline::OtioImportHooks& hooks) {
        hooks.adoptImageSequence = [bundle](const timeline::ImageSequence& images, timeline::Asset& asset, QString* why) {
            return adoptImageSequence(bundle, images, asset, why);
        };
    };
    return importIntoNewBundle(otioPath, outPath, [&](const timeline::OtioImportHooks& hooks, QString* error) {
        auto imported = timeline::importOtio(json, QFileInfo(otioPath).absolutePath(), hooks, error);
        return imported ? std::optional<ImportedProject>(ImportedProject{imported->state, imported->summary()}) : std::nullopt;
    }, imageSequences);
}

int exportOtioFile(const std::string& bundlePath, const QString& outPath, const std::string& sequenceName) {
    const ProjectInput in = openProjectInput(bundlePath, sequenceName);
    QString error;
    const QByteArray json = timeline::exportOtio(in.state, in.sequence().id, QFileInfo(in.bundle).absoluteFilePath(), &error);
    if (json.isEmpty() || !timeline::writeFileAtomically(outPath, json, &error)) throw std::runtime_error(error.toStdString());
    std::cout << outPath.toStdString() << "\n";
    return 0;
}

} // namespace

int runOtio(const std::vector<std::string>& words) {
    Args args(words, "otio", {"output", "sequence"}, {}, {{"-o", "--output"}});
    const auto& pos = args.positional();
    if (pos.size() != 2 || (pos[0] != "import" && pos[0] != "export"))
        throw UsageError("expected 'otio import FILE.otio -o NAME.tandem' or 'otio export NAME.tandem -o FILE.otio'");
    const QString output = qs(args.required("output"));
    if (pos[0] == "import") return importOtioFile(qs(pos[1]), output);
    return exportOtioFile(pos[1], output, args.text("sequence"));
}

} // namespace tandem::app
