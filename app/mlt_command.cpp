#include "app/mlt_command.h"

#include "app/cli_args.h"
#include "app/project_input.h"
#include "timeline/bundle.h"
#include "timeline/mlt.h"

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
    const QString mltPath = qs(args.positional()[0]);
    QFile file(mltPath);
    if (!file.open(QIODevice::ReadOnly)) throw std::runtime_error("cannot read " + mltPath.toStdString() + ": " + file.errorString().toStdString());
    const QByteArray xml = file.readAll();
    return importIntoNewBundle(mltPath, qs(args.required("output")), [&](const timeline::OtioImportHooks& hooks, QString* error) {
        auto imported = timeline::importMlt(xml, QFileInfo(mltPath).absolutePath(), hooks, error);
        return imported ? std::optional<ImportedProject>(ImportedProject{imported->state, imported->summary()}) : std::nullopt;
    });
}

} // namespace tandem::app
