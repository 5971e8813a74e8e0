#include "timeline/bundle.h"

#include "timeline/atomic_file.h"
#include "timeline/paths.h"
#include "timeline/project_file.h"

#include <QCryptographicHash>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QStandardPaths>

#include <unistd.h>

namespace tandem::timeline {

namespace {

QString fileIn(const QString& dir, const char* name) { return QDir(dir).filePath(QLatin1String(name)); }

std::optional<QByteArray> readWhole(const QString& path, QString* error) {
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly)) {
        if (error) *error = QStringLiteral("cannot read %1: %2").arg(path, f.errorString());
        return std::nullopt;
    }
    return f.readAll();
}

// Every file the project names must resolve inside the bundle (symbolic links included).
QString escapingPath(const QString& bundleDir, const ProjectState& s) {
    auto check = [&](const QString& p) -> QString {
        if (p.isEmpty()) return {};
        QString why;
        return resolveInBundle(bundleDir, p, &why).isEmpty() ? why : QString();
    };
    for (const Asset& a : s.assets)
        if (QString why = check(a.path); !why.isEmpty()) return why;
    for (const Take& t : s.takes)
        if (QString why = check(t.output); !why.isEmpty()) return why;
    return {};
}

// Puts `source` at `target` as a hard link (no copy when on the same disk; a symbolic link could point out
// of the bundle) or else a copy, made under a temporary name and renamed so a half-copied file never shows.
bool linkOrCopy(const QString& source, const QString& target, QString* error) {
    const QFileInfo t(target);
    const QString temp = t.dir().filePath(QStringLiteral(".%1.part").arg(t.fileName()));
    QFile::remove(temp);
    if (::link(source.toLocal8Bit().constData(), temp.toLocal8Bit().constData()) != 0 && !QFile::copy(source, temp)) {
        if (error) *error = QStringLiteral("cannot copy %1 into the project (is the disk full?)").arg(source);
        QFile::remove(temp);
        return false;
    }
    if (!QFile::rename(temp, target)) {
        if (error) *error = QStringLiteral("cannot place %1 in the project").arg(t.fileName());
        QFile::remove(temp);
        return false;
    }
    return true;
}

} // namespace

bool linkOrCopyFile(const QString& source, const QString& target, QString* error) {
    return linkOrCopy(source, target, error);
}

QString bundlePathFor(const QString& path) {
    QString p = QDir::cleanPath(path);
    return p.endsWith(QLatin1String(".tandem")) ? p : p + QStringLiteral(".tandem");
}

QString fallbackRecoveryFile(const QString& bundleDir) {
    // The same folder reached by another path (a link) must find the same file.
    const QFileInfo info(bundleDir);
    const QByteArray key = (info.canonicalFilePath().isEmpty() ? info.absoluteFilePath() : info.canonicalFilePath()).toUtf8();
    const QString name = QString::fromLatin1(QCryptographicHash::hash(key, QCryptographicHash::Sha1).toHex().left(16));
    return QStandardPaths::writableLocation(QStandardPaths::AppLocalDataLocation) + QStringLiteral("/recovery/") + name +
           QStringLiteral(".json");
}

namespace {

// The newer of the bundle's recovery file and the fallback one (empty when neither exists).
QString newestRecovery(const QString& bundleDir) {
    const QFileInfo inBundle(fileIn(bundleDir, kRecoveryFile)), fallback(fallbackRecoveryFile(bundleDir));
    if (inBundle.isFile() && (!fallback.isFile() || inBundle.lastModified() >= fallback.lastModified()))
        return inBundle.filePath();
    return fallback.isFile() ? fallback.filePath() : QString();
}

} // namespace

