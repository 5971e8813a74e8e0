// tandem-cli sync: how far a shot's sound is from its picture (render/lipsync).
#pragma once

#include <string>
#include <vector>

namespace tandem::app {

extern const char* kSyncUsage;
int runSync(const std::vector<std::string>& words);

} // namespace tandem::app
