// Design note: how the project layer writes a file so that a crash, a kill or a full disk at any moment
// leaves either the old file or the new one, never a mixture: write a temporary file beside the target,
// flush it to the disk (fsync), rename it over the target, then sync the folder so the rename itself lasts.
#pragma once

#include <QByteArray>
#include <QString>

namespace tandem::timeline {

// True on success; otherwise the target is untouched, the temporary file is gone and `error` says why.
bool writeFileAtomically(const QString& path, const QByteArray& bytes, QString* error);

} // namespace tandem::timeline
