#include "ui/engine_jobs.h"

#include "model/engine_client.h"
#include "model/installed_models.h"
#include "model/model_folder.h"
#include "model/protocol.h"
#include "model/remote.h"
#include "model/shot_file.h"
#include "render/media_error.h"
#include "render/probe.h"
#include "render/refiner.h"
#include "timeline/mask.h"
#include "timeline/paths.h"
#include "ui/media_asset.h"
#include "ui/shot_media.h"

#include <QCoreApplication>
#include <QDateTime>
#include <QElapsedTimer>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QJsonDocument>
#include <QRandomGenerator>
#include <QTemporaryDir>
#include <QTimer>
#include <QUuid>

#include <atomic>
#include <cmath>
#include <map>
#include <optional>
#include <set>

namespace tandem::ui {

QString jobStateName(JobState state) {
    switch (state) {
    case JobState::Queued: return QObject::tr("queued");
    case JobState::Running: return QObject::tr("running");
    case JobState::Done: return QObject::tr("done");
    case JobState::Failed: return QObject::tr("failed");
    case JobState::Cancelled: return QObject::tr("cancelled");
    }
    return {};
}

namespace {

// How often the worker looks for engine messages: often enough that progress bars move smoothly.
constexpr int kPollMs = 50;
// How often the status line (device, memory, queue) is refreshed: every 2 s.
constexpr int kStatusEveryPolls = 40;
// An engine on another machine: how long connecting may take, and after losing it how often the editor
// tries again and for how long before its waiting jobs fail (an engine restart takes seconds to a minute;
// a 22 B model loads for minutes).
constexpr double kConnectSeconds = 10;
constexpr qint64 kReconnectEveryMs = 2000;
constexpr qint64 kGiveUpReconnectingMs = 10 * 60 * 1000;

std::string text(const QString& s) { return s.toStdString(); }

// The paint mask of a job, as the engine wants it: frames × height × width at the model's geometry. The
// project's mask is rasterised at the source's aspect covering the model frame, then centre-cropped exactly
// as the picture is (render::conformMedia), so the strokes land on the pixels they were painted over.
struct MaskSource {
    timeline::Mask mask;
    qint64 firstSourceFrame = 0; // source frame (sequence rate) of the shot's frame 0
    double sequenceFps = 32;
    int sourceWidth = 0, sourceHeight = 0;
};

std::vector<uint8_t> rasteriseForModel(const MaskSource& m, int64_t frames, double modelFps, int width, int height) {
    const double aspect = m.sourceWidth > 0 && m.sourceHeight > 0 ? double(m.sourceWidth) / m.sourceHeight : double(width) / height;
    const double scale = std::max(double(width) / (aspect * height), 1.0);
    const int coverW = std::max(width, int(std::lround(aspect * height * scale)));
    const int coverH = std::max(height, int(std::lround(coverW / aspect)));
    const int x0 = (coverW - width) / 2, y0 = (coverH - height) / 2;
    std::vector<uint8_t> out(size_t(frames) * width * height);
    for (int64_t f = 0; f < frames; ++f) {
        const qint64 source = m.firstSourceFrame + qint64(std::llround(double(f) / modelFps * m.sequenceFps));
        const timeline::InpaintMasks im = timeline::deriveInpaintMasks(m.mask, source, 1, coverW, coverH);
        const QByteArray& repaint = im.repaint.front();
        for (int y = 0; y < height; ++y)
            std::copy_n(reinterpret_cast<const uint8_t*>(repaint.constData()) + size_t(y + y0) * coverW + x0, width,
                        out.begin() + long((size_t(f) * height + y) * width));
    }
    return out;
}

} // namespace

// Everything the worker needs to run a job, copied out of the project on the UI thread.
struct PreparedJob {
    QString id;
    model::ShotRequest request; // media filled in by the worker
    QString sourcePath;         // editing tasks and image → shot
    SourceWindow window;
    QStringList referencePaths;
    std::optional<MaskSource> mask;
    QString workDir;  // cache/jobs/<job>: the files that travel to the engine
    QString takeShot; // takes/<name>.shot.safetensors: the lossless result (extension continues from it)
    QString takeMovie; // takes/<name>.mp4: what the timeline plays
    render::RefineSettings delivery;
    timeline::TakeInputs inputs; // what the take is made from, for its stale check
    QString fingerprint;         // of those inputs when the job was asked for
};

// Lives on the worker thread and owns the engine process; talks to EngineJobs only through queued calls.
class EngineWorker : public QObject {
    Q_OBJECT
public:
    explicit EngineWorker(const EngineSettings& settings) { use(settings); }

