// How a command opens a project: the saved project.json of a bundle (autosaved edits that were never saved
// are named, not used) and one of its sequences, by name or the first.
#pragma once

#include "timeline/state.h"

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

} // namespace tandem::app
