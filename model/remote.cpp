#include "model/remote.h"

#ifndef TANDEM_NO_TLS
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#endif

#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <filesystem>
#include <fstream>
#include <netdb.h>
#include <poll.h>
#include <sstream>
#include <stdexcept>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>
#include <vector>

namespace tandem::model::remote {

namespace fs = std::filesystem;

namespace {

std::string hexOf(const unsigned char* data, size_t size) {
    static const char* digits = "0123456789abcdef";
    std::string out;
    out.reserve(size * 2);
    for (size_t i = 0; i < size; ++i) {
        out += digits[data[i] >> 4];
        out += digits[data[i] & 15];
    }
    return out;
}

bool isHex(const std::string& s, size_t length) {
    return s.size() == length && s.find_first_not_of("0123456789abcdef") == std::string::npos;
}

std::string readText(const fs::path& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw std::runtime_error("cannot read " + path.string());
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
}

// Written to a temporary file 0600 and renamed: a crash never leaves half a key.
void writePrivate(const fs::path& path, const std::string& text) {
    const fs::path tmp = path.string() + ".tmp";
    const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) throw std::runtime_error("cannot write " + tmp.string() + ": " + std::strerror(errno));
    const bool ok = ::write(fd, text.data(), text.size()) == ssize_t(text.size()) && ::fsync(fd) == 0;
    ::close(fd);
    if (!ok || ::rename(tmp.c_str(), path.c_str()) != 0) {
        ::unlink(tmp.c_str());
        throw std::runtime_error("cannot write " + path.string() + ": " + std::strerror(errno));
    }
}

// $XDG_<kind>_HOME/tandem/<leaf>, or ~/<fallback>/tandem/<leaf> when the variable is unset.
std::string xdgDir(const char* variable, const char* fallback, const char* leaf) {
    if (const char* xdg = std::getenv(variable); xdg && *xdg) return std::string(xdg) + "/tandem/" + leaf;
    const char* home = std::getenv("HOME");
    return std::string(home && *home ? home : ".") + "/" + fallback + "/tandem/" + leaf;
}

#ifndef TANDEM_NO_TLS
// The first OpenSSL error on this thread, as words.
std::string sslError() {
    const unsigned long e = ERR_get_error();
    ERR_clear_error();
    if (e == 0) return "no further detail";
    char text[256];
    ERR_error_string_n(e, text, sizeof text);
    return text;
}

std::string fingerprintOf(X509* certificate) {
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int size = 0;
    if (!certificate || X509_digest(certificate, EVP_sha256(), digest, &size) != 1) return {};
    return hexOf(digest, size);
}

// A P-256 key and a self-signed certificate for it, valid ten years: the pin, not the dates, is what the
// client trusts.
void makeCertificate(const fs::path& certPath, const fs::path& keyPath) {
    EVP_PKEY* key = EVP_EC_gen("P-256");
    X509* cert = X509_new();
    if (!key || !cert) throw std::runtime_error("cannot make a key: " + sslError());
    unsigned char serial[16];
    RAND_bytes(serial, sizeof serial);
    serial[0] &= 0x7f;
    BIGNUM* bn = BN_bin2bn(serial, sizeof serial, nullptr);
    BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(cert));
    BN_free(bn);
    X509_set_version(cert, 2);
    X509_gmtime_adj(X509_getm_notBefore(cert), -3600);
    X509_gmtime_adj(X509_getm_notAfter(cert), 10L * 365 * 24 * 3600);
    X509_set_pubkey(cert, key);
    X509_NAME* name = X509_get_subject_name(cert);
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                               reinterpret_cast<const unsigned char*>("tandem-engine"), -1, -1, 0);
    X509_set_issuer_name(cert, name);
    const bool signedOk = X509_sign(cert, key, EVP_sha256()) > 0;
    BIO* keyBio = BIO_new(BIO_s_mem());
    BIO* certBio = BIO_new(BIO_s_mem());
    const bool written = signedOk &&
                         PEM_write_bio_PrivateKey(keyBio, key, nullptr, nullptr, 0, nullptr, nullptr) &&
                         PEM_write_bio_X509(certBio, cert);
    auto text = [](BIO* b) {
        char* data = nullptr;
        const long n = BIO_get_mem_data(b, &data);
        return std::string(data, size_t(n));
    };
    const std::string keyPem = written ? text(keyBio) : "", certPem = written ? text(certBio) : "";
    BIO_free(keyBio);
    BIO_free(certBio);
    X509_free(cert);
    EVP_PKEY_free(key);
    if (!written) throw std::runtime_error("cannot make the engine's certificate: " + sslError());
    writePrivate(keyPath, keyPem);
    writePrivate(certPath, certPem);
}