BundleStatus inspectBundle(const QString& bundleDir) {
    BundleStatus st;
    const QFileInfo project(fileIn(bundleDir, kProjectFile));
    st.exists = project.isFile();
    if (st.exists) st.savedAt = project.lastModified();
    st.recoveryFile = newestRecovery(bundleDir);
    if (!st.recoveryFile.isEmpty()) {
        const QFileInfo recovery(st.recoveryFile);
        st.autosavedAt = recovery.lastModified();
        const bool newer = !st.exists || recovery.lastModified() >= project.lastModified();
        bool differs = true;
        if (newer && st.exists) {
            QFile a(project.filePath()), b(recovery.filePath());
            if (a.open(QIODevice::ReadOnly) && b.open(QIODevice::ReadOnly)) differs = a.readAll() != b.readAll();
        }
        st.recoverable = newer && differs;
    }
    return st;
}

std::optional<ProjectState> loadBundle(const QString& bundleDir, BundleSource source, QString* error) {
    const char* name = source == BundleSource::Recovery ? kRecoveryFile
                       : source == BundleSource::Backup ? kBackupFile
                                                        : kProjectFile;
    QString path = fileIn(bundleDir, name);
    if (source == BundleSource::Recovery && !newestRecovery(bundleDir).isEmpty()) path = newestRecovery(bundleDir);
    if (!QFileInfo(bundleDir).isDir()) {
        if (error) *error = QStringLiteral("%1 is not a project folder").arg(bundleDir);
        return std::nullopt;
    }
    if (!QFileInfo(path).isFile()) {
        if (error) *error = QStringLiteral("%1 has no %2").arg(bundleDir, QLatin1String(name));
        return std::nullopt;
    }
    const auto bytes = readWhole(path, error);
    if (!bytes) return std::nullopt;
    QString why;
    std::optional<ProjectState> state = parseProject(*bytes, &why);
    if (!state) {
        if (error) {
            *error = QStringLiteral("%1: %2").arg(path, why);
            if (source == BundleSource::Project && QFileInfo(fileIn(bundleDir, kBackupFile)).isFile())
                *error += QStringLiteral(" (the version before the last save is in %1)").arg(QLatin1String(kBackupFile));
        }
        return std::nullopt;
    }
    if (QString escape = escapingPath(bundleDir, *state); !escape.isEmpty()) {
        if (error) *error = QStringLiteral("%1: refused: %2").arg(path, escape);
        return std::nullopt;
    }
    return state;
}

bool saveBundle(const QString& bundleDir, const ProjectState& state, QString* error) {
    QDir dir(bundleDir);
    for (const char* sub : {kMediaDir, kTakesDir, kMasksDir, kCacheDir})
        if (!dir.mkpath(QLatin1String(sub))) {
            if (error) *error = QStringLiteral("cannot create %1/%2").arg(bundleDir, QLatin1String(sub));
            return false;
        }
    const QString project = fileIn(bundleDir, kProjectFile);
    const QByteArray bytes = serializeProject(state);
    if (QFileInfo(project).isFile()) {
        const auto previous = readWhole(project, error);
        if (!previous) return false;
        if (*previous != bytes && !writeFileAtomically(fileIn(bundleDir, kBackupFile), *previous, error)) return false;
    }
    if (!writeFileAtomically(project, bytes, error)) return false;
    // The saved project now holds everything the recovery files did.
    QFile::remove(fileIn(bundleDir, kRecoveryFile));
    QFile::remove(fallbackRecoveryFile(bundleDir));
    return true;
}

bool writeRecovery(const QString& bundleDir, const QByteArray& serializedState, QString* error, QString* elsewhere) {
    if (!QDir(bundleDir).exists()) {
        if (error) *error = QStringLiteral("%1 does not exist").arg(bundleDir);
        return false;
    }
    QString why;
    if (writeFileAtomically(fileIn(bundleDir, kRecoveryFile), serializedState, &why)) {
        QFile::remove(fallbackRecoveryFile(bundleDir)); // the bundle holds the newest edits again
        return true;
    }
    // The bundle cannot take it (read-only, full): the edits must still survive a crash.
    const QString fallback = fallbackRecoveryFile(bundleDir);
    QString fallbackWhy;
    if (!QDir().mkpath(QFileInfo(fallback).absolutePath()) || !writeFileAtomically(fallback, serializedState, &fallbackWhy)) {
        if (error) *error = QStringLiteral("%1; and %2").arg(why, fallbackWhy.isEmpty() ? QStringLiteral("no fallback folder") : fallbackWhy);
        return false;
    }
    if (elsewhere)
        *elsewhere = QStringLiteral("%1 cannot be written (%2): unsaved edits are kept in %3").arg(QFileInfo(bundleDir).fileName(), why, fallback);
    return true;
}

