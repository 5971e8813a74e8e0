// Design note: project.json, the one file that holds a project. It is written the same way every time
// (keys sorted, shortest exact numbers), so an unchanged project saves to identical bytes and an undone
// edit restores them. Reading checks everything — types, ranges, references, paths — and names the first
// problem with where it is; a file from an older schema is migrated in memory, one from a newer one is
// refused. Reading never writes.
#pragma once

#include "timeline/state.h"

#include <QByteArray>
#include <optional>

namespace tandem::timeline {

inline constexpr int kProjectSchema = 4;

QByteArray serializeProject(const ProjectState& state);
// The state, or nullopt with a message that says what is wrong and where.
std::optional<ProjectState> parseProject(const QByteArray& bytes, QString* error);

} // namespace tandem::timeline