X509* readCertificate(const std::string& path) {
    FILE* f = std::fopen(path.c_str(), "rb");
    if (!f) return nullptr;
    X509* cert = PEM_read_X509(f, nullptr, nullptr, nullptr);
    std::fclose(f);
    return cert;
}

void setBlocking(int fd, bool blocking) {
    const int flags = ::fcntl(fd, F_GETFL);
    ::fcntl(fd, F_SETFL, blocking ? flags & ~O_NONBLOCK : flags | O_NONBLOCK);
}
#endif

} // namespace

std::string defaultIdentityDir() {
    return xdgDir("XDG_CONFIG_HOME", ".config", "engine");
}
std::string defaultSpoolDir() {
    return xdgDir("XDG_CACHE_HOME", ".cache", "engine-spool");
}

std::string writePairingFile(const Identity& identity, const std::string& line) {
    const fs::path path = fs::path(identity.certificatePath).parent_path() / "pairing";
    writePrivate(path, line + "\n");
    return path.string();
}

EngineAddress readPairingFile(const std::string& path) {
    try {
        return parsePairingLine(readText(path));
    } catch (const std::invalid_argument& e) {
        throw std::invalid_argument(
            path + ": " + e.what() +
            " (the file holds the line tandem-engine printed, also kept in its configuration "
            "folder as 'pairing')");
    }
}

#ifndef TANDEM_NO_TLS
Identity loadOrCreateIdentity(const std::string& dirText) {
    const fs::path dir(dirText);
    std::error_code ec;
    fs::create_directories(dir, ec);
    if (ec) throw std::runtime_error("cannot create " + dir.string() + ": " + ec.message());
    ::chmod(dir.c_str(), 0700);
    Identity id;
    id.certificatePath = (dir / "engine-cert.pem").string();
    id.keyPath = (dir / "engine-key.pem").string();
    const fs::path tokenPath = dir / "token";
    const bool haveCert = fs::exists(id.certificatePath), haveKey = fs::exists(id.keyPath);
    if (haveCert != haveKey)
        throw std::runtime_error("only one of " + id.certificatePath + " and " + id.keyPath +
                                 " exists; remove it to have a new pair made");
    if (!haveCert) makeCertificate(id.certificatePath, id.keyPath);
    if (!fs::exists(tokenPath)) {
        unsigned char random[32];
        if (RAND_bytes(random, sizeof random) != 1)
            throw std::runtime_error("no random numbers: " + sslError());
        writePrivate(tokenPath, hexOf(random, sizeof random) + "\n");
    }
    id.token = readText(tokenPath);
    while (!id.token.empty() &&
           (id.token.back() == '\n' || id.token.back() == '\r' || id.token.back() == ' '))
        id.token.pop_back();
    if (id.token.size() < 32)
        throw std::runtime_error(tokenPath.string() + " holds no usable token (32 characters at least)");
    X509* cert = readCertificate(id.certificatePath);
    if (!cert)
        throw std::runtime_error("cannot read the certificate " + id.certificatePath + ": " + sslError());
    id.fingerprint = fingerprintOf(cert);
    X509_free(cert);
    return id;
}

