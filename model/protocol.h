// Design note: the engine protocol — JSON lines (one object per line, UTF-8, '\n'-terminated) over a local
// socket; the same messages are meant to run over TCP to a remote GPU machine later, with a token in the
// first message (see docs/engine-protocol.md). Media never crosses the socket: requests and results name
// lossless shot files (.safetensors) in the project cache. This header turns requests into JSON and back;
// it needs no torch, so clients (the CLI, the editor) use it without loading the engine.
#pragma once

#include "model/engine.h"

#include <nlohmann/json.hpp>

#include <string>

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

} // namespace tandem::model::protocol
