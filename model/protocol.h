// Design note: the engine protocol — JSON lines (one object per line, UTF-8, '\n'-terminated), over a local
// Unix socket or over TLS from another machine (docs/engine-protocol.md). Locally, media never cross the
// socket: requests and results name lossless shot files (.safetensors). Remotely, the same files travel as
// blobs: a JSON line announces a blob's size and SHA-256, then binary frames follow (a 4-byte big-endian
// length and that many bytes, at most kMaxFrameBytes; a zero length ends the blob), and the reader checks
// every frame against what was announced. This header turns requests into JSON and back and splits a byte
// stream into lines and frames; it needs no torch, so clients (the CLI, the editor) use it without the engine.
#pragma once

#include "model/engine.h"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <istream>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

namespace tandem::model::protocol {

inline constexpr int kVersion = 1;
inline constexpr size_t kMaxLineBytes = 1 << 20; // a request line longer than this is refused

// The request without its media (which travels as files): task, prompt, seed, steps, guidance, …
nlohmann::json requestToJson(const ShotRequest& r);
// Fills everything but `source` and `paint_mask`. Throws std::invalid_argument naming the bad field.
ShotRequest requestFromJson(const nlohmann::json& j);

// Parses one protocol line; throws std::invalid_argument with a reason for anything that is not an object
// with a string "type".
nlohmann::json parseLine(const std::string& line);

// A file named by content in a remote submit: {"sha256": 64 lower-case hex digits, "bytes": N}. null or ""
// means none. Throws std::invalid_argument naming `what` when malformed or larger than `limit`.
struct FileRef {
    std::string sha256;
    uint64_t bytes = 0;
};
std::optional<FileRef> fileRefFromJson(const nlohmann::json& j, uint64_t limit, const char* what);

inline constexpr size_t kMaxFrameBytes = 1 << 20; // one binary frame of a blob
std::string frameHeader(uint32_t length);         // the 4-byte big-endian length before a frame's bytes
// The next frame of a file being sent: up to kMaxFrameBytes read from `in` straight behind the length, into
// `frame` (reused between calls). Returns the bytes read; 0 = the file has ended and `frame` is the end frame.
size_t readFileFrame(std::istream& in, std::string& frame);

// A violation of the framing: the connection that sent it is closed with this message.
struct FramingError : std::runtime_error {
    using std::runtime_error::runtime_error;
};

// Splits what arrives on a connection into JSON lines and, after beginBlob(), a blob's frames. Every frame is
// checked as it arrives: longer than kMaxFrameBytes, more bytes than announced, or an end before all of them
// throws FramingError — so a blob can never grow past what its announcement was checked against.
class FrameReader {
public:
    struct Event {
        enum Kind { None, Line, BlobBytes, BlobEnd } kind = None;
        std::string_view data; // the line (without '\n') or the frame's bytes; valid until the next feed()
    };
    void feed(const char* data, size_t size);
    Event next(); // None: more bytes are needed
    void beginBlob(uint64_t announcedBytes);
    bool inBlob() const { return inBlob_; }
    uint64_t blobReceived() const { return received_; }

private:
    std::string buffer_;
    size_t pos_ = 0;
    bool inBlob_ = false;
    uint64_t announced_ = 0, received_ = 0;
};

} // namespace tandem::model::protocol