    void start() {
        timer_ = new QTimer(this);
        connect(timer_, &QTimer::timeout, this, &EngineWorker::poll);
        timer_->start(kPollMs);
    }
    // A different model (or device) takes a new engine process: the running one is shut down as soon as it
    // has no job, and the next job starts the new one.
    void setSettings(const EngineSettings& s) {
        const bool relaunch = s.modelDir != settings_.modelDir || s.device != settings_.device ||
                              s.configPath != settings_.configPath || s.remote != settings_.remote;
        use(s);
        if (relaunch) relaunchWhenIdle_ = true;
        relaunchIfIdle();
    }

    void relaunchIfIdle() {
        if (!relaunchWhenIdle_ || !running_.empty()) return;
        relaunchWhenIdle_ = false;
        client_.reset();
    }

    void run(const PreparedJob& job) {
        if (stopping_) return;
        say(job.id, QStringLiteral("state"), {{QStringLiteral("state"), int(JobState::Running)}});
        try {
            if (!ensureEngine()) throw std::runtime_error(lastLaunchError_);
            submitToEngine(job);
        } catch (const std::exception& e) {
            fail(job.id, QString::fromStdString(e.what()));
        }
    }

    void cancel(const QString& id) {
        // A job waiting for a lost engine to come back is simply not sent again.
        for (auto it = waiting_.begin(); it != waiting_.end(); ++it)
            if (it->id == id) {
                waiting_.erase(it);
                say(id, QStringLiteral("cancelled"));
                return;
            }
        try {
            for (const auto& [engineJob, running] : running_)
                if (running.id == id && client_) client_->cancel(engineJob);
        } catch (const std::exception& e) {
            engineLost(QString::fromStdString(e.what())); // the engine went away as we spoke to it
        }
    }

    // Called from the UI thread before shutdown: queued jobs still waiting here are dropped at once.
    void requestStop() { stopping_ = true; }

    void shutdown() {
        if (timer_) timer_->stop();
        client_.reset();
    }

Q_SIGNALS:
    void message(const QString& id, const QString& type, const QVariantMap& fields);

private:
    void say(const QString& id, const QString& type, const QVariantMap& fields = {}) { Q_EMIT message(id, type, fields); }
    void fail(const QString& id, const QString& why) { say(id, QStringLiteral("failed"), {{QStringLiteral("error"), why}}); }

    bool isRemote() const { return !settings_.remote.isEmpty(); }

    bool ensureEngine() {
        if (client_ && client_->alive()) return true;
        client_.reset();
        if (isRemote()) return connectRemote();
        say({}, QStringLiteral("engine"), {{QStringLiteral("status"), tr("starting the engine…")}, {QStringLiteral("pid"), 0}});
        model::EngineLaunch launch;
        launch.program = text(settings_.program);
        launch.socketPath = text(socketDir_.isValid() ? socketDir_.filePath(QStringLiteral("engine.sock")) : QString());
        launch.modelDir = text(settings_.modelDir);
        launch.configPath = text(settings_.configPath);
        launch.device = text(settings_.device);
        launch.threads = settings_.threads;
        if (isLtx()) {
            // LTX-2.3: its Gemma 3 folder beside it; a 22 B model and its text encoder load for minutes.
            launch.extraArgs = {"--text-encoder", model::ltxTextEncoderFor(launch.modelDir)};
            const auto delivery = model::ltxEngineArgsFor(launch.modelDir); // its tandem.json, if any
            launch.extraArgs.insert(launch.extraArgs.end(), delivery.begin(), delivery.end());
            launch.readySeconds = 3600;
        }
        try {
            client_ = model::EngineClient::launch(launch);
        } catch (const std::exception& e) {
            lastLaunchError_ = tr("the engine did not start: %1").arg(QString::fromStdString(e.what())).toStdString();
            say({}, QStringLiteral("engine"), {{QStringLiteral("status"), tr("stopped: %1").arg(QString::fromStdString(e.what()))},
                                               {QStringLiteral("pid"), 0}});
            return false;
        }
        say({}, QStringLiteral("engine"), {{QStringLiteral("status"), tr("engine started")}, {QStringLiteral("pid"), qint64(client_->pid())}});
        try {
            client_->requestStatus();
        } catch (const std::exception&) {
            // It died at once: the next poll reports it lost.
        }
        return true;
    }

    // The engine on another machine: TLS, its certificate pinned, the token sent; its welcome names its model.
    bool connectRemote() {
        say({}, QStringLiteral("engine"), {{QStringLiteral("status"), tr("connecting to the engine on another machine…")}, {QStringLiteral("pid"), 0}});
        try {
            const model::remote::EngineAddress address = model::remote::parsePairingLine(text(settings_.remote));
            remoteName_ = QString::fromStdString(address.host) + QLatin1Char(':') + QString::number(address.port);
            client_ = model::EngineClient::connectRemote(address, kConnectSeconds);
        } catch (const std::exception& e) {
            client_.reset();
            lastLaunchError_ = tr("cannot use the engine on another machine: %1").arg(QString::fromStdString(e.what())).toStdString();
            say({}, QStringLiteral("engine"), {{QStringLiteral("status"), tr("stopped: %1").arg(QString::fromStdString(e.what()))},
                                               {QStringLiteral("pid"), 0}});
            return false;
        }
        roundTripMs_ = int(client_->roundTripSeconds() * 1000);
        reportStatus(client_->engineInfo());
        return true;
    }

