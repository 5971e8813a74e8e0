#include "model/installed_models.h"

#include "model/model_folder.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

namespace tandem::model {

namespace fs = std::filesystem;

namespace {

std::string env(const char* name) {
    const char* v = std::getenv(name);
    return v ? v : "";
}

bool isTandemModel(const fs::path& dir) {
    std::error_code ec;
    return fs::is_regular_file(dir / kConfigFile, ec) && fs::is_regular_file(dir / kWeightsFile, ec);
}

bool isLtxEntry(const fs::path& dir) {
    std::error_code ec;
    return fs::is_directory(dir, ec) && isLtxModelPath(dir.string()) &&
           fs::is_directory(ltxTextEncoderFor(dir.string()), ec);
}

} // namespace

std::vector<std::string> modelSearchDirs() {
    std::vector<std::string> out;
    std::string dataHome = env("XDG_DATA_HOME");
    if (dataHome.empty() && !env("HOME").empty()) dataHome = env("HOME") + "/.local/share";
    if (!dataHome.empty()) out.push_back(dataHome + "/tandem/models");
    std::string dataDirs = env("XDG_DATA_DIRS");
    if (dataDirs.empty()) dataDirs = "/usr/local/share:/usr/share";
    std::istringstream parts(dataDirs);
    for (std::string dir; std::getline(parts, dir, ':');)
        if (!dir.empty()) out.push_back(dir + "/tandem/models");
    return out;
}

std::vector<InstalledModel> installedModels(const std::vector<std::string>& dirs,
                                            const std::string& builtIn) {
    std::vector<InstalledModel> out;
    std::set<std::string> names;
    if (!builtIn.empty() && isTandemModel(builtIn)) {
        out.push_back({fs::path(builtIn).filename().string(), builtIn, false});
        names.insert(out.back().name);
    }
    for (const auto& dir : dirs) {
        std::error_code ec;
        std::vector<InstalledModel> found;
        for (const auto& entry : fs::directory_iterator(dir, ec)) {
            const fs::path p = entry.path();
            if (isTandemModel(p))
                found.push_back({p.filename().string(), p.string(), false});
            else if (isLtxEntry(p))
                found.push_back({p.filename().string(), p.string(), true});
        }
        std::sort(found.begin(), found.end(), [](const auto& a, const auto& b) { return a.name < b.name; });
        for (auto& m : found)
            if (names.insert(m.name).second) out.push_back(std::move(m));
    }
    return out;
}

std::string ltxTextEncoderFor(const std::string& modelPath) {
    std::error_code ec;
    const fs::path p(modelPath);
    return ((fs::is_directory(p, ec) ? p : p.parent_path()) / "text_encoder").string();
}

bool parseFrameSize(const std::string& text, int& width, int& height) {
    char x = 0, rest = 0;
    std::istringstream in(text);
    return (in >> width >> x >> height) && x == 'x' && !(in >> rest) && width > 0 && height > 0;
}

std::vector<std::string> LtxDelivery::engineArgs() const {
    if (!fromFile) return {};
    std::ostringstream rate;
    rate << fps;
    std::vector<std::string> args{"--size", std::to_string(width) + "x" + std::to_string(height), "--fps",
                                  rate.str()};
    if (distilled) args.push_back("--distilled");
    return args;
}

LtxDelivery ltxDeliveryFor(const std::string& modelPath) {
    std::error_code ec;
    const fs::path p(modelPath);
    const fs::path file = (fs::is_directory(p, ec) ? p : p.parent_path()) / "tandem.json";
    LtxDelivery d;
    if (!fs::exists(file, ec)) return d;
    const std::string expected = R"(expected {"size": "WxH", "fps": F, "distilled": true|false})";
    std::ifstream in(file);
    try {
        const auto j = nlohmann::json::parse(in);
        if (j.contains("size") && !parseFrameSize(j.at("size").get<std::string>(), d.width, d.height))
            throw std::invalid_argument(file.string() + ": " + expected + " (size '" +
                                        j.at("size").get<std::string>() + "')");
        d.fps = j.value("fps", d.fps);
        d.distilled = j.value("distilled", false);
    } catch (const nlohmann::json::exception& e) {
        throw std::invalid_argument(file.string() + ": " + expected + " (" + e.what() + ")");
    }
    d.fromFile = true;
    return d;
}

} // namespace tandem::model
