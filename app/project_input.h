// How a command opens a project: the saved project.json of a bundle (autosaved edits that were never saved
// are named, not used) and one of its sequences, by name or the first.
#pragma once

#include "timeline/otio.h"
#include "timeline/state.h"

#include <functional>
#include <optional>
#include <string>

namespace tandem::app {

struct ProjectInput {
    QString bundle; // the NAME.tandem folder
    timeline::ProjectState state;
    int sequenceIndex = 0;
    const timeline::Sequence& sequence() const { return state.sequences[sequenceIndex]; }
};

// Throws std::runtime_error when the project cannot be read, UsageError for an unknown sequence name.
ProjectInput openProjectInput(const std::string& path, const std::string& sequenceName);

// Fills in what a media file holds (picture, sound, size, rate, duration); false when it cannot be read.
bool probeMediaInto(const QString& path, timeline::Asset& asset);

// What an import from another editor's file made: the project and its one warning (empty: nothing changed).
struct ImportedProject {
    timeline::ProjectState state;
    QString summary;
};
// Fills the hooks an import brings media in with, for the bundle being made.
using ProjectImporter = std::function<std::optional<ImportedProject>(const timeline::OtioImportHooks& hooks, QString* error)>;

// Makes the bundle for `outPath` (refused when it already holds a project), runs `import` with hooks that
// bring media into it (probed there), saves the project and prints its tracks, clips and media, with the
// import's warning as one note. On failure the bundle it made is removed and the reason thrown.
int importIntoNewBundle(const QString& sourcePath, const QString& outPath, const ProjectImporter& import,
                        const std::function<void(const QString& bundle, timeline::OtioImportHooks&)>& moreHooks = {});

} // namespace tandem::app
