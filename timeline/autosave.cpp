#include "timeline/autosave.h"

#include <algorithm>

#include "timeline/bundle.h"
#include "timeline/project_file.h"

namespace tandem::timeline {

namespace {
// When a write is still running as the timer fires, look again this much later.
constexpr int kBusyRetryMs = 100;
} // namespace

Autosaver::Autosaver(Project& project, QString bundleDir, int delayMs)
    : project_(project), dir_(std::move(bundleDir)), delayMs_(delayMs), savedRevision_(project.revision()) {
    timer_.setSingleShot(true);
    QObject::connect(&timer_, &QTimer::timeout, &context_, [this] { writeInBackground(); });
    listener_ = project_.addChangeListener([this] { onChange(); });
}

Autosaver::~Autosaver() {
    project_.removeChangeListener(listener_);
    waitForWriter();
}

void Autosaver::onChange() {
    if (!timer_.isActive()) timer_.start(delayMs_);
}

void Autosaver::waitForWriter() {
    if (writer_.joinable()) writer_.join();
}

void Autosaver::writeInBackground() {
    if (project_.revision() == savedRevision_) return;
    if (writing_) {
        timer_.start(kBusyRetryMs);
        return;
    }
    waitForWriter();
    const ProjectState snapshot = project_.state();
    const quint64 revision = project_.revision();
    writing_ = true;
    writer_ = std::thread([this, snapshot, revision] {
        QString error, elsewhere;
        const bool ok = writeRecovery(dir_, serializeProject(snapshot), &error, &elsewhere);
        if (ok) error = elsewhere; // written, but not in the bundle: worth telling the user
        QMetaObject::invokeMethod(&context_, [this, ok, error, revision] {
            if (ok) savedRevision_ = std::max(savedRevision_, revision); // a late result never moves it back
            if (onResult_) onResult_(ok, error);
        }, Qt::QueuedConnection);
        writing_ = false;
    });
}

bool Autosaver::flush(QString* error) {
    timer_.stop();
    waitForWriter();
    if (project_.revision() == savedRevision_) return true;
    const quint64 revision = project_.revision();
    QString elsewhere;
    if (!writeRecovery(dir_, serializeProject(project_.state()), error, &elsewhere)) return false;
    if (error) *error = elsewhere; // "" when the bundle took it
    savedRevision_ = revision;
    return true;
}

bool Autosaver::save(QString* error) {
    timer_.stop();
    waitForWriter(); // a recovery write still running must not land after the save
    const quint64 revision = project_.revision();
    if (!saveBundle(dir_, project_.state(), error)) return false;
    savedRevision_ = revision;
    return true;
}

} // namespace tandem::timeline
