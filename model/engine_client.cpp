#include "model/engine_client.h"

#include "model/protocol.h"

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
        c->fd_ = connectSocket(l.socketPath);
        if (c->fd_ >= 0) return c;
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    throw std::runtime_error("the engine did not become ready within " + std::to_string(int(l.readySeconds)) + " s");
}

std::unique_ptr<EngineClient> EngineClient::connectTo(const std::string& socketPath) {
    std::unique_ptr<EngineClient> c(new EngineClient());
    c->fd_ = connectSocket(socketPath);
    if (c->fd_ < 0) throw std::runtime_error("no engine is listening on " + socketPath);
    return c;
}

EngineClient::~EngineClient() {
    if (fd_ >= 0) {
        if (pid_ > 0) {
            try {
                sendLine({{"type", "shutdown"}});
            } catch (...) {
            }
        }
        ::close(fd_);
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

void EngineClient::sendLine(const json& message) {
    if (fd_ < 0) throw std::runtime_error("the engine is not running");
    const std::string line = message.dump() + "\n";
    size_t done = 0;
    while (done < line.size()) {
        const ssize_t n = ::send(fd_, line.data() + done, line.size() - done, MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) throw std::runtime_error("lost the connection to the engine");
        done += size_t(n);
    }
}

std::string EngineClient::submit(const ShotRequest& request, const std::string& input, const std::string& mask,
                                 const std::string& output, const std::vector<std::string>& references) {
    const std::string id = "job-" + std::to_string(nextJob_++);
    sendLine({{"type", "submit"}, {"job", id}, {"request", protocol::requestToJson(request)}, {"input", input},
              {"mask", mask}, {"output", output}, {"references", references}});
    unfinished_.insert(id);
    return id;
}

void EngineClient::cancel(const std::string& job) { sendLine({{"type", "cancel"}, {"job", job}}); }
void EngineClient::requestStatus() { sendLine({{"type", "status"}}); }

std::string EngineClient::describeExit() {
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
    ::close(fd_);
    fd_ = -1;
    const std::string reason = "the engine process ended unexpectedly: " + why;
    std::vector<json> out;
    for (const auto& job : unfinished_) out.push_back({{"type", "error"}, {"job", job}, {"message", reason}});
    unfinished_.clear();
    out.push_back({{"type", "engine_lost"}, {"message", reason}});
    return out;
}

std::vector<json> EngineClient::poll(int timeoutMs) {
    std::vector<json> out;
    if (fd_ < 0) return out;
    pollfd p{fd_, POLLIN, 0};
    if (::poll(&p, 1, timeoutMs) <= 0) return out;
    char chunk[65536];
    const ssize_t n = ::recv(fd_, chunk, sizeof chunk, 0);
    if (n <= 0) return lose(describeExit());
    buffer_.append(chunk, size_t(n));
    size_t nl;
    while ((nl = buffer_.find('\n')) != std::string::npos) {
        const std::string line = buffer_.substr(0, nl);
        buffer_.erase(0, nl + 1);
        json msg;
        try {
            msg = protocol::parseLine(line);
        } catch (const std::invalid_argument& e) {
            msg = {{"type", "error"}, {"message", std::string("unreadable message from the engine: ") + e.what()}};
        }
        const std::string type = msg["type"];
        if (type == "result" || type == "cancelled" || (type == "error" && msg.contains("job")))
            unfinished_.erase(msg.value("job", std::string()));
        out.push_back(std::move(msg));
    }
    return out;
}

} // namespace tandem::model
