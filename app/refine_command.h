// tandem-cli refine: a shot (typically a model's small, low-rate output) to a deliverable rate and size.
#pragma once

#include <string>
#include <vector>

namespace tandem::app {

extern const char* kRefineUsage;
int runRefine(const std::vector<std::string>& words);

} // namespace tandem::app
