#include "model/engine_client.h"

#include "model/protocol.h"

#include <filesystem>

#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstring>
#include <poll.h>
#include <stdexcept>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

namespace tandem::model {

using nlohmann::json;

namespace {

int connectSocket(const std::string& path) {
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    if (path.size() >= sizeof addr.sun_path) throw std::runtime_error("engine socket path is too long: " + path);
    std::strcpy(addr.sun_path, path.c_str());
    const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return -1;
    if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
        ::close(fd);
        return -1;
    }
    return fd;
}

std::string statusText(int status) {
    if (WIFEXITED(status)) return "exited with status " + std::to_string(WEXITSTATUS(status));
    if (WIFSIGNALED(status)) return std::string("killed by signal ") + std::to_string(WTERMSIG(status)) + " (" + strsignal(WTERMSIG(status)) + ")";
    return "stopped";
}

} // namespace

std::unique_ptr<EngineClient> EngineClient::launch(const EngineLaunch& l) {
    std::vector<std::string> args = {l.program, "serve", "--socket", l.socketPath, "--device", l.device};
    if (!l.modelDir.empty()) args.insert(args.end(), {"--model", l.modelDir});
    if (!l.configPath.empty()) args.insert(args.end(), {"--config", l.configPath});
    if (l.threads > 0) args.insert(args.end(), {"--threads", std::to_string(l.threads)});
    if (l.offload) args.push_back("--offload");
    args.insert(args.end(), l.extraArgs.begin(), l.extraArgs.end());
    ::unlink(l.socketPath.c_str()); // a stale socket must not look like a ready engine
    const pid_t pid = ::fork();
    if (pid < 0) throw std::runtime_error(std::string("cannot start the engine: ") + std::strerror(errno));
    if (pid == 0) {
        std::vector<char*> argv;
        for (auto& a : args) argv.push_back(a.data());
        argv.push_back(nullptr);
        ::execv(l.program.c_str(), argv.data());
        std::fprintf(stderr, "tandem: cannot run %s: %s\n", l.program.c_str(), std::strerror(errno));
        ::_exit(127);
    }
    std::unique_ptr<EngineClient> c(new EngineClient());
    c->pid_ = pid;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(l.readySeconds);
    while (std::chrono::steady_clock::now() < deadline) {
        int status = 0;
        if (::waitpid(pid, &status, WNOHANG) == pid) {
            c->pid_ = -1;
            throw std::runtime_error("the engine did not start: it " + statusText(status));
        }
        if (const int fd = connectSocket(l.socketPath); fd >= 0) {
            c->stream_ = remote::plainStream(fd);
            return c;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    throw std::runtime_error("the engine did not become ready within " + std::to_string(int(l.readySeconds)) + " s");
}

std::unique_ptr<EngineClient> EngineClient::connectTo(const std::string& socketPath) {
    std::unique_ptr<EngineClient> c(new EngineClient());
    const int fd = connectSocket(socketPath);
    if (fd < 0) throw std::runtime_error("no engine is listening on " + socketPath);
    c->stream_ = remote::plainStream(fd);
    return c;
}

std::unique_ptr<EngineClient> EngineClient::connectRemote(const remote::EngineAddress& address, double timeoutSeconds) {
    std::unique_ptr<EngineClient> c(new EngineClient());
    c->remote_ = true;
    c->where_ = address.host + ":" + std::to_string(address.port);
    const auto started = std::chrono::steady_clock::now();
    c->stream_ = remote::connectTls(address, timeoutSeconds);
    c->sendLine({{"type", "hello"}, {"protocol", protocol::kVersion}, {"token", address.token}});
    const auto deadline = started + std::chrono::duration<double>(timeoutSeconds);
    while (std::chrono::steady_clock::now() < deadline) {
        for (auto& m : c->poll(100)) {
            const std::string type = m.value("type", std::string());
            if (type == "welcome") {
                c->roundTrip_ = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
                c->welcome_ = std::move(m);
                return c;
            }
            if (type == "error" || type == "engine_lost")
                throw std::runtime_error("the engine at " + c->where_ + " refused the connection: " + m.value("message", std::string()));
        }
        if (!c->alive()) break;
    }
    throw std::runtime_error("the engine at " + c->where_ + " did not answer the token within " +
                             std::to_string(int(timeoutSeconds)) + " s");
}

ModelConfig EngineClient::modelConfig() const {
    const auto config = welcome_.find("config");
    if (config == welcome_.end()) throw std::runtime_error("the engine did not say what it makes (no config in its welcome)");
    return ModelConfig::fromJson(config->dump());
}

EngineClient::~EngineClient() {
    if (download_) ::unlink(download_->part.c_str());
    if (stream_) {
        if (pid_ > 0) {
            try {
                sendLine({{"type", "shutdown"}});
            } catch (...) {
            }
        }
        stream_.reset();
    }
    if (pid_ > 0) {
        // Give the engine a moment to finish its current step and exit, then make sure it has.
        for (int i = 0; i < 100; ++i) {
            if (::waitpid(pid_, nullptr, WNOHANG) == pid_) return;
            std::this_thread::sleep_for(std::chrono::milliseconds(20));
        }
        ::kill(pid_, SIGKILL);
        ::waitpid(pid_, nullptr, 0);
    }
}

void EngineClient::sendAll(const void* data, size_t size) {
    if (!stream_) throw std::runtime_error("the engine is not running");
    size_t done = 0;
    while (done < size) {
        const long n = stream_->write(static_cast<const char*>(data) + done, size - done);
        if (n == remote::Stream::kWouldBlock) continue;
        if (n <= 0) throw std::runtime_error("lost the connection to the engine");
        done += size_t(n);
    }
}

void EngineClient::sendLine(const json& message) {
    const std::string line = message.dump() + "\n";
    sendAll(line.data(), line.size());
}

// A file as a remote engine knows it: by content. Remembered so the engine can ask for its bytes.
json EngineClient::fileRef(const std::string& path) {
    if (path.empty()) return nullptr;
    const std::string hash = remote::sha256File(path);
    files_[hash] = path;
    return {{"sha256", hash}, {"bytes", std::filesystem::file_size(path)}};
}

std::string EngineClient::submit(const ShotRequest& request, const std::string& input, const std::string& mask,
                                 const std::string& output, const std::vector<std::string>& references) {
    const std::string id = "job-" + std::to_string(nextJob_++);
    if (!remote_) {
        sendLine({{"type", "submit"}, {"job", id}, {"request", protocol::requestToJson(request)}, {"input", input},
                  {"mask", mask}, {"output", output}, {"references", references}});
    } else {
        json refs = json::array();
        for (const auto& r : references) refs.push_back(fileRef(r));
        sendLine({{"type", "submit"}, {"job", id}, {"request", protocol::requestToJson(request)}, {"input", fileRef(input)},
                  {"mask", fileRef(mask)}, {"references", refs}});
        outputs_[id] = output;
    }
    unfinished_.insert(id);
    return id;
}

// The bytes of a file the engine asked for: announced, then in frames, then the end frame.
void EngineClient::upload(const std::string& hash) {
    const auto file = files_.find(hash);
    if (file == files_.end()) throw std::runtime_error("the engine asked for a file this client never named");
    std::ifstream in(file->second, std::ios::binary);
    const uint64_t bytes = std::filesystem::file_size(file->second);
    if (!in) throw std::runtime_error("cannot read " + file->second);
    const auto started = std::chrono::steady_clock::now();
    sendLine({{"type", "blob"}, {"sha256", hash}, {"bytes", bytes}});
    std::string frame;
    uint64_t sent = 0;
    while (const size_t n = protocol::readFileFrame(in, frame)) {
        if ((sent += n) > bytes) throw std::runtime_error(file->second + " changed while it was being sent");
        sendAll(frame.data(), frame.size());
        transfers_.uploadedBytes += n;
    }
    if (sent != bytes) throw std::runtime_error(file->second + " changed while it was being sent");
    sendAll(frame.data(), frame.size()); // the end frame
    transfers_.uploadSeconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    sent_.insert(hash);
}

void EngineClient::cancel(const std::string& job) { sendLine({{"type", "cancel"}, {"job", job}}); }
void EngineClient::requestStatus() { sendLine({{"type", "status"}}); }

std::string EngineClient::describeExit() {
    if (remote_) return "the connection to the engine at " + where_ + " closed";
    if (pid_ <= 0) return "the connection closed";
    int status = 0;
    for (int i = 0; i < 50; ++i) {
        if (::waitpid(pid_, &status, WNOHANG) == pid_) {
            pid_ = -1;
            return "it " + statusText(status);
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return "the connection closed";
}

std::vector<json> EngineClient::lose(const std::string& why) {
    stream_.reset();
    if (download_) ::unlink(download_->part.c_str());
    download_.reset();
    const std::string reason = (remote_ ? "the engine was lost: " : "the engine process ended unexpectedly: ") + why;
    std::vector<json> out;
    // "engine_lost": true tells a caller that may resubmit (a remote engine restarting) from a job that failed.
    for (const auto& job : unfinished_)
        out.push_back({{"type", "error"}, {"job", job}, {"message", reason}, {"engine_lost", true}});
    unfinished_.clear();
    out.push_back({{"type", "engine_lost"}, {"message", reason}});
    return out;
}

void EngineClient::onLine(const std::string& line, std::vector<json>& out) {
    json msg;
    try {
        msg = protocol::parseLine(line);
    } catch (const std::invalid_argument& e) {
        msg = {{"type", "error"}, {"message", std::string("unreadable message from the engine: ") + e.what()}};
    }
    const std::string type = msg["type"];
    const std::string job = msg.value("job", json()).is_string() ? msg["job"].get<std::string>() : std::string();
    if (type == "need" && remote_) {
        try {
            for (const auto& h : msg.value("sha256", json::array()))
                if (h.is_string() && !sent_.count(h.get<std::string>())) upload(h.get<std::string>());
        } catch (const std::exception& e) {
            unfinished_.erase(job);
            out.push_back({{"type", "error"}, {"job", job}, {"message", std::string("the upload failed: ") + e.what()}});
            try {
                sendLine({{"type", "cancel"}, {"job", job}});
            } catch (...) {
            }
        }
        return;
    }
    if (type == "result" && remote_ && msg.contains("bytes")) {
        // The result's bytes follow this line: they are written beside the output and renamed when whole.
        Download d;
        d.started = std::chrono::steady_clock::now();
        d.output = outputs_.count(job) ? outputs_[job] : std::string();
        d.part = d.output + ".part";
        d.sha256 = msg.value("sha256", std::string());
        d.out = std::make_unique<std::ofstream>(d.part, std::ios::binary | std::ios::trunc);
        d.hash = std::make_unique<remote::Sha256>();
        const json bytes = msg["bytes"];
        d.result = std::move(msg);
        reader_.beginBlob(bytes.is_number_unsigned() ? bytes.get<uint64_t>() : 0);
        download_.emplace(std::move(d));
        return;
    }
    if (type == "result" || type == "cancelled" || (type == "error" && !job.empty())) {
        unfinished_.erase(job);
        outputs_.erase(job);
    }
    out.push_back(std::move(msg));
}

void EngineClient::finishDownload(std::vector<json>& out) {
    Download d = std::move(*download_);
    download_.reset();
    const bool written = !d.out->fail();
    d.out->close();
    const std::string job = d.result.value("job", std::string());
    unfinished_.erase(job);
    outputs_.erase(job);
    std::string why;
    if (d.output.empty()) why = "a result for a job this client did not submit";
    else if (!written || d.out->fail()) why = "cannot write " + d.part;
    else if (d.hash->hex() != d.sha256) why = "the result arrived damaged (its sha256 does not match)";
    std::error_code ec;
    if (why.empty()) std::filesystem::rename(d.part, d.output, ec);
    if (why.empty() && ec) why = "cannot write " + d.output + ": " + ec.message();
    if (!why.empty()) {
        ::unlink(d.part.c_str());
        out.push_back({{"type", "error"}, {"job", job}, {"message", why}});
        return;
    }
    transfers_.downloadedBytes += d.result.value("bytes", uint64_t(0));
    transfers_.downloadSeconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - d.started).count();
    d.result["output"] = d.output;
    d.result.erase("bytes");
    d.result.erase("sha256");
    out.push_back(std::move(d.result));
}

std::vector<json> EngineClient::poll(int timeoutMs) {
    std::vector<json> out;
    if (!stream_) return out;
    // A result being downloaded is read to its end in this call, without waiting in poll() between reads
    // (the socket's own timeout, remote::kStalledReadSeconds, ends a stalled one).
    bool first = true;
    while (stream_ && (first || download_)) {
        if (first && !stream_->hasBufferedInput()) {
            pollfd p{stream_->fd(), POLLIN, 0};
            if (::poll(&p, 1, timeoutMs) <= 0) return out;
        }
        first = false;
        char chunk[65536];
        const long n = stream_->read(chunk, sizeof chunk);
        if (n == remote::Stream::kWouldBlock && download_) {
            auto lost = lose("a result download stalled for " + std::to_string(remote::kStalledReadSeconds) + " s");
            out.insert(out.end(), lost.begin(), lost.end());
            return out;
        }
        if (n == remote::Stream::kWouldBlock) continue;
        if (n <= 0) {
            auto lost = lose(describeExit());
            out.insert(out.end(), lost.begin(), lost.end());
            return out;
        }
        reader_.feed(chunk, size_t(n));
        try {
            while (true) {
                const auto e = reader_.next();
                if (e.kind == protocol::FrameReader::Event::None) break;
                if (e.kind == protocol::FrameReader::Event::Line) {
                    if (!e.data.empty()) onLine(std::string(e.data), out);
                } else if (e.kind == protocol::FrameReader::Event::BlobBytes) {
                    if (download_) {
                        download_->hash->update(e.data.data(), e.data.size());
                        download_->out->write(e.data.data(), std::streamsize(e.data.size()));
                    }
                } else if (download_) {
                    finishDownload(out);
                }
            }
        } catch (const protocol::FramingError& e) {
            auto lost = lose(std::string("it sent a malformed message (") + e.what() + ")");
            out.insert(out.end(), lost.begin(), lost.end());
            return out;
        } catch (const std::exception& e) { // an upload the engine asked for could not be sent
            auto lost = lose(e.what());
            out.insert(out.end(), lost.begin(), lost.end());
            return out;
        }
    }
    return out;
}

} // namespace tandem::model
