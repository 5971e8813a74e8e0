// Fuzz target: what a remote client can send the engine — a byte stream split into JSON lines and blob
// frames (protocol::FrameReader), in pieces of any size, each line parsed as the engine parses it: the
// message, a submit's request and its content-named files, a blob announcement that switches to frames.
#include "model/protocol.h"

#include <exception>
#include <string>

namespace protocol = tandem::model::protocol;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    if (size < 1) return 0;
    // The first byte picks how the stream is cut into reads, as TCP would cut it anywhere.
    const size_t piece = size_t(data[0]) * 7 + 1;
    ++data;
    --size;
    protocol::FrameReader reader;
    constexpr uint64_t kLimit = 1 << 16; // the engine's upload limit, small so frames reach it
    try {
        for (size_t at = 0; at < size; at += piece) {
            reader.feed(reinterpret_cast<const char*>(data) + at, std::min(piece, size - at));
            while (true) {
                const auto e = reader.next();
                if (e.kind == protocol::FrameReader::Event::None) break;
                if (e.kind != protocol::FrameReader::Event::Line) continue;
                try {
                    const nlohmann::json m = protocol::parseLine(std::string(e.data));
                    const std::string type = m["type"];
                    if (type == "submit") {
                        (void)protocol::requestFromJson(m.value("request", nlohmann::json::object()));
                        (void)protocol::fileRefFromJson(m.value("input", nlohmann::json()), kLimit, "input");
                        for (const auto& r : m.value("references", nlohmann::json::array()))
                            (void)protocol::fileRefFromJson(r, kLimit, "references");
                    } else if (type == "blob") {
                        const nlohmann::json bytes = m.value("bytes", nlohmann::json());
                        if (bytes.is_number_unsigned() && bytes.get<uint64_t>() <= kLimit)
                            reader.beginBlob(bytes);
                    }
                } catch (const std::invalid_argument&) {
                } catch (const nlohmann::json::exception&) {
                }
            }
        }
    } catch (const protocol::FramingError&) {
    }
    return 0;
}
