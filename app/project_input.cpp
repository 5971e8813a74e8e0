#include "app/project_input.h"

#include "app/cli_args.h"
#include "render/media_error.h"
#include "render/probe.h"
#include "timeline/bundle.h"
#include "ui/media_asset.h"

#include <QDir>
#include <QFileInfo>

#include <iostream>

namespace tandem::app {

ProjectInput openProjectInput(const std::string& path, const std::string& sequenceName) {
    ProjectInput in;
    in.bundle = timeline::bundlePathFor(QString::fromStdString(path));
    QString error;
    auto state = timeline::loadBundle(in.bundle, timeline::BundleSource::Project, &error);
    if (!state) throw std::runtime_error(error.toStdString());
    in.state = std::move(*state);
    if (timeline::inspectBundle(in.bundle).recoverable)
        std::cerr << "note: " << in.bundle.toStdString() << " has autosaved edits that were never saved; they are not used\n";
    if (!sequenceName.empty()) {
        in.sequenceIndex = -1;
        for (int i = 0; i < in.state.sequences.size(); ++i)
            if (in.state.sequences[i].name.toStdString() == sequenceName) in.sequenceIndex = i;
        if (in.sequenceIndex < 0) throw UsageError("the project has no sequence named '" + sequenceName + "'");
    }
    return in;
}

bool probeMediaInto(const QString& path, timeline::Asset& asset) {
    try {
        ui::describeMedia(render::probe(path.toStdString()), asset);
        return true;
    } catch (const render::MediaError&) {
        return false;
    }
}

int importIntoNewBundle(const QString& sourcePath, const QString& outPath, const ProjectImporter& import,
                        const std::function<void(const QString& bundle, timeline::OtioImportHooks&)>& moreHooks) {
    const QString bundle = timeline::bundlePathFor(outPath);
    if (QFileInfo(QDir(bundle).filePath(QLatin1String(timeline::kProjectFile))).exists())
        throw UsageError(bundle.toStdString() + " already holds a project; choose another name");
    const bool created = !QFileInfo(bundle).exists();
    if (!QDir().mkpath(bundle)) throw std::runtime_error("cannot create " + bundle.toStdString());
    timeline::OtioImportHooks hooks;
    hooks.adoptMedia = [&](const QString& file, QString* error) { return timeline::adoptMediaFile(bundle, file, error); };
    hooks.probe = probeMediaInto;
    if (moreHooks) moreHooks(bundle, hooks);
    QString error;
    auto imported = import(hooks, &error);
    if (imported) {
        imported->state.name = QFileInfo(bundle).completeBaseName();
        if (timeline::saveBundle(bundle, imported->state, &error)) {
            if (!imported->summary.isEmpty()) std::cerr << "note: " << imported->summary.toStdString() << "\n";
            const auto& seq = imported->state.sequences.front();
            int clips = 0;
            for (const auto& t : seq.tracks) clips += int(t.clips.size());
            std::cout << bundle.toStdString() << ": " << seq.tracks.size() << " tracks, " << clips << " clips, "
                      << imported->state.assets.size() << " media, " << seq.time.fps.num << "/" << seq.time.fps.den << " fps\n";
            return 0;
        }
    }
    if (created) QDir(bundle).removeRecursively(); // leave nothing half-made behind
    throw std::runtime_error(sourcePath.toStdString() + ": " + error.toStdString());
}

} // namespace tandem::app
