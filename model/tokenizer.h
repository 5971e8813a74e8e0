// Design note: the prompt tokenizer. A prompt mixes a scene description with dialogue written <S>…<E>;
// dialogue is speech content, not scenery, so every token carries a segment id (0 = scene, 1 = speech)
// that the text encoder embeds separately — the model can then voice the dialogue without "speaking" the
// whole prompt. This is a byte-level tokenizer (UTF-8 bytes + three specials); a checkpoint may later ship
// a vocabulary file, but the segment handling stays here.
#pragma once

#include <cstdint>
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

    explicit Tokenizer(int maxTokens) : maxTokens_(maxTokens) {}
    Tokens encode(const std::string& prompt) const;

private:
    int maxTokens_;
};

} // namespace tandem::model
