#include "model/engine_server.h"

#include "model/model_folder.h"
#include "model/protocol.h"
#include "model/remote.h"
#include "model/sampler.h"
#include "model/shot_file.h"

#include <algorithm>
#include <arpa/inet.h>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <csignal>
#include <cstring>
#include <deque>
#include <fcntl.h>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <mutex>
#include <netdb.h>
#include <optional>
#include <poll.h>
#include <set>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <thread>
#include <tuple>
#include <unistd.h>

namespace tandem::model {

using nlohmann::json;
namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

namespace {

// Set by SIGTERM/SIGINT: the engine stops as after a shutdown message (a systemd stop is a clean stop).
volatile std::sig_atomic_t gSignalled = 0;
void onSignal(int) {
    gSignalled = 1;
}

// How long a client that keeps failing to authenticate waits before its next connection is even read:
// nothing for the first two mistakes (a mistyped paste), then doubling from 0.25 s up to 30 s.
double authBackoffSeconds(int failures) {
    if (failures < 3) return 0;
    return std::min(30.0, 0.25 * double(1 << std::min(failures - 3, 10)));
}
// A failure record is forgotten after this long without another one.
constexpr double kForgetFailuresSeconds = 600;
// How many bytes of a connection's input are read per turn, so one busy uploader cannot starve the rest.
constexpr size_t kReadChunk = 1 << 16;
constexpr size_t kReadsPerTurn = 16;
constexpr int kLoggedRefusalsPerMinute = 20;

struct Job {
    std::string id;
    uint64_t client = 0; // connection serial
    bool remote = false;
    ShotRequest request;
    std::string input, mask, output; // engine-side files ("" = none); output only for local jobs
    std::vector<std::string> references;
    std::vector<std::string> blobs; // content hashes this job holds in the spool (remote)
};

// A file on its way to a client: a JSON line first, then (remote) the file as frames, then the end frame.
struct Outgoing {
    std::string line;
    std::string file;    // "" = the line only
    bool remove = false; // the file is the engine's own copy: delete it once sent (or if never sent)
};

struct Upload {
    std::string hash;
    uint64_t bytes = 0;
    std::string partPath;
    std::ofstream out;
    std::unique_ptr<remote::Sha256> sha = std::make_unique<remote::Sha256>();
};

struct Connection {
    uint64_t serial = 0;
    std::unique_ptr<remote::Stream> stream;
    remote::TlsStream* tls = nullptr; // the same stream when remote
    std::string peer;                 // "127.0.0.1:51234" or "local"
    std::string peerHost;             // the address failures are counted against
    enum class State { Handshake, Hello, Ready } state = State::Ready;
    Clock::time_point notBefore{}; // authentication backoff: not read before this
    Clock::time_point deadline{};  // handshake and hello must be done by then
    Clock::time_point lastInput{}; // upload timeouts
    protocol::FrameReader reader;
    std::deque<Outgoing> out;
    std::string sending; // bytes of out.front() not yet written
    size_t sendingAt = 0;
    std::unique_ptr<std::ifstream> file; // out.front()'s file while it streams
    bool fileDone = false;
    std::optional<Upload> upload;
    std::map<std::string, std::pair<Job, std::set<std::string>>> pending; // job → (job, hashes still missing)
    std::map<std::string, uint64_t> wanted;                               // hash → announced size
    bool closeWhenFlushed = false;
    bool sawFirstByte = false;
    bool remote() const { return tls != nullptr; }
};

class Server {
public:
    Server(std::unique_ptr<ServedModel> engine, std::string modelName, ListenOptions options)
        : engine_(std::move(engine)), modelName_(std::move(modelName)), options_(std::move(options)),
          config_(json::parse(engine_->config().toJson())) {}
    int serve();

private:
    // --- shared with the worker (guarded by mutex_) ---
    std::mutex mutex_;
    std::condition_variable wake_;
    std::map<uint64_t, std::deque<Job>> queues_; // per connection, taken round robin
    uint64_t lastServed_ = 0;
    std::string running_;
    uint64_t runningClient_ = 0;
    std::map<std::string, int> blobUsers_; // hash → jobs holding it (held blobs are never evicted)
    std::vector<std::pair<uint64_t, Outgoing>> mailbox_;
    std::atomic<bool> cancelRunning_{false};
    // The running job's last finished step, and what it was when a cancel arrived: the "cancelled" message
    // reports both, so a client can tell how far the job went after it asked (at most one step).
    std::atomic<int> lastStep_{0};
    std::atomic<int> cancelAtStep_{-1};
    std::atomic<bool> stopping_{false};
    int wakeFd_ = -1; // eventfd: the worker's mail wakes the I/O thread

    // --- the I/O thread's own ---
    std::unique_ptr<ServedModel> engine_;
    std::string modelName_;
    ListenOptions options_;
    json config_; // the model's geometry, as every status says it (it never changes)
    std::map<uint64_t, Connection> connections_;
    uint64_t nextSerial_ = 1;
    std::unique_ptr<remote::TlsServer> tls_;
    remote::Identity identity_;
    fs::path spool_;
    std::map<std::string, std::pair<int, Clock::time_point>> failures_; // peer host → (count, last)
    std::map<std::string, std::tuple<Clock::time_point, int, int>>
        refusalLog_; // host → (minute, logged, not)

