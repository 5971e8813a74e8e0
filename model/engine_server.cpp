#include "model/engine_server.h"

#include "model/model_folder.h"
#include "model/protocol.h"
#include "model/sampler.h"
#include "model/shot_file.h"

#include <atomic>
#include <condition_variable>
#include <csignal>
#include <cstring>
#include <deque>
#include <iostream>
#include <map>
#include <mutex>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <thread>
#include <unistd.h>

namespace tandem::model {

using nlohmann::json;

namespace {

struct Job {
    std::string id;
    int client = -1;
    uint64_t serial = 0; // which connection on that descriptor: a closed one's number may be reused
    ShotRequest request;
    std::string input, mask, output;
    std::vector<std::string> references;
};

class EngineModel : public ServedModel {
public:
    explicit EngineModel(std::unique_ptr<Engine> engine) : engine_(std::move(engine)) {}
    Shot generate(const ShotRequest& request, const ProgressFn& progress) override {
        return engine_->generate(request, progress);
    }
    std::string deviceName() const override { return engine_->deviceName(); }
    bool hasTrainedWeights() const override { return engine_->hasTrainedWeights(); }

private:
    std::unique_ptr<Engine> engine_;
};

class Server {
public:
    Server(std::unique_ptr<ServedModel> engine, const std::string& modelName)
        : engine_(std::move(engine)), modelName_(modelName) {}

    int serve(const std::string& socketPath);

private:
    std::unique_ptr<ServedModel> engine_;
    std::string modelName_;
    std::mutex mutex_; // guards queue_, running_, cancelRunning_, clients' writes
    std::condition_variable wake_;
    std::deque<Job> queue_;
    std::string running_;
    int runningClient_ = -1;
    std::atomic<bool> cancelRunning_{false};
    // The running job's last finished step, and what it was when a cancel arrived: the "cancelled" message
    // reports both, so a client can tell how far the job went after it asked (at most one step).
    std::atomic<int> lastStep_{0};
    std::atomic<int> cancelAtStep_{-1};
    std::atomic<bool> stopping_{false};
    std::map<int, uint64_t> serials_; // connected descriptors → connection serial (guarded by mutex_)
    uint64_t nextSerial_ = 1;

    // Sends to the job's client only if that connection is still the one that submitted it.
    void sendToJob(const Job& job, const json& message) {
        const std::string line = message.dump() + "\n";
        std::lock_guard lock(mutex_);
        auto it = serials_.find(job.client);
        if (it != serials_.end() && it->second == job.serial) sendLocked(job.client, line);
    }

    void send(int fd, const json& message) {
        const std::string line = message.dump() + "\n";
        std::lock_guard lock(mutex_);
        sendLocked(fd, line);
    }
    static void sendLocked(int fd, const std::string& line) {
        size_t done = 0;
        while (done < line.size()) {
            const ssize_t n = ::send(fd, line.data() + done, line.size() - done, MSG_NOSIGNAL);
            if (n <= 0) {
                if (n < 0 && errno == EINTR) continue;
                return; // the client has gone; its jobs are cancelled when its socket closes
            }
            done += size_t(n);
        }
    }

