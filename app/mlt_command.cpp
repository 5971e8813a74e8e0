#include "app/mlt_command.h"

#include "ui/media_asset.h"

#include "app/cli_args.h"
#include "app/project_input.h"
#include "render/media_error.h"
#include "render/probe.h"
#include "timeline/bundle.h"
#include "timeline/mlt.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>

#include <iostream>

namespace tandem::app {

const char* kExportMltUsage = R"(usage: tandem-cli export-mlt NAME.tandem -o FILE.mlt [--sequence NAME]

Writes a sequence (the first, or --sequence NAME) as an MLT XML project that Shotcut opens and `melt`
renders, with every media file it shows (generated takes as their rendered files) in FILE-media/ beside
it: clips with their in and out points, gaps, dissolves, opacity, fades and gain. What MLT cannot say as
Tandem plays it is listed in one note.
)";

const char* kImportMltUsage = R"(usage: tandem-cli import-mlt FILE.mlt -o NAME.tandem

Reads an MLT XML document (a Shotcut project, or what `melt … -consumer xml:FILE.mlt` writes) into a new
project bundle: tracks, clips with in and out points, gaps, dissolves, opacity, fades and gain. Referenced
media files are brought into the bundle's media/ folder; missing ones stay offline. What is not understood
is listed in one note.
)";

namespace {

QString qs(const std::string& s) { return QString::fromStdString(s); }

bool probeInto(const QString& path, timeline::Asset& asset) {
    try {
        ui::describeMedia(render::probe(path.toStdString()), asset);
        return true;
    } catch (const render::MediaError&) {
        return false;
    }
}

} // namespace

int runExportMlt(const std::vector<std::string>& words) {
    Args args(words, "export-mlt", {"output", "sequence"}, {}, {{"-o", "--output"}});
    if (args.positional().size() != 1) throw UsageError("expected 'export-mlt NAME.tandem -o FILE.mlt'");
    const QString output = qs(args.required("output"));
    const ProjectInput in = openProjectInput(args.positional()[0], args.text("sequence"));
    QString error;
    const auto exported = timeline::exportMltProject(in.state, in.sequence().id, QFileInfo(in.bundle).absoluteFilePath(), output, &error);
    if (!exported) throw std::runtime_error(output.toStdString() + ": " + error.toStdString());
    if (!exported->warnings.isEmpty())
        std::cerr << "note: not everything plays in MLT as it does here:\n  - " << exported->warnings.join(QStringLiteral("\n  - ")).toStdString() << "\n";
    std::cout << output.toStdString() << "\n";
    return 0;
}

int runImportMlt(const std::vector<std::string>& words) {
    Args args(words, "import-mlt", {"output"}, {}, {{"-o", "--output"}});
    if (args.positional().size() != 1) throw UsageError("expected 'import-mlt FILE.mlt -o NAME.tandem'");
    const QString mltPath = qs(args.positional()[0]), outPath = qs(args.required("output"));
    QFile file(mltPath);
    if (!file.open(QIODevice::ReadOnly)) throw std::runtime_error("cannot read " + mltPath.toStdString() + ": " + file.errorString().toStdString());
    const QString bundle = timeline::bundlePathFor(outPath);
    if (QFileInfo(QDir(bundle).filePath(QLatin1String(timeline::kProjectFile))).exists())
        throw UsageError(bundle.toStdString() + " already holds a project; choose another name");
    const bool created = !QFileInfo(bundle).exists();
    if (!QDir().mkpath(bundle)) throw std::runtime_error("cannot create " + bundle.toStdString());
    timeline::OtioImportHooks hooks;
    hooks.adoptMedia = [&](const QString& f, QString* why) { return timeline::adoptMediaFile(bundle, f, why); };
    hooks.probe = probeInto;
    QString error;
    auto imported = timeline::importMlt(file.readAll(), QFileInfo(mltPath).absolutePath(), hooks, &error);
    if (imported) {
        imported->state.name = QFileInfo(bundle).completeBaseName();
        if (timeline::saveBundle(bundle, imported->state, &error)) {
            if (!imported->warnings.isEmpty()) std::cerr << "note: " << imported->summary().toStdString() << "\n";
            const auto& seq = imported->state.sequences.front();
            int clips = 0;
            for (const auto& t : seq.tracks) clips += int(t.clips.size());
            std::cout << bundle.toStdString() << ": " << seq.tracks.size() << " tracks, " << clips << " clips, "
                      << imported->state.assets.size() << " media, " << seq.time.fps.num << "/" << seq.time.fps.den << " fps\n";
            return 0;
        }
    }
    if (created) QDir(bundle).removeRecursively(); // leave nothing half-made behind
    throw std::runtime_error(mltPath.toStdString() + ": " + error.toStdString());
}

} // namespace tandem::app
