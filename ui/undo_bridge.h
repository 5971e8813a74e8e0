// Design note: the editor's Edit menu, undo view and "modified" mark run on a QUndoStack, while the history
// itself lives in the project (timeline/, which has no Qt GUI). The bridge pushes one QUndoCommand per
// undo entry the project records; the command's undo and redo call the project's. All undo and redo in the
// editor go through the stack, so the two stay in step.
#pragma once

#include "timeline/project.h"

#include <QObject>
#include <QUndoStack>

namespace tandem::ui {

class UndoBridge : public QObject {
    Q_OBJECT
public:
    UndoBridge(timeline::Project& project, QObject* parent = nullptr);
    QUndoStack& stack() { return stack_; }
    timeline::Project& project() { return project_; }

private:
    friend class ProjectEditCommand;
    timeline::Project& project_;
    QUndoStack stack_;
};

} // namespace tandem::ui
