// Design note: the editor's side of generation. EngineJobs owns the engine process (through
// model::EngineClient, torch-free) on a worker thread, so no engine work — launching, waiting for messages,
// writing shot files — ever runs on the UI thread. A job goes:
//   GenerationSpec (UI thread) → prepare: the source clip decoded to the model's geometry, the clip's mask
//   rasterised, references decoded → shot/mask files in the bundle's cache/jobs (worker) → submit → progress
//   (step, ETA) → result shot file → a playable take (takes/*.mp4 beside the lossless shot file) (worker) →
//   the take enters the project as one undo step and is placed as the spec says (UI thread).
// If the engine process dies, every unfinished job is marked failed with the reason, the engine is started
// again for the next job, and the project is never touched by the engine. Jobs can be cancelled and retried.
// With an engine on another machine (EngineSettings::remote) the same happens over TLS, media uploaded and
// results downloaded by the client; if that engine is lost — restarted, or the network dropped — the
// editor reconnects and sends its unfinished jobs again, once each (a job lost twice fails), so a take is
// made once, never twice.
#pragma once

#include "timeline/project.h"
#include "ui/generation_spec.h"

#include <QObject>
#include <QString>
#include <QThread>

#include <functional>
#include <map>
#include <memory>
#include <optional>

namespace tandem::ui {

enum class JobState { Queued, Running, Done, Failed, Cancelled };
QString jobStateName(JobState state);

struct JobInfo {
    QString id;          // the editor's id ("job-3"), stable across retries of different jobs
    QString title;       // "generate: a ball rolls…"
    GenerationSpec spec;
    JobState state = JobState::Queued;
    int step = 0, total = 0;
    double elapsed = 0, eta = 0; // seconds
    QString error;               // why it failed
    timeline::Id takeId = 0;     // the take it made
    int projectGeneration = 0;   // which project it was asked for (see EngineJobs::projectReplaced)
    bool finished() const { return state == JobState::Done || state == JobState::Failed || state == JobState::Cancelled; }
};

struct EngineSettings {
    QString program;    // tandem-engine
    QString modelDir;   // empty: the model folder of the installation
    QString configPath; // an untrained model of this config instead (tests)
    QString device = QStringLiteral("auto");
    int threads = 0;
    // An engine on another machine: the line it printed ("HOST:PORT token=… sha256=…"); "" = this machine.
    // The engine there has its own model and device; modelDir/device/threads are then not used.
    QString remote;
};

class EngineWorker; // lives on the worker thread
struct PreparedJob;

class EngineJobs : public QObject {
    Q_OBJECT
public:
    // `bundleDir` says where the project's files live now (it changes when the project is saved elsewhere).
    EngineJobs(timeline::Project& project, std::function<QString()> bundleDir, QObject* parent = nullptr);
    ~EngineJobs() override;

    void setEngine(const EngineSettings& settings); // takes effect when the engine next starts
    const EngineSettings& engine() const { return settings_; }

    // Queues a job (validated first: an editing task without a source clip, an inpaint without a mask… are
    // refused with the reason in `error`, and nothing is queued). Returns the job id or "".
    QString submit(GenerationSpec spec, QString* error = nullptr);
    void cancel(const QString& id);
    QString retry(const QString& id); // a failed or cancelled job again, as a new job; returns its id
    // Another project took the open one's place: unfinished jobs are cancelled, and none lands in it.
    void projectReplaced();

    QList<JobInfo> jobs() const { return jobs_; }
    const JobInfo* job(const QString& id) const;
    QString engineStatus() const { return engineStatus_; } // "cpu · demo · idle", "starting…", "stopped: …"
    qint64 enginePid() const { return enginePid_; }        // 0 while none runs (tests kill it)

Q_SIGNALS:
    void jobChanged(const QString& id);
    void engineStatusChanged(const QString& text);
    void takeLanded(const QString& jobId, timeline::Id clipId); // the new take is on the timeline
    void statusMessage(const QString& text);

private:
    void onWorkerMessage(const QString& id, const QString& type, const QVariantMap& fields);
    QString refusal(const GenerationSpec& spec) const; // why the project cannot serve it now, or ""
    QString mediaFile(const timeline::Asset& asset) const;
    PreparedJob prepare(const JobInfo& info) const;
    void prepareSource(PreparedJob& job, const timeline::Clip& clip) const;
    void land(JobInfo& job, const QString& modelName);
    timeline::EditResult place(const GenerationSpec& spec, const std::optional<timeline::Clip>& source, bool sameShot,
                               timeline::Id assetId, timeline::Id takeId, timeline::Id* landed);
    void markFailed(JobInfo& job, const QString& why);
    QString intoCurrentBundle(const QString& file) const;
    JobInfo* find(const QString& id);

    timeline::Project& project_;
    std::function<QString()> bundleDir_;
    EngineSettings settings_;
    QList<JobInfo> jobs_;
    std::map<QString, std::shared_ptr<const PreparedJob>> prepared_;
    int nextJob_ = 1;
    int projectGeneration_ = 0;
    QString engineStatus_;
    qint64 enginePid_ = 0;
    QThread thread_;
    EngineWorker* worker_ = nullptr;
};

} // namespace tandem::ui
