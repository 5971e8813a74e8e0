#include "model/model_folder.h"

#include <filesystem>
#include <fstream>
#include <sstream>

namespace tandem::model {

namespace fs = std::filesystem;

namespace {

std::string readText(const std::string& path, const std::string& whenMissing) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw CheckpointError(path + ": " + whenMissing);
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
}

} // namespace

ModelConfig readConfigFile(const std::string& path) {
    const std::string text = readText(path, "cannot read the model configuration");
    try {
        return ModelConfig::fromJson(text);
    } catch (const std::invalid_argument& e) {
        throw CheckpointError(path + ": " + e.what());
    }
}

Tokenizer readTokenizerFile(const std::string& path, const ModelConfig& config) {
    const std::string text = readText(path, "missing; a model folder needs its tokenizer");
    try {
        Tokenizer t = Tokenizer::fromJson(text);
        if (t.maxTokens() != config.text.max_tokens)
            throw std::invalid_argument("max_tokens " + std::to_string(t.maxTokens()) + " differs from config.json's text.max_tokens " +
                                        std::to_string(config.text.max_tokens));
        if (t.kind() != config.text.tokenizer)
            throw std::invalid_argument("a " + t.kind() + " tokenizer, but config.json's text.tokenizer is " + config.text.tokenizer);
        if (t.vocabularySize() > config.text.vocab_size)
            throw std::invalid_argument("its " + std::to_string(t.vocabularySize()) + " token ids do not fit config.json's text.vocab_size " +
                                        std::to_string(config.text.vocab_size));
        return t;
    } catch (const std::invalid_argument& e) {
        throw CheckpointError(path + ": " + e.what());
    }
}

Tokenizer plainTokenizer(const ModelConfig& config) {
    return config.text.tokenizer == "words" ? Tokenizer::words(config.text.max_tokens, {}) : Tokenizer(config.text.max_tokens);
}

ModelFolder readModelFolder(const std::string& dir) {
    if (!fs::is_directory(dir)) throw CheckpointError(dir + ": not a model folder");
    ModelFolder f;
    f.config = readConfigFile((fs::path(dir) / kConfigFile).string());
    f.tokenizer = readTokenizerFile((fs::path(dir) / kTokenizerFile).string(), f.config);
    return f;
}

} // namespace tandem::model

namespace tandem::model {

std::string defaultModelDir(const std::string& programDir) {
    namespace fs = std::filesystem;
    std::vector<fs::path> candidates;
    if (!programDir.empty()) candidates.push_back(fs::path(programDir) / ".." / "share" / "tandem" / "models" / "demo");
#ifdef TANDEM_DEMO_MODEL_DIR
    candidates.emplace_back(TANDEM_DEMO_MODEL_DIR);
#endif
    for (const auto& dir : candidates) {
        std::error_code ec;
        if (fs::is_regular_file(dir / kConfigFile, ec) && fs::is_regular_file(dir / kWeightsFile, ec))
            return fs::weakly_canonical(dir, ec).string();
    }
    return {};
}

bool isLtxModelPath(const std::string& path) {
    namespace fs = std::filesystem;
    std::error_code ec;
    if (fs::is_regular_file(path, ec)) return fs::path(path).extension() == ".safetensors";
    if (!fs::is_directory(path, ec) || fs::exists(fs::path(path) / kConfigFile, ec)) return false;
    for (const auto& entry : fs::directory_iterator(path, ec))
        if (entry.path().extension() == ".safetensors") return true;
    return false;
}

} // namespace tandem::model