    void worker();
    void runJob(Job& job);
    void handle(int fd, const std::string& line);
    void dropClient(int fd);
};

void Server::worker() {
    while (true) {
        Job job;
        {
            std::unique_lock lock(mutex_);
            wake_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
            if (stopping_) return;
            job = std::move(queue_.front());
            queue_.pop_front();
            running_ = job.id;
            runningClient_ = job.client;
            cancelRunning_ = false;
            lastStep_ = 0;
            cancelAtStep_ = -1;
        }
        runJob(job);
        std::lock_guard lock(mutex_);
        running_.clear();
        runningClient_ = -1;
    }
}

void Server::runJob(Job& job) {
    try {
        if (!job.input.empty()) job.request.source = readShotFile(job.input);
        if (!job.mask.empty()) job.request.paint_mask = readMaskFile(job.mask);
        for (const auto& ref : job.references) job.request.references.push_back(readShotFile(ref));
        const Shot shot = engine_->generate(job.request, [&](const StepProgress& p) {
            lastStep_ = p.step; // before the client can hear of this step (and answer it with a cancel)
            sendToJob(job, {{"type", "progress"}, {"job", job.id}, {"step", p.step}, {"total", p.total},
                              {"elapsed", p.elapsed_seconds}, {"eta", p.eta_seconds}});
            return !cancelRunning_.load();
        });
        writeShotFile(job.output, shot);
        sendToJob(job, {{"type", "result"}, {"job", job.id}, {"output", job.output}, {"frames", shot.frames},
                          {"samples", shot.audio.size()}});
    } catch (const Cancelled&) {
        sendToJob(job, {{"type", "cancelled"}, {"job", job.id}, {"requested_at_step", cancelAtStep_.load()},
                        {"stopped_at_step", lastStep_.load()}});
    } catch (const std::exception& e) {
        sendToJob(job, {{"type", "error"}, {"job", job.id}, {"message", e.what()}});
    }
}

void Server::handle(int fd, const std::string& line) {
    json msg;
    try {
        msg = protocol::parseLine(line);
    } catch (const std::invalid_argument& e) {
        send(fd, {{"type", "error"}, {"message", std::string("bad message: ") + e.what()}});
        return;
    }
    const std::string type = msg["type"];
    const std::string id = msg.value("job", std::string());
    if (type == "submit") {
        Job job;
        job.id = id;
        job.client = fd;
        {
            std::lock_guard lock(mutex_);
            job.serial = serials_[fd];
        }
        try {
            if (id.empty()) throw std::invalid_argument("submit needs a \"job\" id");
            job.request = protocol::requestFromJson(msg.value("request", json::object()));
            job.input = msg.value("input", std::string());
            job.mask = msg.value("mask", std::string());
            job.output = msg.value("output", std::string());
            job.references = msg.value("references", std::vector<std::string>());
            if (job.output.empty()) throw std::invalid_argument("submit needs an \"output\" file");
        } catch (const std::exception& e) {
            send(fd, {{"type", "error"}, {"job", id}, {"message", e.what()}});
            return;
        }
        {
            // "accepted" goes out under the same lock the worker needs to send progress, before the job is
            // queued: a client always hears of its job before it hears from it.
            std::lock_guard lock(mutex_);
            const size_t position = queue_.size() + (running_.empty() ? 0 : 1);
            sendLocked(fd, json{{"type", "accepted"}, {"job", id}, {"position", position}}.dump() + "\n");
            queue_.push_back(std::move(job));
        }
        wake_.notify_one();
    } else if (type == "cancel") {
        bool wasQueued = false;
        {
            std::lock_guard lock(mutex_);
            for (auto it = queue_.begin(); it != queue_.end(); ++it)
                if (it->id == id && it->client == fd) {
                    queue_.erase(it);
                    wasQueued = true;
                    break;
                }
            if (!wasQueued && running_ == id && runningClient_ == fd) {
                cancelAtStep_ = lastStep_.load();
                cancelRunning_ = true;
            }
        }
        if (wasQueued) send(fd, {{"type", "cancelled"}, {"job", id}});
    } else if (type == "status") {
        std::lock_guard lock(mutex_);
        sendLocked(fd, json{{"type", "status"}, {"protocol", protocol::kVersion}, {"device", engine_->deviceName()},
                            {"model", modelName_}, {"trained", engine_->hasTrainedWeights()}, {"running", running_},
                            {"queued", queue_.size()}}.dump() + "\n");
    } else if (type == "shutdown") {
        stopping_ = true;
        cancelRunning_ = true;
        wake_.notify_all();
    } else {
        send(fd, {{"type", "error"}, {"job", id}, {"message", "unknown message type '" + type + "'"}});
    }
}

void Server::dropClient(int fd) {
    std::lock_guard lock(mutex_);
    serials_.erase(fd);
    for (auto it = queue_.begin(); it != queue_.end();) it = it->client == fd ? queue_.erase(it) : it + 1;
    if (runningClient_ == fd) cancelRunning_ = true;
}

int Server::serve(const std::string& socketPath) {
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    if (socketPath.size() >= sizeof addr.sun_path) {
        std::cerr << "tandem-engine: socket path is too long (" << socketPath.size() << " bytes)\n";
        return 2;
    }
    std::strcpy(addr.sun_path, socketPath.c_str());
    const int listener = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    ::unlink(socketPath.c_str());
    const mode_t old = ::umask(0077); // only this user may talk to the engine
    const int bound = ::bind(listener, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
    ::umask(old);
    if (listener < 0 || bound != 0 || ::listen(listener, 8) != 0) {
        std::cerr << "tandem-engine: cannot listen on " << socketPath << ": " << std::strerror(errno) << "\n";
        return 1;
    }
    std::thread work([this] { worker(); });
    std::map<int, std::string> buffers;
    while (!stopping_) {
        std::vector<pollfd> fds{{listener, POLLIN, 0}};
        for (const auto& [fd, _] : buffers) fds.push_back({fd, POLLIN, 0});
        if (::poll(fds.data(), fds.size(), 200) < 0 && errno != EINTR) break;
        if (fds[0].revents & POLLIN) {
            const int c = ::accept4(listener, nullptr, nullptr, SOCK_CLOEXEC);
            if (c >= 0) {
                buffers[c];
                std::lock_guard lock(mutex_);
                serials_[c] = nextSerial_++;
            }
        }
        for (size_t i = 1; i < fds.size(); ++i) {
            if (!(fds[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
            const int fd = fds[i].fd;
            char chunk[65536];
            const ssize_t n = ::recv(fd, chunk, sizeof chunk, 0);
            if (n <= 0) {
                dropClient(fd);
                ::close(fd);
                buffers.erase(fd);
                continue;
            }
            std::string& buf = buffers[fd];
            buf.append(chunk, size_t(n));
            size_t nl;
            while ((nl = buf.find('\n')) != std::string::npos) {
                const std::string line = buf.substr(0, nl);
                buf.erase(0, nl + 1);
                if (!line.empty()) handle(fd, line);
            }
            if (buf.size() > protocol::kMaxLineBytes) {
                send(fd, {{"type", "error"}, {"message", "message longer than the protocol's limit; closing"}});
                dropClient(fd);
                ::close(fd);
                buffers.erase(fd);
            }
        }
    }
    stopping_ = true;
    wake_.notify_all();
    work.join();
    for (const auto& [fd, _] : buffers) ::close(fd);
    ::close(listener);
    ::unlink(socketPath.c_str());
    return 0;
}

} // namespace

std::unique_ptr<ServedModel> servedEngine(std::unique_ptr<Engine> engine) {
    return std::make_unique<EngineModel>(std::move(engine));
}

int serveModel(std::unique_ptr<ServedModel> model, const std::string& name, const std::string& socketPath) {
    std::signal(SIGPIPE, SIG_IGN);
    Server server(std::move(model), name);
    return server.serve(socketPath);
}

int runEngineServer(const ServerOptions& options) {
    std::unique_ptr<Engine> engine;
    std::string name;
    try {
        if (!options.modelDir.empty()) {
            engine = Engine::load(options.modelDir, options.engine);
            name = options.modelDir;
        } else {
            const ModelConfig cfg = options.configPath.empty() ? ModelConfig{} : readConfigFile(options.configPath);
            engine = Engine::createUntrained(cfg, options.engine);
            name = "untrained " + cfg.name;
        }
    } catch (const std::exception& e) {
        std::cerr << "tandem-engine: " << e.what() << "\n";
        return 1;
    }
    return serveModel(servedEngine(std::move(engine)), name, options.socketPath);
}

} // namespace tandem::model