    void worker();
    void runJob(Job& job);
    void post(uint64_t client, Outgoing message);
    void postLine(uint64_t client, const json& message) {
        post(client, Outgoing{message.dump() + "\n", "", false});
    }
    void releaseBlobsLocked(const Job& job); // under mutex_

    bool openListeners(int& unixFd, int& tcpFd);
    void acceptLocal(int listener);
    void acceptRemote(int listener);
    void turn(Connection& c, short revents);
    bool handshake(Connection& c);
    void readInput(Connection& c);
    void onLine(Connection& c, const std::string& line);
    void onHello(Connection& c, const json& msg);
    void onSubmit(Connection& c, const json& msg);
    void onBlob(Connection& c, const json& msg);
    void onBlobBytes(Connection& c, std::string_view bytes);
    void onBlobEnd(Connection& c);
    void queueJob(Connection& c, Job job);
    void cancel(Connection& c, const std::string& id);
    json status(uint64_t client);
    size_t jobsAhead(uint64_t client, size_t index); // under mutex_
    void flush(Connection& c);
    bool fillSending(Connection& c);
    void send(Connection& c, const json& message) { c.out.push_back({message.dump() + "\n", "", false}); }
    void refuse(Connection& c, const std::string& clientMessage, const std::string& logReason,
                bool authFailure);
    void logRefusal(const Connection& c, const std::string& why);
    void drop(Connection& c, const std::string& why);
    void closeWith(Connection& c, const std::string& why);
    static void abandonUpload(Connection& c);
    void dropConnections();
    void evictSpool();
};

// ---------------------------------------------------------------- worker

void Server::worker() {
    while (true) {
        Job job;
        {
            std::unique_lock lock(mutex_);
            wake_.wait(lock, [&] {
                return stopping_ || std::any_of(queues_.begin(), queues_.end(),
                                                [](const auto& q) { return !q.second.empty(); });
            });
            if (stopping_) return;
            // Round robin: the first connection after the one served last that has a job waiting.
            auto next = queues_.upper_bound(lastServed_);
            while (true) {
                if (next == queues_.end()) next = queues_.begin();
                if (!next->second.empty()) break;
                ++next;
            }
            job = std::move(next->second.front());
            next->second.pop_front();
            lastServed_ = next->first;
            running_ = job.id;
            runningClient_ = job.client;
            cancelRunning_ = false;
            lastStep_ = 0;
            cancelAtStep_ = -1;
        }
        runJob(job);
        std::lock_guard lock(mutex_);
        releaseBlobsLocked(job);
        running_.clear();
        runningClient_ = 0;
    }
}

void Server::post(uint64_t client, Outgoing message) {
    {
        std::lock_guard lock(mutex_);
        mailbox_.emplace_back(client, std::move(message));
    }
    const uint64_t one = 1;
    [[maybe_unused]] const ssize_t n = ::write(wakeFd_, &one, sizeof one);
}

// The job no longer holds its uploads: ones no other job holds may be evicted.
void Server::releaseBlobsLocked(const Job& job) {
    for (const auto& h : job.blobs)
        if (--blobUsers_[h] <= 0) blobUsers_.erase(h);
}

void Server::runJob(Job& job) {
    try {
        if (!job.input.empty()) job.request.source = readShotFile(job.input);
        if (!job.mask.empty()) job.request.paint_mask = readMaskFile(job.mask);
        for (const auto& ref : job.references)
            job.request.references.push_back(readShotFile(ref));
        const Shot shot = engine_->generate(job.request, [&](const StepProgress& p) {
            lastStep_ = p.step; // before the client can hear of this step (and answer it with a cancel)
            postLine(job.client, json{{"type", "progress"},
                                      {"job", job.id},
                                      {"step", p.step},
                                      {"total", p.total},
                                      {"elapsed", p.elapsed_seconds},
                                      {"eta", p.eta_seconds}});
            return !cancelRunning_.load();
        });
        json result{
            {"type", "result"}, {"job", job.id}, {"frames", shot.frames}, {"samples", shot.audio.size()}};
        if (!job.remote) {
            writeShotFile(job.output, shot);
            result["output"] = job.output;
            postLine(job.client, result);
        } else {
            // The result travels as a blob announced on the result line; the engine's copy goes once sent.
            const std::string file = (spool_ / "out" /
                                      (std::to_string(job.client) + "-" +
                                       std::to_string(std::hash<std::string>{}(job.id)) + ".safetensors"))
                                         .string();
            writeShotFile(file, shot);
            result["bytes"] = fs::file_size(file);
            result["sha256"] = remote::sha256File(file);
            post(job.client, Outgoing{result.dump() + "\n", file, true});
        }
    } catch (const Cancelled&) {
        postLine(job.client, json{{"type", "cancelled"},
                                  {"job", job.id},
                                  {"requested_at_step", cancelAtStep_.load()},
                                  {"stopped_at_step", lastStep_.load()}});
    } catch (const std::exception& e) {
        postLine(job.client, json{{"type", "error"}, {"job", job.id}, {"message", e.what()}});
    }
}

// ---------------------------------------------------------------- listening

bool Server::openListeners(int& unixFd, int& tcpFd) {
    unixFd = tcpFd = -1;
    if (!options_.socketPath.empty()) {
        sockaddr_un addr{};
        addr.sun_family = AF_UNIX;
        if (options_.socketPath.size() >= sizeof addr.sun_path) {
            std::cerr << "tandem-engine: socket path is too long (" << options_.socketPath.size()
                      << " bytes)\n";
            return false;
        }
        std::strcpy(addr.sun_path, options_.socketPath.c_str());
        unixFd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        ::unlink(options_.socketPath.c_str());
        const mode_t old = ::umask(0077); // only this user may talk to the engine
        const int bound = ::bind(unixFd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
        ::umask(old);
        if (unixFd < 0 || bound != 0 || ::listen(unixFd, 64) != 0) {
            std::cerr << "tandem-engine: cannot listen on " << options_.socketPath << ": "
                      << std::strerror(errno) << "\n";
            return false;
        }
    }
    if (!options_.listen.empty()) {
        std::string host;
        int port = 0;
        if (!remote::parseHostPort(options_.listen, host, port)) {
            std::cerr << "tandem-engine: --listen must be HOST:PORT, got '" << options_.listen << "'\n";
            return false;
        }
        try {
            identity_ = remote::loadOrCreateIdentity(
                options_.identityDir.empty() ? remote::defaultIdentityDir() : options_.identityDir);
            tls_ = std::make_unique<remote::TlsServer>(identity_);
        } catch (const std::exception& e) {
            std::cerr << "tandem-engine: " << e.what() << "\n";
            return false;
        }
        addrinfo hints{};
        hints.ai_socktype = SOCK_STREAM;
        hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
        addrinfo* found = nullptr;
        if (const int e = ::getaddrinfo(host.c_str(), std::to_string(port).c_str(), &hints, &found); e != 0) {
            std::cerr << "tandem-engine: cannot listen on " << options_.listen << ": " << gai_strerror(e)
                      << "\n";
            return false;
        }
        tcpFd = ::socket(found->ai_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        const int yes = 1;
        ::setsockopt(tcpFd, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
        const bool ok =
            tcpFd >= 0 && ::bind(tcpFd, found->ai_addr, found->ai_addrlen) == 0 && ::listen(tcpFd, 128) == 0;
        ::freeaddrinfo(found);
        if (!ok) {
            std::cerr << "tandem-engine: cannot listen on " << options_.listen << ": " << std::strerror(errno)
                      << "\n";
            return false;
        }
        sockaddr_storage bound{};
        socklen_t len = sizeof bound;
        ::getsockname(tcpFd, reinterpret_cast<sockaddr*>(&bound), &len);
        port = ntohs(bound.ss_family == AF_INET6 ? reinterpret_cast<sockaddr_in6*>(&bound)->sin6_port
                                                 : reinterpret_cast<sockaddr_in*>(&bound)->sin_port);
        const std::string shown = host == "0.0.0.0" || host == "::" ? "THIS-MACHINE" : host;
        const std::string line = remote::pairingLine({shown, port, identity_.token, identity_.fingerprint});
        // The line is also kept beside the token (0600), for scripts and for copying to a laptop.
        std::string pairing;
        try {
            pairing = remote::writePairingFile(identity_, line);
        } catch (const std::exception& e) {
            std::cerr << "tandem-engine: " << e.what() << "\n";
            return false;
        }
        std::cout << "tandem-engine: listening with TLS on "
                  << options_.listen.substr(0, options_.listen.rfind(':')) << ":" << port << "\n";
        // The token goes to a terminal, never into a log (a systemd journal is read by more than this user).
        if (::isatty(STDOUT_FILENO))
            std::cout << "tandem-engine: paste this line into the editor (Preferences > Engine > another "
                         "machine):\n"
                      << line << "\n";
        else
            std::cout << "tandem-engine: the line to paste into the editor is in " << pairing
                      << " (readable by this user only)\n";
        std::cout << std::flush;
    }
    if (unixFd < 0 && tcpFd < 0) {
        std::cerr << "tandem-engine: nothing to listen on (give --socket PATH, --listen HOST:PORT or both)\n";
        return false;
    }
    return true;
}

void Server::acceptLocal(int listener) {
    while (true) {
        const int fd = ::accept4(listener, nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK);
        if (fd < 0) return;
        Connection& c = connections_[nextSerial_];
        c.serial = nextSerial_++;
        c.stream = remote::plainStream(fd);
        c.peer = c.peerHost = "local";
        std::lock_guard lock(mutex_);
        queues_[c.serial];
    }
}

void Server::acceptRemote(int listener) {
    while (true) {
        sockaddr_storage addr{};
        socklen_t len = sizeof addr;
        const int fd =
            ::accept4(listener, reinterpret_cast<sockaddr*>(&addr), &len, SOCK_CLOEXEC | SOCK_NONBLOCK);
        if (fd < 0) return;
        char host[NI_MAXHOST] = "?", port[NI_MAXSERV] = "?";
        ::getnameinfo(reinterpret_cast<sockaddr*>(&addr), len, host, sizeof host, port, sizeof port,
                      NI_NUMERICHOST | NI_NUMERICSERV);
        std::unique_ptr<remote::TlsStream> stream;
        try {
            stream = tls_->wrap(fd);
        } catch (const std::exception& e) {
            std::cerr << "tandem-engine: " << e.what() << "\n";
            continue;
        }
        Connection& c = connections_[nextSerial_];
        c.serial = nextSerial_++;
        c.tls = stream.get();
        c.stream = std::move(stream);
        c.peerHost = host;
        c.peer = std::string(host) + ":" + port;
        c.state = Connection::State::Handshake;
        const auto now = Clock::now();
        c.notBefore = now;
        if (auto f = failures_.find(host); f != failures_.end())
            c.notBefore =
                f->second.second + std::chrono::milliseconds(int(authBackoffSeconds(f->second.first) * 1000));
        c.deadline = std::max(now, c.notBefore) +
                     std::chrono::milliseconds(int(options_.handshakeTimeoutSeconds * 1000));
        c.lastInput = now;
    }
}

// ---------------------------------------------------------------- one connection

// One line per refused connection — but a scanner or a flood from one address is summarised, so the log
// (a systemd journal) stays readable: after kLoggedRefusalsPerMinute lines an address is quiet for the rest
// of the minute, and the next line says how many went unlogged.
void Server::logRefusal(const Connection& c, const std::string& why) {
    auto& [minuteStart, logged, unlogged] = refusalLog_[c.peerHost];
    const auto now = Clock::now();
    if (now - minuteStart > std::chrono::minutes(1)) {
        if (unlogged > 0)
            std::cerr << "tandem-engine: " << unlogged << " more refusals of " << c.peerHost
                      << " were not logged\n";
        minuteStart = now;
        logged = unlogged = 0;
    }
    if (logged < kLoggedRefusalsPerMinute) {
        std::cerr << "tandem-engine: refused " << c.peer << ": " << why << "\n";
        if (++logged == kLoggedRefusalsPerMinute)
            std::cerr << "tandem-engine: further refusals of " << c.peerHost
                      << " this minute are counted, not logged\n";
    } else {
        ++unlogged;
    }
}

// Logged on the engine and told to the client; the connection closes once the message is out. A bad token
// or a client that does not say hello counts against its address (authBackoffSeconds).
void Server::refuse(Connection& c, const std::string& clientMessage, const std::string& logReason,
                    bool authFailure) {
    logRefusal(c, logReason);
    if (authFailure) {
        auto& f = failures_[c.peerHost];
        f.first += 1;
        f.second = Clock::now();
    }
    send(c, {{"type", "error"}, {"message", clientMessage}});
    c.closeWhenFlushed = true;
}

bool Server::handshake(Connection& c) {
    if (c.state != Connection::State::Handshake) return true;
    // A client speaking plain text to the TLS port gets told so in plain text (a TLS client's first byte is
    // 0x16, a handshake record).
    unsigned char first = 0;
    const ssize_t peeked = c.sawFirstByte ? 0 : ::recv(c.stream->fd(), &first, 1, MSG_PEEK);
    if (peeked == 1) c.sawFirstByte = true;
    if (peeked == 1 && first != 0x16) {
        const std::string message =
            json{{"type", "error"},
                 {"message", "this engine port speaks TLS; connect with the "
                             "engine line (tandem-cli --engine HOST:PORT --token-file F)"}}
                .dump() +
            "\n";
        [[maybe_unused]] const ssize_t n =
            ::send(c.stream->fd(), message.data(), message.size(), MSG_NOSIGNAL);
        logRefusal(c, "not a TLS client");
        drop(c, "");
        return false;
    }
    const int step = c.tls->acceptStep();
    if (step < 0) {
        logRefusal(c, "TLS handshake failed (" + c.tls->error() + ")");
        drop(c, "");
        return false;
    }
    if (step == 1) c.state = Connection::State::Hello;
    return true;
}

void Server::readInput(Connection& c) {
    char chunk[kReadChunk];
    for (size_t turn = 0; turn < kReadsPerTurn; ++turn) {
        const long n = c.stream->read(chunk, sizeof chunk);
        if (n == remote::Stream::kWouldBlock) return;
        if (n <= 0) return drop(c, n == 0 ? "closed the connection" : c.stream->error());
        c.lastInput = Clock::now();
        c.reader.feed(chunk, size_t(n));
        try {
            while (true) {
                const auto e = c.reader.next();
                if (e.kind == protocol::FrameReader::Event::None) break;
                if (e.kind == protocol::FrameReader::Event::Line) {
                    if (!e.data.empty()) onLine(c, std::string(e.data));
                } else if (e.kind == protocol::FrameReader::Event::BlobBytes) {
                    onBlobBytes(c, e.data);
                } else {
                    onBlobEnd(c);
                }
                if (c.closeWhenFlushed || !c.stream) return;
            }
        } catch (const protocol::FramingError& e) {
            abandonUpload(c);
            return closeWith(c, e.what());
        }
        if (!c.stream->hasBufferedInput() && size_t(n) < sizeof chunk) return;
    }
}

void Server::onLine(Connection& c, const std::string& line) {
    json msg;
    try {
        msg = protocol::parseLine(line);
    } catch (const std::invalid_argument& e) {
        if (c.state == Connection::State::Hello)
            return refuse(c, "the first message must be a hello with the engine's token", "no hello", true);
        send(c, {{"type", "error"}, {"message", std::string("bad message: ") + e.what()}});
        return;
    }
    const std::string type = msg["type"];
    if (c.state == Connection::State::Hello) {
        if (type != "hello")
            return refuse(c, "the first message must be a hello with the engine's token", "no hello", true);
        return onHello(c, msg);
    }
    const json jobField = msg.value("job", json());
    const std::string id = jobField.is_string() ? jobField.get<std::string>() : std::string();
    if (type == "hello") {
        if (!c.remote())
            return send(c, {{"type", "error"}, {"message", "a local connection needs no hello"}});
        return refuse(c, "this connection is already authenticated; a second hello is refused",
                      "second hello", false);
    } else if (type == "submit") {
        onSubmit(c, msg);
    } else if (type == "blob") {
        onBlob(c, msg);
    } else if (type == "cancel") {
        cancel(c, id);
    } else if (type == "status") {
        send(c, status(c.serial));
    } else if (type == "shutdown") {
        if (c.remote())
            return send(
                c, {{"type", "error"}, {"message", "only a client on the engine's machine may stop it"}});
        stopping_ = true;
        cancelRunning_ = true;
        wake_.notify_all();
    } else {
        send(c, {{"type", "error"}, {"job", id}, {"message", "unknown message type '" + type + "'"}});
    }
}

void Server::onHello(Connection& c, const json& msg) {
    const json token = msg.value("token", json());
    if (!token.is_string() || token.get<std::string>().empty())
        return refuse(c, "the engine needs its token (the token= part of the engine line)", "no token", true);
    if (!remote::tokensEqual(token.get<std::string>(), identity_.token))
        return refuse(c,
                      "wrong token: paste the engine's current line (its token file may have been replaced)",
                      "wrong token", true);
    failures_.erase(c.peerHost);
    c.state = Connection::State::Ready;
    std::cerr << "tandem-engine: client " << c.peer << " connected\n";
    json welcome = status(c.serial);
    welcome["type"] = "welcome";
    welcome["max_blob_bytes"] = options_.maxBlobBytes;
    send(c, welcome);
}

void Server::onSubmit(Connection& c, const json& msg) {
    const json jobField = msg.value("job", json());
    const std::string id = jobField.is_string() ? jobField.get<std::string>() : std::string();
    Job job;
    job.id = id;
    job.client = c.serial;
    job.remote = c.remote();
    std::set<std::string> missing;
    try {
        if (id.empty()) throw std::invalid_argument("submit needs a \"job\" id");
        {
            std::lock_guard lock(mutex_);
            const auto& q = queues_[c.serial];
            if (std::any_of(q.begin(), q.end(), [&](const Job& j) { return j.id == id; }) ||
                c.pending.count(id) || (running_ == id && runningClient_ == c.serial))
                throw std::invalid_argument("a job '" + id + "' of yours is already waiting or running");
            if (int(q.size() + c.pending.size()) >= options_.maxQueuedPerClient)
                throw std::invalid_argument("you have " + std::to_string(options_.maxQueuedPerClient) +
                                            " jobs waiting already");
        }
        job.request = protocol::requestFromJson(msg.value("request", json::object()));
        if (!c.remote()) {
            job.input = msg.value("input", std::string());
            job.mask = msg.value("mask", std::string());
            job.output = msg.value("output", std::string());
            job.references = msg.value("references", std::vector<std::string>());
            if (job.output.empty()) throw std::invalid_argument("submit needs an \"output\" file");
        } else {
            // Over TLS files are named by content; each is uploaded only if the engine does not hold it yet.
            auto take = [&](const json& j, const char* what) -> std::string {
                const auto ref = protocol::fileRefFromJson(j, options_.maxBlobBytes, what);
                if (!ref) return {};
                job.blobs.push_back(ref->sha256);
                const fs::path path = spool_ / "blobs" / ref->sha256;
                std::error_code ec;
                if (!fs::exists(path, ec) || fs::file_size(path, ec) != ref->bytes) {
                    missing.insert(ref->sha256);
                    c.wanted[ref->sha256] = ref->bytes;
                } else {
                    fs::last_write_time(path, fs::file_time_type::clock::now(),
                                        ec); // recently used: kept longest
                }
                return path.string();
            };
            job.input = take(msg.value("input", json()), "input");
            job.mask = take(msg.value("mask", json()), "mask");
            const json refs = msg.value("references", json::array());
            if (!refs.is_array()) throw std::invalid_argument("\"references\" must be a list");
            for (const auto& r : refs)
                job.references.push_back(take(r, "references"));
        }
    } catch (const std::exception& e) {
        for (const auto& h : missing)
            if (std::none_of(c.pending.begin(), c.pending.end(),
                             [&](const auto& p) { return p.second.second.count(h) > 0; }))
                c.wanted.erase(h);
        send(c, {{"type", "error"}, {"job", id}, {"message", e.what()}});
        return;
    }
    {
        std::lock_guard lock(mutex_);
        for (const auto& h : job.blobs)
            ++blobUsers_[h];
    }
    if (!missing.empty()) {
        send(c, {{"type", "need"},
                 {"job", id},
                 {"sha256", std::vector<std::string>(missing.begin(), missing.end())}});
        c.pending[id] = {std::move(job), std::move(missing)};
        return;
    }
    queueJob(c, std::move(job));
}

void Server::queueJob(Connection& c, Job job) {
    {
        // "accepted" is queued on the connection before the worker can see the job: a client always hears
        // of its job before it hears from it.
        std::lock_guard lock(mutex_);
        auto& q = queues_[c.serial];
        q.push_back(job);
        const size_t ahead = jobsAhead(c.serial, q.size() - 1);
        send(c, {{"type", "accepted"}, {"job", job.id}, {"position", ahead}});
    }
    wake_.notify_one();
}

void Server::onBlob(Connection& c, const json& msg) {
    const std::string hash = msg.value("sha256", std::string());
    const json bytesField = msg.value("bytes", json());
    const auto wanted = c.wanted.find(hash);
    if (wanted == c.wanted.end() || !bytesField.is_number_unsigned() ||
        bytesField.get<uint64_t>() != wanted->second)
        return closeWith(c, "a blob the engine did not ask for (or of another size)");
    Upload u;
    u.hash = hash;
    u.bytes = wanted->second;
    u.partPath = (spool_ / "partial" / (std::to_string(c.serial) + "-" + hash)).string();
    u.out.open(u.partPath, std::ios::binary | std::ios::trunc);
    if (!u.out) return closeWith(c, "the engine cannot store uploads: " + std::string(std::strerror(errno)));
    c.upload.emplace(std::move(u));
    c.reader.beginBlob(c.upload->bytes);
}

void Server::onBlobBytes(Connection& c, std::string_view bytes) {
    c.upload->sha->update(bytes.data(), bytes.size());
    c.upload->out.write(bytes.data(), std::streamsize(bytes.size()));
}

void Server::onBlobEnd(Connection& c) {
    Upload& u = *c.upload;
    bool stored = !u.out.fail();
    u.out.close();
    stored = stored && !u.out.fail();
    const std::string got = u.sha->hex();
    if (got != u.hash || !stored) {
        const std::string why = got != u.hash ? "an upload's bytes do not have its announced sha256"
                                              : "the engine's disk is full";
        abandonUpload(c); // `u` goes with it
        return closeWith(c, why);
    }
    const fs::path final = spool_ / "blobs" / u.hash;
    std::error_code ec;
    fs::rename(u.partPath, final, ec);
    const std::string hash = u.hash;
    c.upload.reset();
    c.wanted.erase(hash);
    for (auto it = c.pending.begin(); it != c.pending.end();) {
        it->second.second.erase(hash);
        if (it->second.second.empty()) {
            Job job = std::move(it->second.first);
            it = c.pending.erase(it);
            queueJob(c, std::move(job));
        } else {
            ++it;
        }
    }
    evictSpool();
}

void Server::cancel(Connection& c, const std::string& id) {
    bool wasQueued = false, wasRunning = false, wasPending = false;
    if (auto p = c.pending.find(id); p != c.pending.end()) {
        std::lock_guard lock(mutex_);
        releaseBlobsLocked(p->second.first);
        c.pending.erase(p);
        wasPending = true;
    }
    {
        std::lock_guard lock(mutex_);
        auto& q = queues_[c.serial];
        for (auto it = q.begin(); it != q.end(); ++it)
            if (it->id == id) {
                releaseBlobsLocked(*it);
                q.erase(it);
                wasQueued = true;
                break;
            }
        if (!wasQueued && running_ == id && runningClient_ == c.serial) {
            cancelAtStep_ = lastStep_.load();
            cancelRunning_ = true;
            wasRunning = true;
        }
    }
    if (wasQueued || wasPending) send(c, {{"type", "cancelled"}, {"job", id}});
    // Another connection's job ids are not this one's to see: the answer is the same as for no job at all.
    else if (!wasRunning)
        send(c, {{"type", "error"}, {"message", "no job '" + id + "' of yours is waiting or running"}});
}

// How many jobs run before the index-th of `client`'s queue, taking queues round robin from after the one
// served last (under mutex_).
size_t Server::jobsAhead(uint64_t client, size_t index) {
    size_t ahead = running_.empty() ? 0 : 1;
    const size_t round = index; // the job runs in round `index` of its own queue
    for (const auto& [serial, q] : queues_) {
        if (serial == client) continue;
        // A queue after lastServed_ and before `client` in the rotation gets one more turn in the last round.
        const bool before = (serial > lastServed_) ? (client <= lastServed_ || serial < client)
                                                   : (client <= lastServed_ && serial < client);
        ahead += std::min(q.size(), round + (before ? 1 : 0));
    }
    return ahead + index;
}

json Server::status(uint64_t client) {
    std::lock_guard lock(mutex_);
    size_t queued = 0;
    for (const auto& [_, q] : queues_)
        queued += q.size();
    json yours = json::array();
    const auto& q = queues_[client];
    for (size_t i = 0; i < q.size(); ++i)
        yours.push_back({{"job", q[i].id}, {"ahead", jobsAhead(client, i)}});
    return json{{"type", "status"},
                {"protocol", protocol::kVersion},
                {"device", engine_->deviceName()},
                {"model", modelName_},
                {"trained", engine_->hasTrainedWeights()},
                {"config", config_},
                {"running", runningClient_ == client ? running_ : std::string()},
                {"busy", !running_.empty()},
                {"queued", queued},
                {"yours", yours}};
}

// Makes out.front() ready to send: its line, then its file's frames one at a time, then the end frame.
bool Server::fillSending(Connection& c) {
    if (c.sendingAt < c.sending.size()) return true;
    c.sending.clear(); // keeps its capacity: a result's frames reuse one buffer
    c.sendingAt = 0;
    while (!c.out.empty()) {
        Outgoing& o = c.out.front();
        if (!o.line.empty()) {
            c.sending.swap(o.line);
            return true;
        }
        if (!o.file.empty() && !c.fileDone) {
            if (!c.file) c.file = std::make_unique<std::ifstream>(o.file, std::ios::binary);
            if (protocol::readFileFrame(*c.file, c.sending) == 0) c.fileDone = true; // the end frame
            return true;
        }
        if (o.remove) ::unlink(o.file.c_str());
        c.file.reset();
        c.fileDone = false;
        c.out.pop_front();
    }
    return false;
}

void Server::flush(Connection& c) {
    while (c.stream && fillSending(c)) {
        const long n = c.stream->write(c.sending.data() + c.sendingAt, c.sending.size() - c.sendingAt);
        if (n == remote::Stream::kWouldBlock) return;
        if (n <= 0) return drop(c, c.stream->error());
        c.sendingAt += size_t(n);
    }
}

// Forgets a connection: its queued jobs go, a running one is told to stop, its half-uploaded and undelivered
// files are deleted.
void Server::drop(Connection& c, const std::string& why) {
    if (!why.empty() && c.remote())
        std::cerr << "tandem-engine: client " << c.peer << " left (" << why << ")\n";
    abandonUpload(c);
    for (auto& o : c.out)
        if (o.remove) ::unlink(o.file.c_str());
    c.out.clear();
    c.file.reset();
    {
        std::lock_guard lock(mutex_);
        for (const auto& [_, p] : c.pending)
            releaseBlobsLocked(p.first);
        for (const auto& j : queues_[c.serial])
            releaseBlobsLocked(j);
        queues_.erase(c.serial);
        if (runningClient_ == c.serial) cancelRunning_ = true;
    }
    c.pending.clear();
    c.stream.reset();
    c.tls = nullptr;
}

// A half-received upload's bytes are deleted: only whole, checked uploads stay in the spool.
void Server::abandonUpload(Connection& c) {
    if (!c.upload) return;
    c.upload->out.close();
    ::unlink(c.upload->partPath.c_str());
    c.upload.reset();
}

// A client that broke the protocol: logged, told why, and the connection closes once that is sent.
void Server::closeWith(Connection& c, const std::string& why) {
    std::cerr << "tandem-engine: closing " << c.peer << ": " << why << "\n";
    send(c, {{"type", "error"}, {"message", why + "; closing the connection"}});
    c.closeWhenFlushed = true;
}

// Keeps the uploads below the spool limit: the least recently used that no job holds go first.
void Server::evictSpool() {
    std::error_code ec;
    std::vector<std::tuple<fs::file_time_type, uint64_t, fs::path>> blobs;
    uint64_t total = 0;
    for (const auto& e : fs::directory_iterator(spool_ / "blobs", ec)) {
        const uint64_t size = e.file_size(ec);
        total += size;
        blobs.emplace_back(e.last_write_time(ec), size, e.path());
    }
    if (total <= options_.spoolLimitBytes) return;
    std::sort(blobs.begin(), blobs.end());
    std::lock_guard lock(mutex_);
    for (const auto& [_, size, path] : blobs) {
        if (total <= options_.spoolLimitBytes) break;
        if (blobUsers_.count(path.filename().string())) continue;
        fs::remove(path, ec);
        total -= size;
    }
}

void Server::turn(Connection& c, short revents) {
    if (!c.stream) return;
    if (revents & (POLLIN | POLLOUT | POLLHUP | POLLERR)) {
        if (!handshake(c)) return;
        if (c.state != Connection::State::Handshake && !c.closeWhenFlushed &&
            (revents & (POLLIN | POLLHUP | POLLERR)))
            readInput(c);
    }
    if (c.stream && c.state != Connection::State::Handshake) flush(c);
}

void Server::dropConnections() {
    const auto now = Clock::now();
    for (auto& [_, c] : connections_) {
        if (!c.stream) continue;
        if (c.state != Connection::State::Ready && now > c.deadline) {
            logRefusal(c, "no TLS handshake and hello within " +
                              std::to_string(options_.handshakeTimeoutSeconds) + " s");
            drop(c, "");
            continue;
        }
        const bool uploading = c.upload || !c.pending.empty();
        if (uploading &&
            now - c.lastInput > std::chrono::milliseconds(int(options_.blobTimeoutSeconds * 1000))) {
            closeWith(c, "the upload stalled for " + std::to_string(int(options_.blobTimeoutSeconds)) + " s");
            flush(c);
            drop(c, "");
            continue;
        }
        if (c.closeWhenFlushed && c.out.empty() && c.sendingAt >= c.sending.size()) drop(c, "");
    }
    for (auto it = connections_.begin(); it != connections_.end();)
        it = it->second.stream ? std::next(it) : connections_.erase(it);
    for (auto it = failures_.begin(); it != failures_.end();)
        it = now - it->second.second > std::chrono::seconds(int(kForgetFailuresSeconds)) ? failures_.erase(it)
                                                                                         : std::next(it);
}

int Server::serve() {
    if (!options_.listen.empty()) {
        spool_ = options_.spoolDir.empty() ? remote::defaultSpoolDir() : options_.spoolDir;
        std::error_code ec;
        // What a previous run left half done is never valid: partial uploads and undelivered results go.
        fs::remove_all(spool_ / "partial", ec);
        fs::remove_all(spool_ / "out", ec);
        for (const char* sub : {"blobs", "partial", "out"})
            fs::create_directories(spool_ / sub, ec);
        ::chmod(spool_.c_str(), 0700);
        if (ec) {
            std::cerr << "tandem-engine: cannot use the spool folder " << spool_ << ": " << ec.message()
                      << "\n";
            return 1;
        }
    }
    int unixFd = -1, tcpFd = -1;
    if (!openListeners(unixFd, tcpFd)) return 1;
    wakeFd_ = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    std::thread work([this] { worker(); });
    while (!stopping_ && !gSignalled) {
        std::vector<pollfd> fds{{wakeFd_, POLLIN, 0}, {unixFd, POLLIN, 0}, {tcpFd, POLLIN, 0}};
        std::vector<uint64_t> serials;
        const auto now = Clock::now();
        int timeoutMs = 200;
        for (auto& [serial, c] : connections_) {
            if (!c.stream) continue;
            if (now < c.notBefore) { // authentication backoff: not even read until then
                timeoutMs = std::min<int>(
                    timeoutMs,
                    int(std::chrono::duration_cast<std::chrono::milliseconds>(c.notBefore - now).count()) +
                        1);
                continue;
            }
            short events = POLLIN;
            if (!c.out.empty() || c.sendingAt < c.sending.size() || c.stream->wantsWritable())
                events |= POLLOUT;
            // Bytes TLS has already decrypted do not wake poll: serve them now.
            if (c.stream->hasBufferedInput()) timeoutMs = 0;
            fds.push_back({c.stream->fd(), events, 0});
            serials.push_back(serial);
        }
        if (::poll(fds.data(), fds.size(), timeoutMs) < 0 && errno != EINTR) break;
        if (fds[0].revents & POLLIN) {
            uint64_t count;
            [[maybe_unused]] const ssize_t n = ::read(wakeFd_, &count, sizeof count);
        }
        {
            std::vector<std::pair<uint64_t, Outgoing>> mail;
            {
                std::lock_guard lock(mutex_);
                mail.swap(mailbox_);
            }
            for (auto& [serial, message] : mail) {
                auto it = connections_.find(serial);
                if (it != connections_.end() && it->second.stream)
                    it->second.out.push_back(std::move(message));
                else if (message.remove)
                    ::unlink(message.file.c_str()); // its client has gone
            }
        }
        if (unixFd >= 0 && (fds[1].revents & POLLIN)) acceptLocal(unixFd);
        if (tcpFd >= 0 && (fds[2].revents & POLLIN)) acceptRemote(tcpFd);
        for (size_t i = 0; i < serials.size(); ++i) {
            auto it = connections_.find(serials[i]);
            if (it == connections_.end()) continue;
            short revents = fds[3 + i].revents;
            if (it->second.stream && it->second.stream->hasBufferedInput()) revents |= POLLIN;
            turn(it->second, revents);
        }
        for (auto& [_, c] : connections_)
            if (c.stream && c.state != Connection::State::Handshake) flush(c); // mail that just arrived
        dropConnections();
    }
    stopping_ = true;
    cancelRunning_ = true;
    wake_.notify_all();
    work.join();
    for (auto& [_, c] : connections_)
        drop(c, "");
    connections_.clear();
    for (const auto& [_, m] : mailbox_)
        if (m.remove) ::unlink(m.file.c_str());
    if (unixFd >= 0) {
        ::close(unixFd);
        ::unlink(options_.socketPath.c_str());
    }
    if (tcpFd >= 0) ::close(tcpFd);
    ::close(wakeFd_);
    return 0;
}

class EngineModel : public ServedModel {
public:
    explicit EngineModel(std::unique_ptr<Engine> engine) : engine_(std::move(engine)) {}
    Shot generate(const ShotRequest& request, const ProgressFn& progress) override {
        return engine_->generate(request, progress);
    }
    std::string deviceName() const override { return engine_->deviceName(); }
    bool hasTrainedWeights() const override { return engine_->hasTrainedWeights(); }
    ModelConfig config() const override { return engine_->config(); }

private:
    std::unique_ptr<Engine> engine_;
};

} // namespace

std::unique_ptr<ServedModel> servedEngine(std::unique_ptr<Engine> engine) {
    return std::make_unique<EngineModel>(std::move(engine));
}

int serveModel(std::unique_ptr<ServedModel> model, const std::string& name, const ListenOptions& listen) {
    std::signal(SIGPIPE, SIG_IGN);
    std::signal(SIGTERM, onSignal);
    std::signal(SIGINT, onSignal);
    Server server(std::move(model), name, listen);
    return server.serve();
}

int runEngineServer(const ServerOptions& options) {
    std::unique_ptr<Engine> engine;
    std::string name;
    try {
        if (!options.modelDir.empty()) {
            engine = Engine::load(options.modelDir, options.engine);
            name = options.modelDir;
        } else {
            const ModelConfig cfg =
                options.configPath.empty() ? ModelConfig{} : readConfigFile(options.configPath);
            engine = Engine::createUntrained(cfg, options.engine);
            name = "untrained " + cfg.name;
        }
    } catch (const std::exception& e) {
        std::cerr << "tandem-engine: " << e.what() << "\n";
        return 1;
    }
    return serveModel(servedEngine(std::move(engine)), name, options.listen);
}

} // namespace tandem::model
