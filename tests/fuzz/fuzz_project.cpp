// Fuzz target: the project loader — project.json of any schema, migrated and checked for consistency; a
// file that parses must serialise and parse back to the same state.
#include "timeline/project_file.h"

#include <QByteArray>

#include <cstdlib>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    const QByteArray bytes(reinterpret_cast<const char*>(data), qsizetype(size));
    QString error;
    const auto state = tandem::timeline::parseProject(bytes, &error);
    if (!state) return 0;
    const QByteArray again = tandem::timeline::serializeProject(*state);
    const auto back = tandem::timeline::parseProject(again, &error);
    if (!back || tandem::timeline::serializeProject(*back) != again) std::abort(); // a round trip must be exact
    return 0;
}
