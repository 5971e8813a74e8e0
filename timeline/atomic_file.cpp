#include "timeline/atomic_file.h"

#include <QFileInfo>
#include <QRandomGenerator>

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <unistd.h>

namespace tandem::timeline {

namespace {

QString systemError(const QString& what, const QString& path) {
    return QStringLiteral("%1 %2: %3").arg(what, path, QString::fromLocal8Bit(std::strerror(errno)));
}

bool writeAll(int fd, const QByteArray& bytes) {
    qsizetype done = 0;
    while (done < bytes.size()) {
        const ssize_t n = ::write(fd, bytes.constData() + done, size_t(bytes.size() - done));
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return false;
        done += n;
    }
    return true;
}

} // namespace

bool writeFileAtomically(const QString& path, const QByteArray& bytes, QString* error) {
    const QFileInfo target(path);
    const QString temp = QStringLiteral("%1/.%2.tmp-%3-%4")
                             .arg(target.absolutePath(), target.fileName())
                             .arg(::getpid())
                             .arg(QRandomGenerator::global()->generate(), 8, 16, QLatin1Char('0'));
    const QByteArray tempName = temp.toLocal8Bit();
    const int fd = ::open(tempName.constData(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (fd < 0) {
        if (error) *error = systemError(QStringLiteral("cannot write"), target.absolutePath());
        return false;
    }
    const bool written = writeAll(fd, bytes) && ::fsync(fd) == 0;
    const int savedErrno = errno;
    ::close(fd);
    if (!written) {
        errno = savedErrno;
        if (error) *error = systemError(QStringLiteral("cannot write"), path);
        ::unlink(tempName.constData());
        return false;
    }
    if (::rename(tempName.constData(), path.toLocal8Bit().constData()) != 0) {
        if (error) *error = systemError(QStringLiteral("cannot replace"), path);
        ::unlink(tempName.constData());
        return false;
    }
    // The rename is only durable once the folder's entry is on disk.
    if (const int dir = ::open(target.absolutePath().toLocal8Bit().constData(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        dir >= 0) {
        ::fsync(dir);
        ::close(dir);
    }
    return true;
}

} // namespace tandem::timeline
