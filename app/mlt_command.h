// tandem-cli export-mlt / import-mlt: hand a sequence to Shotcut or Kdenlive as an MLT project, or start a
// project from one (timeline/mlt.h says what each way keeps).
#pragma once

#include <string>
#include <vector>

namespace tandem::app {

extern const char* kExportMltUsage;
extern const char* kImportMltUsage;
int runExportMlt(const std::vector<std::string>& words);
int runImportMlt(const std::vector<std::string>& words);

} // namespace tandem::app
