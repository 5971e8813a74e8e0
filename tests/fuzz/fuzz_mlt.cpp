// Fuzz target: the MLT XML importer — any bytes; a document that imports gives a consistent project, whose
// own MLT document imports again.
#include "timeline/mlt.h"

#include <QByteArray>
#include <QDir>

#include <cstdlib>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    using namespace tandem::timeline;
    const QByteArray bytes(reinterpret_cast<const char*>(data), qsizetype(size));
    QString error;
    const auto imported = importMlt(bytes, QDir::tempPath(), {}, &error);
    if (!imported) return 0;
    if (!imported->state.consistencyError().isEmpty()) std::abort(); // an import never makes a broken project
    const MltExport doc = mltDocument(imported->state, imported->state.sequences[0], [](const Clip&) { return QStringLiteral("x.mp4"); });
    if (!importMlt(doc.xml, QDir::tempPath(), {}, &error)) std::abort();
    return 0;
}
