#include "model/engine.h"

// Task names, shared by the engine and its clients (torch-free).
namespace tandem::model {

const char* taskName(Task t) {
    switch (t) {
    case Task::Generate: return "generate";
    case Task::Image: return "image";
    case Task::Inpaint: return "inpaint";
    case Task::Retake: return "retake";
    case Task::Extend: return "extend";
    case Task::Restyle: return "restyle";
    case Task::Foley: return "foley";
    case Task::Dub: return "dub";
    }
    return "?";
}

bool parseTask(const std::string& name, Task& out) {
    for (Task t : {Task::Generate, Task::Image, Task::Inpaint, Task::Retake, Task::Extend, Task::Restyle, Task::Foley, Task::Dub})
        if (name == taskName(t)) {
            out = t;
            return true;
        }
    return false;
}

} // namespace tandem::model