#endif

std::string pairingLine(const EngineAddress& a) {
    const bool v6 = a.host.find(':') != std::string::npos;
    return (v6 ? "[" + a.host + "]" : a.host) + ":" + std::to_string(a.port) + " token=" + a.token +
           " sha256=" + a.fingerprint;
}

bool parseHostPort(const std::string& text, std::string& host, int& port) {
    size_t colon;
    if (!text.empty() && text.front() == '[') {
        const size_t close = text.find(']');
        if (close == std::string::npos || close + 1 >= text.size() || text[close + 1] != ':') return false;
        host = text.substr(1, close - 1);
        colon = close + 1;
    } else {
        colon = text.rfind(':');
        if (colon == std::string::npos) return false;
        host = text.substr(0, colon);
    }
    const std::string digits = text.substr(colon + 1);
    if (host.empty() || digits.empty() || digits.size() > 5 ||
        digits.find_first_not_of("0123456789") != std::string::npos)
        return false;
    port = std::stoi(digits);
    return port >= 0 && port <= 65535;
}

EngineAddress parsePairingLine(const std::string& line) {
    EngineAddress a;
    std::istringstream words(line);
    std::string word;
    while (words >> word) {
        if (word.rfind("token=", 0) == 0)
            a.token = word.substr(6);
        else if (word.rfind("sha256=", 0) == 0)
            a.fingerprint = word.substr(7);
        else if (!parseHostPort(word, a.host, a.port))
            throw std::invalid_argument("'" + word + "' is neither HOST:PORT, token=… nor sha256=…");
    }
    for (char& c : a.fingerprint)
        c = char(std::tolower(static_cast<unsigned char>(c)));
    std::string plain;
    for (char c : a.fingerprint)
        if (c != ':') plain += c; // "AB:CD:…" as openssl prints it is accepted too
    a.fingerprint = plain;
    if (a.token.empty())
        throw std::invalid_argument(
            "the engine line has no token=… (copy the whole line the engine printed)");
    if (!isHex(a.fingerprint, 64))
        throw std::invalid_argument(
            "the engine line needs sha256= and the certificate's 64-digit fingerprint");
    return a;
}

#ifndef TANDEM_NO_TLS
bool tokensEqual(const std::string& given, const std::string& expected) {
    // The length of a token is no secret (it is always 64); its contents are compared in constant time.
    if (given.size() != expected.size()) return false;
    return CRYPTO_memcmp(given.data(), expected.data(), given.size()) == 0;
}

Sha256::Sha256() : context_(EVP_MD_CTX_new()) {
    if (!context_ || EVP_DigestInit_ex(static_cast<EVP_MD_CTX*>(context_), EVP_sha256(), nullptr) != 1)
        throw std::runtime_error("SHA-256 is not available: " + sslError());
}
Sha256::~Sha256() {
    EVP_MD_CTX_free(static_cast<EVP_MD_CTX*>(context_));
}
void Sha256::update(const void* data, size_t size) {
    EVP_DigestUpdate(static_cast<EVP_MD_CTX*>(context_), data, size);
}
std::string Sha256::hex() {
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int size = 0;
    EVP_DigestFinal_ex(static_cast<EVP_MD_CTX*>(context_), digest, &size);
    return hexOf(digest, size);
}

std::string sha256File(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw std::runtime_error("cannot read " + path);
    Sha256 sha;
    std::vector<char> chunk(1 << 20);
    while (in) {
        in.read(chunk.data(), std::streamsize(chunk.size()));
        if (in.gcount() > 0) sha.update(chunk.data(), size_t(in.gcount()));
    }
    if (in.bad()) throw std::runtime_error("cannot read " + path);
    return sha.hex();
}

#endif

Stream::~Stream() {
    if (fd_ >= 0) ::close(fd_);
}

