// Design note: what the engine needs to be reached from another machine, kept apart from the server and
// the client so both use one implementation. A byte stream is either a local Unix socket or TLS over TCP
// (OpenSSL — never a cipher of our own). The engine proves who it is with a self-signed certificate made on
// its first start; the editor pins that certificate's SHA-256 fingerprint, so no certificate authority is
// needed and a changed certificate is refused, never silently trusted. The client proves it may use the
// engine with a random token; both live 0600 in the engine's configuration folder and reach the user as
// one "pairing line" (HOST:PORT token=… sha256=…). TLS 1.3 only: it has no renegotiation to abuse.
#pragma once

#include <memory>
#include <string>

namespace tandem::model::remote {

// Where the engine keeps its certificate, key and token: $XDG_CONFIG_HOME/tandem/engine (~/.config/…);
// and the uploads it holds: $XDG_CACHE_HOME/tandem/engine-spool (~/.cache/…).
std::string defaultIdentityDir();
std::string defaultSpoolDir();

struct Identity {
    std::string certificatePath, keyPath;
    std::string token;       // 64 hex digits (32 random bytes)
    std::string fingerprint; // SHA-256 of the certificate (DER), 64 hex digits
};

// Reads the identity in `dir`, making it first if there is none (folder 0700, files 0600, written
// atomically). Throws std::runtime_error with the reason (unreadable or half-present files are not
// replaced: the user may have put them there).
Identity loadOrCreateIdentity(const std::string& dir);

// The engine as a client knows it.
struct EngineAddress {
    std::string host;
    int port = 0;
    std::string token;
    std::string fingerprint;
};
std::string pairingLine(const EngineAddress& address); // "HOST:PORT token=HEX sha256=HEX"
// Accepts the pairing line, or its token= and sha256= parts alone with the address given separately.
// Throws std::invalid_argument naming what is missing or malformed.
EngineAddress parsePairingLine(const std::string& line);
// The engine line kept beside the identity ("pairing", 0600, written atomically); returns its path.
std::string writePairingFile(const Identity& identity, const std::string& line);
// A file holding an engine line (the engine's "pairing", or a copy). Throws std::runtime_error if
// unreadable, std::invalid_argument (naming the file) if it holds no usable line.
EngineAddress readPairingFile(const std::string& path);
// "HOST:PORT" (IPv6 as "[::1]:PORT"); false if malformed or the port is out of range.
bool parseHostPort(const std::string& text, std::string& host, int& port);

// Compares in time that does not depend on where the strings first differ (a token must not leak through
// timing).
bool tokensEqual(const std::string& given, const std::string& expected);

// Incremental SHA-256, for content hashes of uploads and downloads.
class Sha256 {
public:
    Sha256();
    ~Sha256();
    Sha256(const Sha256&) = delete;
    Sha256& operator=(const Sha256&) = delete;
    void update(const void* data, size_t size);
    std::string hex(); // finishes: the digest as 64 lower-case hex digits
private:
    void* context_;
};
std::string sha256File(const std::string& path); // throws std::runtime_error if unreadable

// A connected byte stream. read/write return bytes moved (> 0), 0 when the peer closed, kWouldBlock when a
// non-blocking stream cannot move bytes now, or kFailed (error() says why).
class Stream {
public:
    static constexpr long kWouldBlock = -1;
    static constexpr long kFailed = -2;
    virtual ~Stream();
    virtual long read(void* data, size_t size) = 0;
    virtual long write(const void* data, size_t size) = 0;
    virtual bool hasBufferedInput() const { return false; } // bytes already decrypted: read without waiting
    virtual bool wantsWritable() const { return false; }    // the last call waits for the socket to drain
    int fd() const { return fd_; }
    const std::string& error() const { return error_; }

protected:
    explicit Stream(int fd) : fd_(fd) {}
    int fd_;
    std::string error_;
};

// Takes ownership of the descriptor (closed with the stream).
std::unique_ptr<Stream> plainStream(int fd);

// TLS on the engine's side: one per listening engine, then one handshake per connection.
class TlsStream;
class TlsServer {
public:
    explicit TlsServer(const Identity& identity); // throws std::runtime_error
    ~TlsServer();
    TlsServer(const TlsServer&) = delete;
    TlsServer& operator=(const TlsServer&) = delete;
    std::unique_ptr<TlsStream> wrap(int fd); // a non-blocking accepted socket; the handshake comes next
private:
    void* context_;
};

class TlsStream : public Stream {
public:
    ~TlsStream() override;
    long read(void* data, size_t size) override;
    long write(const void* data, size_t size) override;
    bool hasBufferedInput() const override;
    bool wantsWritable() const override { return wantsWrite_; }
    // Engine side, non-blocking: 1 done, 0 not yet (wait for the socket), -1 failed (error() says why).
    int acceptStep();
    std::string peerFingerprint() const; // "" when the peer showed no certificate

private:
    friend class TlsServer;
    friend std::unique_ptr<TlsStream> connectTls(const EngineAddress&, double);
    TlsStream(int fd, void* ssl, void* ownContext) : Stream(fd), ssl_(ssl), ownContext_(ownContext) {}
    long result(int n, bool reading);
    void* ssl_;
    void* ownContext_; // the client's context (the engine's is shared)
    bool wantsWrite_ = false;
    bool readAhead_ = false;
};

// How long a client's read may wait once connected (a result download that stalls this long is lost).
inline constexpr int kStalledReadSeconds = 30;

// Client side: connects (blocking, with `timeoutSeconds` for the connection and the handshake), completes
// TLS and checks the engine's certificate against the pinned fingerprint before anything is sent. Throws
// std::runtime_error saying which step failed — refused, timed out, not TLS, or a fingerprint that is not
// the paired one (both shown).
std::unique_ptr<TlsStream> connectTls(const EngineAddress& address, double timeoutSeconds);

} // namespace tandem::model::remote
