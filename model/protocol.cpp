#include "model/protocol.h"

#include "model/json_number.h"

#include <algorithm>
#include <stdexcept>
#include <type_traits>

namespace tandem::model::protocol {

using nlohmann::json;

json requestToJson(const ShotRequest& r) {
    json j{{"task", taskName(r.task)},
                {"prompt", r.prompt},
                {"negative_prompt", r.negative_prompt},
                {"seconds", r.seconds},
                {"seed", r.seed},
                {"steps", r.steps},
                {"shift", r.shift},
                {"solver", r.solver == Solver::Heun ? "heun" : "euler"},
                {"mask_first_frame", r.mask_first_frame},
                {"mask_last_frame", r.mask_last_frame},
                {"window_start", r.window_start},
                {"window_end", r.window_end},
                {"regenerate_video", r.regenerate_video},
                {"regenerate_audio", r.regenerate_audio},
                {"backward", r.backward},
                {"context_seconds", r.context_seconds},
                {"strength", r.strength}};
    // Unset guidance travels as absent, so the engine applies its model's defaults.
    if (r.video_guidance) j["video_guidance"] = *r.video_guidance;
    if (r.audio_guidance) j["audio_guidance"] = *r.audio_guidance;
    if (r.guidance_noise_floor) j["guidance_noise_floor"] = *r.guidance_noise_floor;
    return j;
}

namespace {

template <typename T> void field(const json& j, const char* key, T& out) {
    auto it = j.find(key);
    if (it == j.end()) return;
    if constexpr (std::is_integral_v<T> && !std::is_same_v<T, bool>) {
        if (!it->is_number_integer()) throw std::invalid_argument(std::string("request field '") + key + "' must be a whole number");
        if (!holdsWholeNumber<T>(*it)) throw std::invalid_argument(std::string("request field '") + key + "' is out of range");
    }
    try {
        out = it->get<T>();
    } catch (const json::exception&) {
        throw std::invalid_argument(std::string("request field '") + key + "' has the wrong type");
    }
}

void field(const json& j, const char* key, std::optional<double>& out) {
    if (!j.contains(key)) return;
    double value = 0;
    field(j, key, value);
    out = value;
}

} // namespace

ShotRequest requestFromJson(const json& j) {
    if (!j.is_object()) throw std::invalid_argument("request must be an object");
    ShotRequest r;
    std::string task = "generate", solver = "euler";
    field(j, "task", task);
    if (!parseTask(task, r.task)) throw std::invalid_argument("unknown task '" + task + "'");
    field(j, "prompt", r.prompt);
    field(j, "negative_prompt", r.negative_prompt);
    field(j, "seconds", r.seconds);
    field(j, "seed", r.seed);
    field(j, "steps", r.steps);
    field(j, "shift", r.shift);
    field(j, "solver", solver);
    if (solver != "euler" && solver != "heun") throw std::invalid_argument("unknown solver '" + solver + "'");
    r.solver = solver == "heun" ? Solver::Heun : Solver::Euler;
    field(j, "video_guidance", r.video_guidance);
    field(j, "audio_guidance", r.audio_guidance);
    field(j, "guidance_noise_floor", r.guidance_noise_floor);
    field(j, "mask_first_frame", r.mask_first_frame);
    field(j, "mask_last_frame", r.mask_last_frame);
    field(j, "window_start", r.window_start);
    field(j, "window_end", r.window_end);
    field(j, "regenerate_video", r.regenerate_video);
    field(j, "regenerate_audio", r.regenerate_audio);
    field(j, "backward", r.backward);
    field(j, "context_seconds", r.context_seconds);
    field(j, "strength", r.strength);
    return r;
}

json parseLine(const std::string& line) {
    json j;
    try {
        j = json::parse(line);
    } catch (const json::parse_error& e) {
        throw std::invalid_argument(std::string("not JSON: ") + e.what());
    }
    if (!j.is_object()) throw std::invalid_argument("a message must be a JSON object");
    auto t = j.find("type");
    if (t == j.end() || !t->is_string()) throw std::invalid_argument("a message needs a string \"type\"");
    return j;
}

std::optional<FileRef> fileRefFromJson(const json& j, uint64_t limit, const char* what) {
    if (j.is_null() || (j.is_string() && j.get<std::string>().empty())) return std::nullopt;
    const std::string name = std::string("\"") + what + "\"";
    if (!j.is_object() || !j.contains("sha256") || !j["sha256"].is_string() || !j.contains("bytes") ||
        !j["bytes"].is_number_unsigned())
        throw std::invalid_argument(name + " must be {\"sha256\": …, \"bytes\": …} over TLS");
    FileRef ref{j["sha256"].get<std::string>(), j["bytes"].get<uint64_t>()};
    if (ref.sha256.size() != 64 || ref.sha256.find_first_not_of("0123456789abcdef") != std::string::npos)
        throw std::invalid_argument(name + " has a malformed sha256");
    if (ref.bytes > limit)
        throw std::invalid_argument(name + " is " + std::to_string(ref.bytes) + " bytes; this engine takes at most " +
                                    std::to_string(limit));
    return ref;
}

std::string frameHeader(uint32_t length) {
    const char bytes[4] = {char(length >> 24), char(length >> 16), char(length >> 8), char(length)};
    return std::string(bytes, 4);
}

size_t readFileFrame(std::istream& in, std::string& frame) {
    frame.resize(4 + kMaxFrameBytes);
    in.read(frame.data() + 4, std::streamsize(kMaxFrameBytes));
    const size_t n = size_t(std::max<std::streamsize>(in.gcount(), 0));
    const std::string header = frameHeader(uint32_t(n));
    std::copy(header.begin(), header.end(), frame.begin());
    frame.resize(4 + n);
    return n;
}

void FrameReader::feed(const char* data, size_t size) {
    if (pos_ > 0 && pos_ >= buffer_.size() / 2) { // what was handed out is dropped before the buffer grows
        buffer_.erase(0, pos_);
        pos_ = 0;
    }
    buffer_.append(data, size);
}

void FrameReader::beginBlob(uint64_t announcedBytes) {
    inBlob_ = true;
    announced_ = announcedBytes;
    received_ = 0;
}

FrameReader::Event FrameReader::next() {
    const size_t available = buffer_.size() - pos_;
    if (!inBlob_) {
        const size_t nl = buffer_.find('\n', pos_);
        if (nl == std::string::npos) {
            if (available > kMaxLineBytes) throw FramingError("a message is longer than the protocol's limit");
            return {};
        }
        if (nl - pos_ > kMaxLineBytes) throw FramingError("a message is longer than the protocol's limit");
        Event e{Event::Line, std::string_view(buffer_).substr(pos_, nl - pos_)};
        pos_ = nl + 1;
        return e;
    }
    if (available < 4) return {};
    const auto* b = reinterpret_cast<const unsigned char*>(buffer_.data() + pos_);
    const uint32_t length = uint32_t(b[0]) << 24 | uint32_t(b[1]) << 16 | uint32_t(b[2]) << 8 | uint32_t(b[3]);
    if (length == 0) {
        if (received_ != announced_)
            throw FramingError("a blob ended after " + std::to_string(received_) + " of its announced " +
                               std::to_string(announced_) + " bytes");
        pos_ += 4;
        inBlob_ = false;
        return {Event::BlobEnd, {}};
    }
    if (length > kMaxFrameBytes) throw FramingError("a blob frame is larger than the protocol's limit");
    if (length > announced_ - received_)
        throw FramingError("a blob is larger than its announced " + std::to_string(announced_) + " bytes");
    if (available < 4 + size_t(length)) return {};
    Event e{Event::BlobBytes, std::string_view(buffer_).substr(pos_ + 4, length)};
    pos_ += 4 + length;
    received_ += length;
    return e;
}

} // namespace tandem::model::protocol
