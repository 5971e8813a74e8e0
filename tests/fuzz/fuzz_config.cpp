// Fuzz target: a model folder's readers — the input as config.json, and as tokenizer.json.
#include "fuzz_input.h"
#include "model/config.h"
#include "model/model_folder.h"

#include <exception>
#include <string>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    const std::string text(reinterpret_cast<const char*>(data), size);
    try {
        const tandem::model::ModelConfig config = tandem::model::ModelConfig::fromJson(text);
        (void)tandem::model::ModelConfig::fromJson(config.toJson()); // what it accepts, it writes back readably
    } catch (const std::exception&) {
    }
    try {
        (void)tandem::model::readTokenizerFile(tandem::fuzz::asFile(data, size), tandem::model::ModelConfig{});
    } catch (const std::exception&) {
    }
    return 0;
}
