#include "model/protocol.h"

#include <stdexcept>

namespace tandem::model::protocol {

using nlohmann::json;

json requestToJson(const ShotRequest& r) {
    return json{{"task", taskName(r.task)},
                {"prompt", r.prompt},
                {"negative_prompt", r.negative_prompt},
                {"seconds", r.seconds},
                {"seed", r.seed},
                {"steps", r.steps},
                {"shift", r.shift},
                {"solver", r.solver == Solver::Heun ? "heun" : "euler"},
                {"video_guidance", r.video_guidance},
                {"audio_guidance", r.audio_guidance},
                {"mask_first_frame", r.mask_first_frame},
                {"mask_last_frame", r.mask_last_frame},
                {"window_start", r.window_start},
                {"window_end", r.window_end},
                {"regenerate_video", r.regenerate_video},
                {"regenerate_audio", r.regenerate_audio},
                {"backward", r.backward},
                {"context_seconds", r.context_seconds},
                {"strength", r.strength}};
}

namespace {

template <typename T> void field(const json& j, const char* key, T& out) {
    auto it = j.find(key);
    if (it == j.end()) return;
    try {
        out = it->get<T>();
    } catch (const json::exception&) {
        throw std::invalid_argument(std::string("request field '") + key + "' has the wrong type");
    }
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

} // namespace tandem::model::protocol
