// Fuzz target: the OpenTimelineIO importer — any bytes; a timeline that imports is consistent, exports, and
// what it exports imports again.
#include "timeline/otio.h"

#include <QByteArray>
#include <QDir>

#include <cstdlib>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    using namespace tandem::timeline;
    const QByteArray bytes(reinterpret_cast<const char*>(data), qsizetype(size));
    QString error;
    const auto imported = importOtio(bytes, QDir::tempPath(), {}, &error);
    if (!imported) return 0;
    if (!imported->state.consistencyError().isEmpty()) std::abort(); // an import never makes a broken project
    const QByteArray again = exportOtio(imported->state, imported->state.sequences[0].id, QDir::tempPath(), &error);
    if (again.isEmpty() || !importOtio(again, QDir::tempPath(), {}, &error)) std::abort();
    return 0;
}
