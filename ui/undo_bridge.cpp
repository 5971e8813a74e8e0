#include "ui/undo_bridge.h"

#include <QUndoCommand>

namespace tandem::ui {

// One recorded project edit. It is pushed after the project applied it, so the stack's first redo() is
// a no-op; later ones replay the project's redo.
class ProjectEditCommand : public QUndoCommand {
public:
    ProjectEditCommand(UndoBridge& bridge, const QString& text) : QUndoCommand(text), bridge_(bridge) {}
    void undo() override { bridge_.project_.undo(); }
    void redo() override {
        if (first_) {
            first_ = false;
            return;
        }
        bridge_.project_.redo();
    }

private:
    UndoBridge& bridge_;
    bool first_ = true;
};

UndoBridge::UndoBridge(timeline::Project& project, QObject* parent) : QObject(parent), project_(project) {
    project_.setRecordListener([this](const QString& text) { stack_.push(new ProjectEditCommand(*this, text)); });
}

} // namespace tandem::ui
