#include "timeline/paths.h"

#include <QDir>
#include <QFileInfo>
#include <QStringList>

namespace tandem::timeline {

QString unsafeBundlePathReason(const QString& path) {
    if (path.isEmpty()) return QStringLiteral("the path is empty");
    if (path.startsWith(QLatin1Char('/')) || path.startsWith(QLatin1Char('~')) ||
        (path.size() > 1 && path[1] == QLatin1Char(':')))
        return QStringLiteral("\"%1\" is absolute; paths inside a project are relative to it").arg(path);
    if (path.contains(QLatin1Char('\\')) || path.contains(QChar(0)))
        return QStringLiteral("\"%1\" contains characters a bundle path may not hold").arg(path);
    const QStringList parts = path.split(QLatin1Char('/'));
    for (const QString& part : parts)
        if (part.isEmpty() || part == QLatin1String(".") || part == QLatin1String(".."))
            return QStringLiteral("\"%1\" tries to leave the project folder").arg(path);
    const QString top = parts.front();
    if (parts.size() < 2 || (top != QLatin1String(kMediaDir) && top != QLatin1String(kTakesDir) &&
                             top != QLatin1String(kMasksDir) && top != QLatin1String(kCacheDir)))
        return QStringLiteral("\"%1\" is not inside media/, takes/, masks/ or cache/").arg(path);
    return {};
}

QString resolveInBundle(const QString& bundleDir, const QString& path, QString* why) {
    if (QString reason = unsafeBundlePathReason(path); !reason.isEmpty()) {
        if (why) *why = reason;
        return {};
    }
    const QString root = QFileInfo(bundleDir).canonicalFilePath();
    const QString absolute = QDir(bundleDir).filePath(path);
    // Follow links on the deepest part that exists (the file, or the folder it would be in): a linked
    // media/ folder that points elsewhere must not let a missing file be created outside either.
    QString existing = absolute;
    while (!QFileInfo::exists(existing) && !QFileInfo(existing).isSymLink() && existing.size() > bundleDir.size())
        existing = QFileInfo(existing).path();
    const QString real = QFileInfo(existing).canonicalFilePath();
    if (root.isEmpty() || real.isEmpty() || (real != root && !real.startsWith(root + QLatin1Char('/')))) {
        if (why) *why = QStringLiteral("\"%1\" links to a place outside the project folder").arg(path);
        return {};
    }
    return absolute;
}

} // namespace tandem::timeline
