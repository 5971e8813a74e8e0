// tandem-cli otio: hand a sequence to another editor as OpenTimelineIO, or start a project from one.
#pragma once

#include <string>
#include <vector>

namespace tandem::app {

extern const char* kOtioUsage;
int runOtio(const std::vector<std::string>& words);

} // namespace tandem::app