namespace {

class PlainStream : public Stream {
public:
    explicit PlainStream(int fd) : Stream(fd) {}
    long read(void* data, size_t size) override {
        while (true) {
            const ssize_t n = ::recv(fd_, data, size, 0);
            if (n >= 0) return long(n);
            if (errno == EINTR) continue;
            if (errno == EAGAIN || errno == EWOULDBLOCK) return kWouldBlock;
            error_ = std::strerror(errno);
            return kFailed;
        }
    }
    long write(const void* data, size_t size) override {
        while (true) {
            const ssize_t n = ::send(fd_, data, size, MSG_NOSIGNAL);
            if (n >= 0) return long(n);
            if (errno == EINTR) continue;
            if (errno == EAGAIN || errno == EWOULDBLOCK) return kWouldBlock;
            error_ = std::strerror(errno);
            return kFailed;
        }
    }
};

#ifndef TANDEM_NO_TLS
SSL_CTX* newContext(bool server) {
    SSL_CTX* ctx = SSL_CTX_new(server ? TLS_server_method() : TLS_client_method());
    if (!ctx) throw std::runtime_error("cannot set up TLS: " + sslError());
    SSL_CTX_set_min_proto_version(ctx, TLS1_3_VERSION);
    SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
    // A peer that goes without a TLS goodbye has simply left (as a killed editor does), not attacked.
    SSL_CTX_set_options(ctx, SSL_OP_NO_RENEGOTIATION | SSL_OP_IGNORE_UNEXPECTED_EOF);
    // Sessions are not resumed: every connection shows the certificate again, so every one is pinned, and
    // a thousand short connections leave nothing cached behind.
    SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
    if (server) SSL_CTX_set_num_tickets(ctx, 0);
    return ctx;
}

#endif

} // namespace

std::unique_ptr<Stream> plainStream(int fd) {
    return std::make_unique<PlainStream>(fd);
}

#ifndef TANDEM_NO_TLS
TlsServer::TlsServer(const Identity& identity) {
    SSL_CTX* ctx = newContext(true);
    context_ = ctx;
    if (SSL_CTX_use_certificate_file(ctx, identity.certificatePath.c_str(), SSL_FILETYPE_PEM) != 1 ||
        SSL_CTX_use_PrivateKey_file(ctx, identity.keyPath.c_str(), SSL_FILETYPE_PEM) != 1 ||
        SSL_CTX_check_private_key(ctx) != 1) {
        const std::string why = sslError();
        SSL_CTX_free(ctx);
        throw std::runtime_error("the engine's certificate or key is unusable (" + identity.certificatePath +
                                 "): " + why);
    }
}

TlsServer::~TlsServer() {
    SSL_CTX_free(static_cast<SSL_CTX*>(context_));
}

std::unique_ptr<TlsStream> TlsServer::wrap(int fd) {
    SSL* ssl = SSL_new(static_cast<SSL_CTX*>(context_));
    if (!ssl) {
        ::close(fd);
        throw std::runtime_error("cannot start TLS: " + sslError());
    }
    SSL_set_fd(ssl, fd);
    SSL_set_accept_state(ssl);
    return std::unique_ptr<TlsStream>(new TlsStream(fd, ssl, nullptr));
}

TlsStream::~TlsStream() {
    SSL* ssl = static_cast<SSL*>(ssl_);
    if (SSL_is_init_finished(ssl))
        SSL_shutdown(ssl); // the goodbye, once; a peer that has gone is not waited for
    SSL_free(ssl);
    if (ownContext_) SSL_CTX_free(static_cast<SSL_CTX*>(ownContext_));
    ERR_clear_error();
}