    // A lost remote engine: its jobs wait here and are sent again once it answers (each only once).
    void waitForRemote(const QString& why) {
        for (const auto& [engineJob, job] : running_) {
            if (sentAgain_.count(job.id)) {
                fail(job.id, tr("%1 (the engine was lost twice during this job; it is not sent a third time)").arg(why));
                continue;
            }
            say(job.id, QStringLiteral("state"), {{QStringLiteral("state"), int(JobState::Queued)}});
            waiting_.push_back(job);
        }
        running_.clear();
        client_.reset();
        reconnectAt_ = QDateTime::currentMSecsSinceEpoch() + kReconnectEveryMs;
        giveUpAt_ = QDateTime::currentMSecsSinceEpoch() + kGiveUpReconnectingMs;
        say({}, QStringLiteral("engine"), {{QStringLiteral("status"), tr("lost the engine at %1 (%2); reconnecting…").arg(remoteName_, why)},
                                           {QStringLiteral("pid"), 0}});
    }

    void reconnect() {
        const qint64 now = QDateTime::currentMSecsSinceEpoch();
        if (waiting_.empty() || now < reconnectAt_) return;
        if (!connectRemote()) {
            reconnectAt_ = now + kReconnectEveryMs;
            if (now > giveUpAt_) {
                for (const auto& job : waiting_)
                    fail(job.id, tr("the engine at %1 could not be reached again: %2").arg(remoteName_, QString::fromStdString(lastLaunchError_)));
                waiting_.clear();
            }
            return;
        }
        const std::vector<PreparedJob> again = std::move(waiting_);
        waiting_.clear();
        for (const auto& job : again) {
            sentAgain_.insert(job.id);
            say(job.id, QStringLiteral("state"), {{QStringLiteral("state"), int(JobState::Running)}});
            try {
                submitToEngine(job);
            } catch (const std::exception& e) {
                fail(job.id, QString::fromStdString(e.what()));
            }
        }
    }

    void use(const EngineSettings& s) {
        settings_ = s;
        // Looked at once per model, not per job (it lists the model's folder).
        ltx_ = s.configPath.isEmpty() && model::isLtxModelPath(text(s.modelDir));
    }
    bool isLtx() const { return ltx_; }

    model::ModelConfig modelConfig() const {
        if (isRemote()) { // the engine there says what it makes
            if (!client_) throw std::runtime_error("the engine on another machine is not connected");
            return client_->modelConfig();
        }
        if (!settings_.configPath.isEmpty()) return model::readConfigFile(text(settings_.configPath));
        if (isLtx()) { // no config.json: the delivery geometry the engine is started with
            const auto delivery = model::ltxDeliveryFor(text(settings_.modelDir));
            model::ModelConfig c;
            c.name = "LTX-2.3 (" + QFileInfo(settings_.modelDir).fileName().toStdString() + ")";
            c.video.width = delivery.width;
            c.video.height = delivery.height;
            c.video.fps = delivery.fps;
            c.audio.sample_rate = 48000;
            return c;
        }
        return model::readModelFolder(text(settings_.modelDir)).config;
    }

    void submitToEngine(const PreparedJob& job) {
        const model::ModelConfig config = modelConfig();
        model::ShotRequest request = job.request;
        QDir().mkpath(job.workDir);
        std::string input, mask;
        std::vector<std::string> references;
        if (!job.sourcePath.isEmpty()) {
            request.source = loadSourceShot(text(job.sourcePath), config, request.task, job.window);
            input = text(job.workDir + QStringLiteral("/input.safetensors"));
            model::writeShotFile(input, request.source);
        }
        if (job.mask) {
            const int64_t frames = request.source.frames;
            const auto raster = rasteriseForModel(*job.mask, frames, config.video.fps, config.video.width, config.video.height);
            mask = text(job.workDir + QStringLiteral("/mask.safetensors"));
            model::writeMaskFile(mask, raster, frames, config.video.height, config.video.width);
        }
        for (int i = 0; i < job.referencePaths.size(); ++i) {
            const std::string file = text(job.workDir + QStringLiteral("/reference-%1.safetensors").arg(i));
            model::writeShotFile(file, loadReferenceShot(text(job.referencePaths[i]), config));
            references.push_back(file);
        }
        const std::string output = text(job.workDir + QStringLiteral("/output.safetensors"));
        const std::string engineJob = client_->submit(request, input, mask, output, references);
        running_[engineJob] = job;
    }

