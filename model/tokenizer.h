// Design note: the prompt tokenizer. A prompt mixes a scene description with dialogue written <S>…<E>;
// dialogue is speech content, not scenery, so every token carries a segment id (0 = scene, 1 = speech)
// that the text encoder embeds separately — the model can then voice the dialogue without "speaking" the
// whole prompt. Two kinds:
//   bytes — UTF-8 bytes plus three specials: any prompt, but a model must learn spelling before meaning;
//   words — one token per word the model was trained on (its vocabulary), an <unk> token for any other
//           scene word, ',' and ';' (they separate a caption's parts), and dialogue spelled in letters
//           with a word-gap token, so whatever is said is still heard.
// A checkpoint ships the tokenizer as tokenizer.json (kind, length, specials and vocabulary, checked on
// load) together with the words the model was trained on, so the editor can say which words of a prompt
// the model does not know.
#pragma once

#include <cstdint>
#include <map>
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
    static constexpr int64_t kFirstByte = 3; // bytes kind
    static constexpr int64_t kUnknown = 3;   // words kind: a scene word outside the vocabulary
    static constexpr const char* kLetters = "abcdefghijklmnopqrstuvwxyz";

    explicit Tokenizer(int maxTokens, std::set<std::string> knownWords = {})
        : maxTokens_(maxTokens), knownWords_(std::move(knownWords)) {}
    // A words tokenizer over `vocabulary` (lower-case words; "," and ";" are added).
    static Tokenizer words(int maxTokens, const std::vector<std::string>& vocabulary);

    Tokens encode(const std::string& prompt) const;
    int maxTokens() const { return maxTokens_; }
    bool isWords() const { return !wordIds_.empty(); }
    std::string kind() const { return isWords() ? "words" : "bytes"; }
    // Ids it produces are below this (the text encoder's embedding table must be at least this long).
    int64_t vocabularySize() const;

    // Scene-description words (lower-cased letter runs outside <S>…<E>) that the model was not trained on,
    // in prompt order, each once. Empty when the tokenizer lists no known words.
    std::vector<std::string> unknownWords(const std::string& prompt) const;
    const std::set<std::string>& knownWords() const { return knownWords_; }

    // tokenizer.json. fromJson throws std::invalid_argument naming what does not fit.
    static Tokenizer fromJson(const std::string& text);
    std::string toJson() const;

private:
    Tokens encodeBytes(const std::string& prompt) const;
    Tokens encodeWords(const std::string& prompt) const;
    int64_t letterId(char c) const; // words kind: dialogue letters follow the vocabulary
    int64_t wordGapId() const;

    int maxTokens_;
    std::set<std::string> knownWords_;
    std::vector<std::string> vocabulary_;     // words kind, in id order (from kUnknown + 1)
    std::map<std::string, int64_t> wordIds_;
};

} // namespace tandem::model
