// Design note: the prompt tokenizer. A prompt mixes a scene description with dialogue written <S>…<E>;
// dialogue is speech content, not scenery, so every token carries a segment id (0 = scene, 1 = speech)
// that the text encoder embeds separately — the model can then voice the dialogue without "speaking" the
// whole prompt. Tokens are UTF-8 bytes plus three specials. A checkpoint ships the tokenizer as
// tokenizer.json (its kind, length and specials, checked on load) together with the words the model was
// trained on, so the editor can say which words of a prompt the model does not know.
#pragma once

#include <cstdint>
#include <set>
#include <string>
#include <vector>

namespace tandem::model {

struct Tokens {
    std::vector<int64_t> ids;      // padded to max_tokens
    std::vector<int64_t> segments; // 0 = scene description, 1 = dialogue
    std::vector<uint8_t> valid;    // 1 for real tokens, 0 for padding
    bool truncated = false;
};

class Tokenizer {
public:
    static constexpr int64_t kPad = 0;
    static constexpr int64_t kSpeechOpen = 1;
    static constexpr int64_t kSpeechClose = 2;
    static constexpr int64_t kFirstByte = 3;

    explicit Tokenizer(int maxTokens, std::set<std::string> knownWords = {})
        : maxTokens_(maxTokens), knownWords_(std::move(knownWords)) {}
    Tokens encode(const std::string& prompt) const;
    int maxTokens() const { return maxTokens_; }

    // Scene-description words (lower-cased letter runs outside <S>…<E>) that the model was not trained on,
    // in prompt order, each once. Empty when the tokenizer lists no known words.
    std::vector<std::string> unknownWords(const std::string& prompt) const;
    const std::set<std::string>& knownWords() const { return knownWords_; }

    // tokenizer.json. fromJson throws std::invalid_argument naming what does not fit.
    static Tokenizer fromJson(const std::string& text);
    std::string toJson() const;

private:
    int maxTokens_;
    std::set<std::string> knownWords_;
};

} // namespace tandem::model