long TlsStream::result(int n, bool reading) {
    wantsWrite_ = false;
    if (n > 0) return n;
    const int e = SSL_get_error(static_cast<SSL*>(ssl_), n);
    switch (e) {
    case SSL_ERROR_WANT_READ:
        return kWouldBlock;
    case SSL_ERROR_WANT_WRITE:
        wantsWrite_ = true;
        return kWouldBlock;
    case SSL_ERROR_ZERO_RETURN:
        return 0;
    case SSL_ERROR_SYSCALL:
        if (errno == EAGAIN || errno == EWOULDBLOCK) return kWouldBlock;
        if (reading && (errno == 0 || errno == ECONNRESET)) return 0; // the peer just went away
        error_ = errno ? std::strerror(errno) : "the connection closed mid-record";
        ERR_clear_error();
        return kFailed;
    default:
        error_ = "TLS: " + sslError();
        return kFailed;
    }
}

long TlsStream::read(void* data, size_t size) {
    errno = 0;
    return result(SSL_read(static_cast<SSL*>(ssl_), data, int(std::min<size_t>(size, 1 << 30))), true);
}

long TlsStream::write(const void* data, size_t size) {
    errno = 0;
    return result(SSL_write(static_cast<SSL*>(ssl_), data, int(std::min<size_t>(size, 1 << 30))), false);
}

// With read-ahead (the client's blocking stream) whole records may wait in OpenSSL, undecrypted, that poll()
// would never report: SSL_has_pending sees them. Without it (the engine's non-blocking streams) only the
// current record's decrypted bytes can wait — and SSL_has_pending would also count half a record, which a
// non-blocking loop must wait for in poll(), not spin on.
bool TlsStream::hasBufferedInput() const {
    SSL* ssl = static_cast<SSL*>(ssl_);
    return readAhead_ ? SSL_has_pending(ssl) == 1 : SSL_pending(ssl) > 0;
}

int TlsStream::acceptStep() {
    errno = 0;
    const int n = SSL_accept(static_cast<SSL*>(ssl_));
    if (n == 1) return 1;
    const long r = result(n, false);
    if (r == kWouldBlock) return 0;
    if (error_.empty()) error_ = "the client closed the connection during the TLS handshake";
    return -1;
}

std::string TlsStream::peerFingerprint() const {
    X509* cert = SSL_get1_peer_certificate(static_cast<SSL*>(ssl_));
    const std::string fp = fingerprintOf(cert);
    X509_free(cert);
    return fp;
}

