// Fuzz target: the engine protocol — one JSON line from a client, and the request inside a submit.
#include "model/protocol.h"

#include <exception>
#include <string>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    const std::string line(reinterpret_cast<const char*>(data), size);
    try {
        const nlohmann::json message = tandem::model::protocol::parseLine(line);
        if (message.contains("request")) {
            const tandem::model::ShotRequest r = tandem::model::protocol::requestFromJson(message["request"]);
            (void)tandem::model::protocol::requestToJson(r);
        }
    } catch (const std::exception&) {
    }
    return 0;
}
