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
    const QFileInfo info(absolute);
    if (info.exists() || info.isSymLink()) {
        const QString real = info.canonicalFilePath();
        if (root.isEmpty() || real.isEmpty() || !real.startsWith(root + QLatin1Char('/'))) {
            if (why) *why = QStringLiteral("\"%1\" links to a file outside the project folder").arg(path);
            return {};
        }
    }
    return absolute;
}

} // namespace tandem::timeline
