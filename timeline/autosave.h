// Design note: unsaved edits survive a crash. The first edit after a write arms a timer; when it fires
// (kDefaultDelayMs later) the state as it is then is copied — cheap, Qt containers share — and written to
// the bundle's recovery.json on a worker thread, so the editor never waits on the disk. Because the timer
// is not pushed back by further edits, a crash or kill loses at most the delay plus one write of work,
// even while the creator edits without pause. (A debounce that waits for a pause could lose up to its cap,
// e.g. 30 s of continuous editing.) Saving goes through here too, so a late autosave can never land after
// a save and pose as newer work.
#pragma once

#include "timeline/project.h"

#include <QObject>
#include <QTimer>

#include <atomic>
#include <functional>
#include <mutex>
#include <thread>

namespace tandem::timeline {

class Autosaver {
public:
    static constexpr int kDefaultDelayMs = 3000;

    Autosaver(Project& project, QString bundleDir, int delayMs = kDefaultDelayMs);
    ~Autosaver(); // waits for a write in progress; does not write pending edits (call flush() for that)
    Autosaver(const Autosaver&) = delete;
    Autosaver& operator=(const Autosaver&) = delete;

    // Saves the project (project.json, backup) and forgets pending autosaves.
    bool save(QString* error);
    // Writes pending edits to the recovery file now and waits for it. When the bundle cannot take them and
    // the fallback file does, returns true with `error` saying where they went.
    bool flush(QString* error);
    bool hasUnsavedEdits() const { return project_.revision() != savedRevision_; }
    // Called on the GUI thread after each background write; with ok and a message when the edits went to the
    // fallback file because the bundle cannot be written.
    void setResultListener(std::function<void(bool ok, const QString& error)> listener) { onResult_ = std::move(listener); }

private:
    Project& project_;
    QString dir_;
    int delayMs_;
    int listener_ = 0;
    QObject context_; // receives the worker's result on the thread that owns the autosaver
    QTimer timer_;
    std::thread writer_;
    std::atomic<bool> writing_{false};
    quint64 savedRevision_ = 0;     // revision the bundle (project or recovery) holds
    std::function<void(bool, const QString&)> onResult_;

    void onChange();
    void writeInBackground();
    void waitForWriter();
};

} // namespace tandem::timeline
