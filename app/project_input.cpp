#include "app/project_input.h"

#include "app/cli_args.h"
#include "timeline/bundle.h"

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

} // namespace tandem::app