std::unique_ptr<TlsStream> connectTls(const EngineAddress& address, double timeoutSeconds) {
    // OpenSSL writes with write(2): an engine that vanished would raise SIGPIPE and end the editor. A
    // program that has not chosen otherwise gets the failed write as an error instead.
    struct sigaction current {};
    if (::sigaction(SIGPIPE, nullptr, &current) == 0 && current.sa_handler == SIG_DFL)
        std::signal(SIGPIPE, SIG_IGN);
    const std::string where = address.host + ":" + std::to_string(address.port);
    addrinfo hints{};
    hints.ai_socktype = SOCK_STREAM;
    addrinfo* found = nullptr;
    if (const int e =
            ::getaddrinfo(address.host.c_str(), std::to_string(address.port).c_str(), &hints, &found);
        e != 0)
        throw std::runtime_error("cannot find the engine's host " + address.host + ": " + gai_strerror(e));
    int fd = -1;
    std::string why = "no address";
    const int timeoutMs = int(timeoutSeconds * 1000);
    for (addrinfo* a = found; a && fd < 0; a = a->ai_next) {
        fd = ::socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK, a->ai_protocol);
        if (fd < 0) continue;
        int rc = ::connect(fd, a->ai_addr, a->ai_addrlen);
        if (rc != 0 && errno == EINPROGRESS) {
            pollfd p{fd, POLLOUT, 0};
            rc = ::poll(&p, 1, timeoutMs) == 1 ? 0 : -1;
            int err = rc == 0 ? 0 : ETIMEDOUT;
            socklen_t len = sizeof err;
            if (rc == 0) ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len);
            errno = err;
            rc = err == 0 ? 0 : -1;
        }
        if (rc != 0) {
            why = std::strerror(errno);
            ::close(fd);
            fd = -1;
        }
    }
    ::freeaddrinfo(found);
    if (fd < 0) throw std::runtime_error("cannot reach the engine at " + where + ": " + why);
    setBlocking(fd, true);
    timeval tv{long(timeoutSeconds), long((timeoutSeconds - long(timeoutSeconds)) * 1e6)};
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    SSL_CTX* ctx = nullptr;
    try {
        ctx = newContext(false);
    } catch (...) {
        ::close(fd);
        throw;
    }
    SSL* ssl = SSL_new(ctx);
    SSL_set_fd(ssl, fd);
    std::unique_ptr<TlsStream> stream(new TlsStream(fd, ssl, ctx));
    errno = 0;
    if (SSL_connect(ssl) != 1) {
        const int e = SSL_get_error(ssl, -1);
        const std::string detail = e == SSL_ERROR_SYSCALL && (errno == EAGAIN || errno == EWOULDBLOCK)
                                       ? "no answer within " + std::to_string(int(timeoutSeconds)) + " s"
                                       : sslError();
        throw std::runtime_error("the engine at " + where +
                                 " did not complete a TLS handshake (is it a Tandem engine "
                                 "listening with --listen?): " +
                                 detail);
    }
    const std::string fingerprint = stream->peerFingerprint();
    if (fingerprint != address.fingerprint)
        throw std::runtime_error(
            "the engine at " + where + " shows certificate sha256=" + fingerprint +
            ", not the paired sha256=" + address.fingerprint +
            "; nothing was sent. If the engine was set up again, paste its new line; otherwise "
            "something between here and it is not the engine");
    // From here on a read waits at most kStalledReadSeconds: the client waits for messages with poll(), and
    // reads without it only while a result streams in, where this long a silence means the engine is gone.
    timeval stall{kStalledReadSeconds, 0};
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &stall, sizeof stall);
    SSL_set_read_ahead(ssl, 1); // fewer system calls for a large download
    stream->readAhead_ = true;
    return stream;
}

#else // TANDEM_NO_TLS: an engine-only build without OpenSSL serves its local socket only.

namespace {
[[noreturn]] void noTls() {
    throw std::runtime_error(
        "this build of Tandem has no TLS (OpenSSL's headers were missing when it was built): "
        "serve the local socket and reach it through an SSH tunnel (docs/deploy.md)");
}
} // namespace

Identity loadOrCreateIdentity(const std::string&) {
    noTls();
}
bool tokensEqual(const std::string& given, const std::string& expected) {
    if (given.size() != expected.size()) return false;
    volatile unsigned char diff = 0;
    for (size_t i = 0; i < given.size(); ++i)
        diff = diff | (given[i] ^ expected[i]);
    return diff == 0;
}
Sha256::Sha256() : context_(nullptr) {
    noTls();
}
Sha256::~Sha256() = default;
void Sha256::update(const void*, size_t) {
    noTls();
}
std::string Sha256::hex() {
    noTls();
}
std::string sha256File(const std::string&) {
    noTls();
}
TlsServer::TlsServer(const Identity&) : context_(nullptr) {
    noTls();
}
TlsServer::~TlsServer() = default;
std::unique_ptr<TlsStream> TlsServer::wrap(int) {
    noTls();
}
TlsStream::~TlsStream() = default;
long TlsStream::read(void*, size_t) {
    return kFailed;
}
long TlsStream::write(const void*, size_t) {
    return kFailed;
}
bool TlsStream::hasBufferedInput() const {
    return false;
}
int TlsStream::acceptStep() {
    return -1;
}
std::string TlsStream::peerFingerprint() const {
    return {};
}
std::unique_ptr<TlsStream> connectTls(const EngineAddress&, double) {
    noTls();
}

#endif

} // namespace tandem::model::remote