    void poll() {
        if (!client_ && isRemote() && !stopping_) reconnect();
        if (!client_) return;
        try {
            // The engine's memory and queue change while it works: ask again every kStatusEveryPolls polls.
            if (++polls_ % kStatusEveryPolls == 0 && client_->alive()) {
                statusAsked_.start();
                client_->requestStatus();
            }
            for (const nlohmann::json& m : client_->poll(0)) handle(m);
        } catch (const std::exception& e) {
            // Writing to an engine that has just died throws; nothing may escape into the event loop.
            engineLost(QString::fromStdString(e.what()));
        }
    }

    void handle(const nlohmann::json& m) {
        const std::string type = m.value("type", std::string());
        if (type == "status") return reportStatus(m);
        if (type == "engine_lost") return engineLost(QString::fromStdString(m.value("message", std::string())));
        // A lost remote engine's jobs are sent again when it is back (engine_lost follows in this batch).
        if (type == "error" && isRemote() && m.value("engine_lost", false)) return;
        const auto found = running_.find(m.value("job", std::string()));
        if (found == running_.end()) return;
        const PreparedJob job = found->second;
        if (type == "progress") {
            say(job.id, QStringLiteral("progress"), {{QStringLiteral("step"), m.value("step", 0)},
                                                     {QStringLiteral("total"), m.value("total", 0)},
                                                     {QStringLiteral("elapsed"), m.value("elapsed", 0.0)},
                                                     {QStringLiteral("eta"), m.value("eta", 0.0)}});
        } else if (type == "result") {
            running_.erase(found);
            finish(job, QString::fromStdString(m.value("output", std::string())));
        } else if (type == "cancelled") {
            running_.erase(found);
            say(job.id, QStringLiteral("cancelled"));
        } else if (type == "error") {
            running_.erase(found);
            fail(job.id, QString::fromStdString(m.value("message", std::string())));
        }
        relaunchIfIdle();
    }

    // The engine's shot becomes the take's files: the lossless shot and a movie at the delivery size and rate.
    void finish(const PreparedJob& job, const QString& output) {
        try {
            const model::Shot shot = model::readShotFile(text(output));
            QDir().mkpath(QFileInfo(job.takeMovie).absolutePath());
            model::writeShotFile(text(job.takeShot), shot);
            const bool refine = job.delivery.fps > 0 || job.delivery.width > 0;
            const QString plain = refine ? job.workDir + QStringLiteral("/output.mp4") : job.takeMovie;
            writeShotMovie(shot, text(plain));
            if (refine) render::refineMovie(text(plain), text(job.takeMovie), job.delivery);
            QDir(job.workDir).removeRecursively();
            say(job.id, QStringLiteral("result"), {{QStringLiteral("model"), QString::fromStdString(modelConfig().name)}});
        } catch (const std::exception& e) {
            fail(job.id, tr("the result could not be kept: %1").arg(QString::fromStdString(e.what())));
        }
    }

    void reportStatus(const nlohmann::json& m) {
        const QString running = QString::fromStdString(m.value("running", std::string()));
        QString state = !running.isEmpty() ? tr("working, %1 queued").arg(m.value("queued", 0))
                        : m.value("busy", false) ? tr("busy with another editor's job")
                                                 : tr("idle");
        // How long this editor's next job waits: "3 jobs ahead of yours".
        const nlohmann::json yours = m.value("yours", nlohmann::json::array());
        if (!yours.empty() && yours.front().value("ahead", 0) > 0)
            state += tr(" · %n job(s) ahead of yours", nullptr, yours.front().value("ahead", 0));
        QString where;
        if (isRemote()) {
            if (statusAsked_.isValid()) roundTripMs_ = int(statusAsked_.elapsed());
            where = tr("%1 · %2 ms round trip").arg(remoteName_).arg(roundTripMs_);
        } else {
            where = client_ ? residentMemory(client_->pid()) : QString();
        }
        say({}, QStringLiteral("engine"),
            {{QStringLiteral("status"), QStringLiteral("%1 · %2 · %3 · %4")
                                            .arg(QString::fromStdString(m.value("device", std::string())),
                                                 modelName(m.value("model", std::string())), where, state)},
             {QStringLiteral("pid"), qint64(client_ && client_->pid() > 0 ? client_->pid() : 0)}});
    }

    // The engine process died: its unfinished jobs already came as errors; start a fresh one for what follows.
    void engineLost(const QString& why) {
        if (isRemote() && !stopping_) return waitForRemote(why);
        for (const auto& [engineJob, job] : running_) fail(job.id, why);
        running_.clear();
        client_.reset();
        say({}, QStringLiteral("engine"), {{QStringLiteral("status"), tr("the engine stopped (%1); restarting").arg(why)},
                                           {QStringLiteral("pid"), 0}});
        if (stopping_) return;
        try {
            ensureEngine();
        } catch (const std::exception& e) {
            client_.reset();
            say({}, QStringLiteral("engine"), {{QStringLiteral("status"), tr("stopped: %1").arg(QString::fromStdString(e.what()))},
                                               {QStringLiteral("pid"), 0}});
        }
    }

