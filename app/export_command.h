// tandem-cli export: a project's sequence into a finished movie.
#pragma once

#include <string>
#include <vector>

namespace tandem::app {

extern const char* kExportUsage;
int runExport(const std::vector<std::string>& words);

} // namespace tandem::app