QString adoptMediaFile(const QString& bundleDir, const QString& sourcePath, QString* error) {
    const QFileInfo source(sourcePath);
    if (!source.isFile()) {
        if (error) *error = QStringLiteral("%1 is not a readable file").arg(sourcePath);
        return {};
    }
    QDir media(QDir(bundleDir).filePath(QLatin1String(kMediaDir)));
    if (!media.mkpath(QStringLiteral("."))) {
        if (error) *error = QStringLiteral("cannot create %1").arg(media.path());
        return {};
    }
    // Same name, same size and same bytes: the file is already here.
    const QString base = source.completeBaseName(), suffix = source.suffix().isEmpty() ? QString() : QLatin1Char('.') + source.suffix();
    QString name = source.fileName();
    for (int n = 2;; ++n) {
        const QFileInfo existing(media.filePath(name));
        if (!existing.exists()) break;
        if (existing.size() == source.size()) {
            QFile a(existing.filePath()), b(sourcePath);
            if (a.open(QIODevice::ReadOnly) && b.open(QIODevice::ReadOnly)) {
                bool same = true;
                while (same && !a.atEnd()) same = a.read(1 << 20) == b.read(1 << 20);
                if (same) return QLatin1String(kMediaDir) + QLatin1Char('/') + name;
            }
        }
        name = QStringLiteral("%1-%2%3").arg(base).arg(n).arg(suffix);
    }
    if (!linkOrCopy(sourcePath, media.filePath(name), error)) return {};
    return QLatin1String(kMediaDir) + QLatin1Char('/') + name;
}

bool copyBundleFiles(const QString& fromBundle, const QString& toBundle, QString* error) {
    if (QFileInfo(fromBundle).canonicalFilePath() == QFileInfo(toBundle).canonicalFilePath()) return true;
    for (const char* sub : {kMediaDir, kTakesDir, kMasksDir}) {
        const QDir from(QDir(fromBundle).filePath(QLatin1String(sub)));
        const QDir to(QDir(toBundle).filePath(QLatin1String(sub)));
        if (!from.exists()) continue;
        if (!to.mkpath(QStringLiteral("."))) {
            if (error) *error = QStringLiteral("cannot create %1").arg(to.path());
            return false;
        }
        for (const QFileInfo& f : from.entryInfoList(QDir::Files)) {
            const QString target = to.filePath(f.fileName());
            if (QFileInfo::exists(target)) continue;
            if (!linkOrCopy(f.filePath(), target, error)) return false;
        }
    }
    return true;
}

bool discardRecovery(const QString& bundleDir, QString* error) {
    if (const QString fallback = fallbackRecoveryFile(bundleDir); QFileInfo(fallback).isFile()) {
        QFile::remove(fallback + QStringLiteral(".discarded"));
        QFile::rename(fallback, fallback + QStringLiteral(".discarded")); // set aside, never deleted
    }
    const QString from = fileIn(bundleDir, kRecoveryFile);
    const QString to = fileIn(bundleDir, kDiscardedRecoveryFile);
    if (!QFileInfo(from).isFile()) return true;
    QFile::remove(to);
    if (!QFile::rename(from, to)) {
        if (error) *error = QStringLiteral("cannot set %1 aside").arg(from);
        return false;
    }
    return true;
}

} // namespace tandem::timeline