    // The model's folder name ("demo"), not its path: the status line names the model, not the disk.
    static QString modelName(const std::string& model) { return QFileInfo(QString::fromStdString(model)).fileName(); }

    // Resident memory of the engine process (Linux /proc), for the status line.
    static QString residentMemory(qint64 pid) {
        QFile f(QStringLiteral("/proc/%1/status").arg(pid));
        if (!f.open(QIODevice::ReadOnly)) return tr("memory unknown");
        for (const QByteArray& line : f.readAll().split('\n'))
            if (line.startsWith("VmRSS:")) return tr("%1 MiB").arg(line.mid(6).trimmed().split(' ').front().toLongLong() / 1024);
        return tr("memory unknown");
    }

    EngineSettings settings_;
    QTemporaryDir socketDir_; // private (0700): only this user can reach the engine's socket
    bool ltx_ = false;        // settings_ name an LTX-2 model (set with them)
    std::unique_ptr<model::EngineClient> client_;
    std::map<std::string, PreparedJob> running_; // engine job id → the editor's job
    std::string lastLaunchError_;
    // Remote engine: jobs waiting for it to answer again, jobs already sent a second time, when to try.
    std::vector<PreparedJob> waiting_;
    std::set<QString> sentAgain_;
    qint64 reconnectAt_ = 0, giveUpAt_ = 0;
    QString remoteName_;
    int roundTripMs_ = 0;
    QElapsedTimer statusAsked_;
    bool relaunchWhenIdle_ = false;
    QTimer* timer_ = nullptr;
    int polls_ = 0;
    std::atomic<bool> stopping_{false};
};

// ---- the UI side

namespace {

QString shortText(const QString& s, int n) { return s.size() > n ? s.left(n - 1) + QChar(0x2026) : s; }

model::ShotRequest engineRequest(const GenerationSpec& spec) {
    model::ShotRequest r;
    model::parseTask(text(spec.task), r.task);
    r.prompt = text(spec.prompt);
    r.negative_prompt = text(spec.negativePrompt);
    r.seconds = spec.seconds;
    r.seed = uint64_t(spec.seed);
    r.steps = spec.steps;
    r.video_guidance = spec.videoGuidance;
    r.audio_guidance = spec.audioGuidance;
    r.window_start = spec.windowStart;
    r.window_end = spec.windowEnd;
    r.regenerate_video = spec.regenerateVideo;
    r.regenerate_audio = spec.regenerateAudio;
    r.backward = spec.backward;
    r.strength = spec.strength;
    return r;
}

bool maskHasStrokes(const timeline::Mask* m) {
    if (!m) return false;
    for (const auto& k : m->keyframes)
        if (!k.strokes.isEmpty()) return true;
    return false;
}

QJsonObject requestJson(const model::ShotRequest& r) {
    return QJsonDocument::fromJson(QByteArray::fromStdString(model::protocol::requestToJson(r).dump())).object();
}

// The tracks a clip and its linked partner sit on: {video, audio} (0 where the pair has none).
std::pair<timeline::Id, timeline::Id> tracksOfPair(const timeline::ProjectState& s, const timeline::Clip& clip) {
    timeline::Id video = 0, audio = 0;
    for (timeline::Id id : {clip.id, clip.linkedClipId}) {
        const timeline::Track* t = id ? s.trackOfClip(id) : nullptr;
        if (!t) continue;
        (t->kind == timeline::TrackKind::Video ? video : audio) = t->id;
    }
    return {video, audio};
}

timeline::Id firstTrack(const timeline::Sequence& seq, timeline::TrackKind kind) {
    for (const auto& t : seq.tracks)
        if (t.kind == kind) return t.id;
    return 0;
}

} // namespace

EngineJobs::EngineJobs(timeline::Project& project, std::function<QString()> bundleDir, QObject* parent)
    : QObject(parent), project_(project), bundleDir_(std::move(bundleDir)) {
    const QString programDir = QCoreApplication::applicationDirPath();
    settings_.program = programDir + QStringLiteral("/tandem-engine");
    settings_.modelDir = QString::fromStdString(model::defaultModelDir(text(programDir)));
    engineStatus_ = tr("not started (starts with the first job)");
    worker_ = new EngineWorker(settings_);
    worker_->moveToThread(&thread_);
    connect(&thread_, &QThread::finished, worker_, &QObject::deleteLater);
    connect(worker_, &EngineWorker::message, this, &EngineJobs::onWorkerMessage, Qt::QueuedConnection);
    thread_.start();
    QMetaObject::invokeMethod(worker_, [w = worker_] { w->start(); });
}

EngineJobs::~EngineJobs() {
    // Jobs still queued for the worker are dropped, so quitting never waits for them to start an engine;
    // the engine is asked to stop and reaped on its own thread before the thread ends.
    worker_->requestStop();
    QMetaObject::invokeMethod(worker_, [w = worker_] { w->shutdown(); }, Qt::BlockingQueuedConnection);
    thread_.quit();
    thread_.wait();
}

void EngineJobs::setEngine(const EngineSettings& settings) {
    settings_ = settings;
    QMetaObject::invokeMethod(worker_, [w = worker_, settings] { w->setSettings(settings); });
}

const JobInfo* EngineJobs::job(const QString& id) const {
    for (const JobInfo& j : jobs_)
        if (j.id == id) return &j;
    return nullptr;
}

JobInfo* EngineJobs::find(const QString& id) {
    for (JobInfo& j : jobs_)
        if (j.id == id) return &j;
    return nullptr;
}

QString EngineJobs::refusal(const GenerationSpec& spec) const {
    model::Task task;
    if (!model::parseTask(text(spec.task), task)) return tr("unknown task \"%1\"").arg(spec.task);
    const auto& s = project_.state();
    const timeline::Clip* clip = s.clip(spec.sourceClipId);
    if (taskNeedsSource(spec.task) && !clip) return tr("select the clip to %1 on the timeline first").arg(spec.task);
    if (task == model::Task::Image && !s.asset(spec.imageAssetId) && !clip)
        return tr("choose the picture the shot starts from (a still or clip from the bins)");
    if (task == model::Task::Inpaint && !maskHasStrokes(clip ? s.mask(clip->maskId) : nullptr))
        return tr("paint a mask over the part to repair first (Mask panel ▸ Paint mask)");
    if (task == model::Task::Retake && !(spec.windowEnd > spec.windowStart))
        return tr("the retake window is empty: its end must come after its start");
    if ((task == model::Task::Generate || task == model::Task::Image) && spec.prompt.trimmed().isEmpty())
        return tr("write a prompt: what the shot shows and sounds like");
    if (spec.steps < 1) return tr("the sampler needs at least one step");
    return {};
}

QString EngineJobs::mediaFile(const timeline::Asset& asset) const {
    QString path = asset.path;
    if (asset.kind == timeline::AssetKind::Generated)
        if (const timeline::Take* t = project_.state().take(asset.activeTakeId)) path = t->output;
    return path.isEmpty() ? QString() : timeline::resolveInBundle(bundleDir_(), path);
}

QString EngineJobs::submit(GenerationSpec spec, QString* error) {
    if (const QString why = refusal(spec); !why.isEmpty()) {
        if (error) *error = why;
        return {};
    }
    if (spec.randomSeed) spec.seed = qint64(QRandomGenerator::global()->bounded(1u << 31));
    JobInfo info;
    info.id = QStringLiteral("job-%1").arg(nextJob_++);
    info.projectGeneration = projectGeneration_;
    info.spec = spec;
    const QString words = spec.prompt.trimmed().isEmpty() ? tr("(no prompt)") : spec.prompt.simplified();
    info.title = QStringLiteral("%1: %2").arg(spec.task, shortText(words, 48));
    jobs_.append(info);
    auto job = std::make_shared<const PreparedJob>(prepare(info));
    prepared_[info.id] = job;
    QMetaObject::invokeMethod(worker_, [w = worker_, job] { w->run(*job); });
    Q_EMIT jobChanged(info.id);
    return info.id;
}

PreparedJob EngineJobs::prepare(const JobInfo& info) const {
    const GenerationSpec& spec = info.spec;
    const auto& s = project_.state();
    PreparedJob job;
    job.id = info.id;
    job.request = engineRequest(spec);
    const QString name = QUuid::createUuid().toString(QUuid::Id128).left(12);
    const QString bundle = bundleDir_();
    const QString takes = bundle + QLatin1Char('/') + QLatin1String(timeline::kTakesDir) + QLatin1Char('/');
    job.workDir = bundle + QLatin1Char('/') + QLatin1String(timeline::kCacheDir) + QStringLiteral("/jobs/") + name;
    job.takeMovie = takes + name + QStringLiteral(".mp4");
    job.takeShot = takes + name + QStringLiteral(".shot.safetensors");
    job.delivery = render::RefineSettings{spec.fps, spec.width, spec.height};
    for (timeline::Id id : spec.referenceAssetIds) {
        job.inputs.referenceAssetIds.append(id);
        if (const timeline::Asset* a = s.asset(id); a && !mediaFile(*a).isEmpty()) job.referencePaths << mediaFile(*a);
    }
    if (const timeline::Asset* image = s.asset(spec.imageAssetId); image && spec.task == QLatin1String("image")) {
        job.sourcePath = mediaFile(*image);
        job.inputs.sourceAssetId = image->id;
    } else if (const timeline::Clip* clip = s.clip(spec.sourceClipId)) {
        prepareSource(job, *clip);
    }
    job.fingerprint = s.fingerprint(job.inputs);
    return job;
}

// An editing task works on what the clip shows: its media (or take) over the clip's source range.
void EngineJobs::prepareSource(PreparedJob& job, const timeline::Clip& clip) const {
    const auto& s = project_.state();
    const timeline::Sequence* seq = s.sequenceOfTrack(s.trackOfClip(clip.id)->id);
    const timeline::Asset* asset = s.asset(clip.assetId);
    job.sourcePath = timeline::resolveInBundle(bundleDir_(), s.mediaPathOfClip(clip));
    job.window = SourceWindow{seq->time.secondsForFrames(clip.sourceIn), seq->time.secondsForFrames(clip.length)};
    if (asset && asset->kind == timeline::AssetKind::Generated) job.inputs.sourceTakeId = clip.takeId;
    else job.inputs.sourceAssetId = clip.assetId;
    if (job.request.task != model::Task::Inpaint) return;
    if (const timeline::Mask* m = s.mask(clip.maskId)) {
        job.mask = MaskSource{*m, clip.sourceIn, seq->time.fps.toDouble(), asset ? asset->width : 0, asset ? asset->height : 0};
        job.inputs.maskId = m->id;
    }
}

void EngineJobs::cancel(const QString& id) {
    JobInfo* j = find(id);
    if (!j || j->finished()) return;
    QMetaObject::invokeMethod(worker_, [w = worker_, id] { w->cancel(id); });
}

QString EngineJobs::retry(const QString& id) {
    const JobInfo* j = job(id);
    if (!j || (j->state != JobState::Failed && j->state != JobState::Cancelled)) return {};
    QString why;
    const QString again = submit(j->spec, &why);
    if (again.isEmpty()) Q_EMIT statusMessage(tr("Cannot retry: %1").arg(why));
    return again;
}

void EngineJobs::onWorkerMessage(const QString& id, const QString& type, const QVariantMap& fields) {
    if (type == QLatin1String("engine")) {
        engineStatus_ = fields.value(QStringLiteral("status")).toString();
        enginePid_ = fields.value(QStringLiteral("pid")).toLongLong();
        Q_EMIT engineStatusChanged(engineStatus_);
        return;
    }
    JobInfo* j = find(id);
    if (!j || j->finished()) return;
    if (type == QLatin1String("state")) {
        j->state = JobState(fields.value(QStringLiteral("state")).toInt());
    } else if (type == QLatin1String("progress")) {
        j->step = fields.value(QStringLiteral("step")).toInt();
        j->total = fields.value(QStringLiteral("total")).toInt();
        j->elapsed = fields.value(QStringLiteral("elapsed")).toDouble();
        j->eta = fields.value(QStringLiteral("eta")).toDouble();
    } else if (type == QLatin1String("cancelled")) {
        j->state = JobState::Cancelled;
        prepared_.erase(id);
    } else if (type == QLatin1String("failed")) {
        markFailed(*j, fields.value(QStringLiteral("error")).toString());
    } else if (type == QLatin1String("result")) {
        land(*j, fields.value(QStringLiteral("model")).toString());
    }
    Q_EMIT jobChanged(id);
}

// A take written while the project was saved elsewhere (Save as during the job) is copied to where the
// project now lives, so the project never names a file outside its bundle. Returns the file's path there.
QString EngineJobs::intoCurrentBundle(const QString& file) const {
    const QString relative = QDir(bundleDir_()).relativeFilePath(file);
    if (!relative.startsWith(QLatin1String(".."))) return file;
    const QString moved = bundleDir_() + QLatin1Char('/') + QLatin1String(timeline::kTakesDir) + QLatin1Char('/') +
                          QFileInfo(file).fileName();
    QDir().mkpath(QFileInfo(moved).absolutePath());
    return QFile::copy(file, moved) || QFileInfo::exists(moved) ? moved : QString();
}

void EngineJobs::projectReplaced() {
    ++projectGeneration_;
    for (const JobInfo& j : jobs_)
        if (!j.finished()) cancel(j.id);
}

void EngineJobs::markFailed(JobInfo& j, const QString& why) {
    prepared_.erase(j.id);
    j.state = JobState::Failed;
    j.error = why;
    Q_EMIT statusMessage(tr("%1 failed: %2").arg(j.title, why));
}

// The finished files become a take — of the edited generated shot, or of a new one — placed as the spec says,
// all one undo step. If the project cannot take it, the job fails and the project stays as it was.
void EngineJobs::land(JobInfo& j, const QString& modelName) {
    const std::shared_ptr<const PreparedJob> prepared = prepared_.at(j.id);
    prepared_.erase(j.id);
    const PreparedJob& p = *prepared;
    // Ids restart in every project: a take made for a project that was closed must not land in this one.
    if (j.projectGeneration != projectGeneration_)
        return markFailed(j, tr("the project it was made for was closed; the take is kept in %1").arg(p.takeMovie));
    timeline::Asset described;
    try {
        describeMedia(render::probe(text(p.takeMovie)), described);
    } catch (const std::exception& e) {
        return markFailed(j, tr("the take cannot be read back: %1").arg(QString::fromStdString(e.what())));
    }
    const QString movie = intoCurrentBundle(p.takeMovie);
    intoCurrentBundle(p.takeShot);
    if (movie.isEmpty()) return markFailed(j, tr("the take could not be copied into the project's folder"));
    timeline::Take take;
    take.task = j.spec.task;
    take.request = requestJson(p.request);
    take.seed = j.spec.seed;
    take.modelId = modelName;
    take.output = QDir(bundleDir_()).relativeFilePath(movie);
    take.duration = described.duration;
    take.inputs = p.inputs;
    take.inputsFingerprint = p.fingerprint; // as the inputs were when the job was asked for
    const timeline::Clip* found = project_.state().clip(j.spec.sourceClipId);
    const std::optional<timeline::Clip> source = found ? std::optional(*found) : std::nullopt;
    const timeline::Asset* sourceAsset = source ? project_.asset(source->assetId) : nullptr;
    const bool sameShot = sourceAsset && sourceAsset->kind == timeline::AssetKind::Generated;
    timeline::Id landed = 0;
    const auto result = project_.requestCompound(tr("Take: %1").arg(j.title), [&]() -> timeline::EditResult {
        timeline::Id assetId = 0, takeId = 0;
        if (sameShot) {
            take.assetId = source->assetId;
            take.parentTakeId = source->takeId;
            const auto added = project_.requestAddTake(take);
            if (!added.ok) return added;
            assetId = source->assetId;
            takeId = added.newId;
        } else {
            timeline::Asset shot = described;
            shot.label = tr("Shot %1").arg(j.id.section(QLatin1Char('-'), 1));
            shot.prompt = j.spec.prompt;
            const auto added = project_.requestAddGeneratedShot(shot, take);
            if (!added.ok) return added;
            assetId = added.newId;
            takeId = project_.asset(assetId)->activeTakeId;
        }
        return place(j.spec, source, sameShot, assetId, takeId, &landed);
    });
    if (!result.ok) return markFailed(j, tr("the take was made but cannot be placed: %1").arg(result.reason));
    j.state = JobState::Done;
    j.takeId = project_.state().clip(landed) ? project_.state().clip(landed)->takeId : 0;
    Q_EMIT takeLanded(j.id, landed);
}

timeline::EditResult EngineJobs::place(const GenerationSpec& spec, const std::optional<timeline::Clip>& source, bool sameShot,
                                       timeline::Id assetId, timeline::Id takeId, timeline::Id* landed) {
    const timeline::Sequence& seq = project_.sequence();
    const qint64 takeFrames = seq.time.framesForSeconds(project_.state().take(takeId)->duration);
    const bool hasAudio = project_.asset(assetId)->hasAudio;
    const bool extend = spec.task == QLatin1String("extend");
    if (spec.placement == TakePlacement::ReplaceClip && source && sameShot && !extend) {
        // The clip shows the new take from its start: the take covers exactly the clip's old source range.
        timeline::EditResult r{true, {}, 0};
        if (source->sourceIn) r = project_.requestSlip(source->id, -source->sourceIn);
        if (r.ok && source->length > takeFrames) r = project_.requestTrim(source->id, timeline::Edge::Out, source->position + takeFrames);
        if (r.ok) r = project_.requestSwitchTake(source->id, takeId);
        *landed = source->id;
        return r;
    }
    timeline::Placement p{assetId, takeId, firstTrack(seq, timeline::TrackKind::Video),
                          hasAudio ? firstTrack(seq, timeline::TrackKind::Audio) : 0, spec.playhead, 0, -1,
                          timeline::PlaceMode::Insert};
    if (spec.placement == TakePlacement::ReplaceClip && source) {
        const auto [video, audio] = tracksOfPair(project_.state(), *source);
        if (video) p.videoTrackId = video;
        if (audio && hasAudio) p.audioTrackId = audio;
        p.position = source->position;
        p.mode = extend ? timeline::PlaceMode::Insert : timeline::PlaceMode::Overwrite;
        if (!extend) p.length = std::min(source->length, takeFrames);
        const auto lifted = project_.requestLift(source->id);
        if (!lifted.ok) return lifted;
    } else if (spec.placement == TakePlacement::NewTrack) {
        const auto video = project_.requestAddTrack(seq.id, timeline::TrackKind::Video);
        if (!video.ok) return video;
        p.videoTrackId = video.newId;
        if (hasAudio) {
            const auto audio = project_.requestAddTrack(project_.sequence().id, timeline::TrackKind::Audio);
            if (!audio.ok) return audio;
            p.audioTrackId = audio.newId;
        }
        p.mode = timeline::PlaceMode::Overwrite;
    }
    const auto placed = project_.requestPlace(p);
    *landed = placed.newId;
    return placed;
}

} // namespace tandem::ui

#include "engine_jobs.moc"
