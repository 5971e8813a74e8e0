#include "model/tokenizer.h"

#include "model/json_number.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cctype>
#include <cstring>
#include <optional>
#include <stdexcept>
#include <string_view>

namespace tandem::model {

namespace {

// Appends tokens up to the limit (then marks the result truncated) and pads to it.
struct TokenSink {
    Tokens t;
    int limit;
    int64_t segment = 0;
    void push(int64_t id) {
        if (static_cast<int>(t.ids.size()) >= limit) {
            t.truncated = true;
            return;
        }
        t.ids.push_back(id);
        t.segments.push_back(segment);
        t.valid.push_back(1);
    }
    Tokens finish() {
        while (static_cast<int>(t.ids.size()) < limit) {
            t.ids.push_back(Tokenizer::kPad);
            t.segments.push_back(0);
            t.valid.push_back(0);
        }
        return std::move(t);
    }
};

bool isLetter(char c) { return std::isalpha(static_cast<unsigned char>(c)) != 0; }
char lower(char c) { return static_cast<char>(std::tolower(static_cast<unsigned char>(c))); }

} // namespace

Tokenizer Tokenizer::words(int maxTokens, const std::vector<std::string>& vocabulary) {
    std::set<std::string> known;
    for (const auto& w : vocabulary)
        if (w != "," && w != ";") known.insert(w);
    Tokenizer t(maxTokens, known);
    t.vocabulary_.assign(known.begin(), known.end());
    t.vocabulary_.push_back(",");
    t.vocabulary_.push_back(";");
    for (size_t i = 0; i < t.vocabulary_.size(); ++i) t.wordIds_[t.vocabulary_[i]] = kUnknown + 1 + int64_t(i);
    return t;
}

int64_t Tokenizer::letterId(char c) const { return kUnknown + 1 + int64_t(vocabulary_.size()) + (lower(c) - 'a'); }
int64_t Tokenizer::wordGapId() const { return kUnknown + 1 + int64_t(vocabulary_.size()) + 26; }

int64_t Tokenizer::vocabularySize() const { return isWords() ? wordGapId() + 1 : kFirstByte + 256; }

Tokens Tokenizer::encode(const std::string& prompt) const { return isWords() ? encodeWords(prompt) : encodeBytes(prompt); }

Tokens Tokenizer::encodeBytes(const std::string& prompt) const {
    TokenSink sink{{}, maxTokens_};
    const std::string_view text(prompt);
    for (size_t i = 0; i < text.size(); ++i) {
        if (text.substr(i, 3) == "<S>") {
            sink.segment = 1;
            sink.push(kSpeechOpen);
            i += 2;
        } else if (text.substr(i, 3) == "<E>") {
            sink.push(kSpeechClose);
            sink.segment = 0;
            i += 2;
        } else {
            sink.push(kFirstByte + static_cast<unsigned char>(text[i]));
        }
    }
    return sink.finish();
}

Tokens Tokenizer::encodeWords(const std::string& prompt) const {
    TokenSink sink{{}, maxTokens_};
    std::string word;
    bool speech = false, gapPending = false;
    auto flushWord = [&] {
        if (word.empty()) return;
        if (speech) {
            if (gapPending) sink.push(wordGapId());
            for (char c : word) sink.push(letterId(c));
            gapPending = true;
        } else {
            auto it = wordIds_.find(word);
            sink.push(it == wordIds_.end() ? kUnknown : it->second);
        }
        word.clear();
    };
    for (size_t i = 0; i < prompt.size(); ++i) {
        const char c = prompt[i];
        if (prompt.compare(i, 3, "<S>") == 0 || prompt.compare(i, 3, "<E>") == 0) {
            flushWord();
            speech = prompt[i + 1] == 'S';
            if (speech) {
                sink.segment = 1;
                sink.push(kSpeechOpen);
                gapPending = false;
            } else {
                sink.push(kSpeechClose);
                sink.segment = 0;
            }
            i += 2;
        } else if (isLetter(c)) {
            word += lower(c);
        } else {
            flushWord();
            if (!speech && (c == ',' || c == ';')) sink.push(wordIds_.at(std::string(1, c)));
        }
    }
    flushWord();
    return sink.finish();
}

std::vector<std::string> Tokenizer::unknownWords(const std::string& prompt) const {
    std::vector<std::string> out;
    if (knownWords_.empty()) return out;
    std::set<std::string> seen;
    std::string word;
    bool speech = false;
    auto flush = [&] {
        if (!word.empty() && !speech && !knownWords_.count(word) && seen.insert(word).second) out.push_back(word);
        word.clear();
    };
    for (size_t i = 0; i < prompt.size(); ++i) {
        if (prompt.compare(i, 3, "<S>") == 0 || prompt.compare(i, 3, "<E>") == 0) {
            flush();
            speech = prompt[i + 1] == 'S';
            i += 2;
        } else if (isLetter(prompt[i])) {
            word += lower(prompt[i]);
        } else {
            flush();
        }
    }
    flush();
    return out;
}

Tokenizer Tokenizer::fromJson(const std::string& text) {
    nlohmann::json j;
    try {
        j = nlohmann::json::parse(text);
    } catch (const nlohmann::json::parse_error& e) {
        throw std::invalid_argument(std::string("not valid JSON: ") + e.what());
    }
    auto fail = [](const std::string& why) { throw std::invalid_argument(why); };
    if (!j.is_object() || j.value("format", "") != "tandem-tokenizer") fail("not a Tandem tokenizer (format)");
    const std::string kind = j.value("kind", std::string());
    if (kind != "bytes" && kind != "words") fail("unsupported tokenizer kind '" + kind + "'");
    // A whole number an int holds, or none (absent, a fraction, 1e30: never converted, json_number.h).
    const auto integer = [](const nlohmann::json& object, const char* key) -> std::optional<int> {
        const auto it = object.find(key);
        if (it == object.end() || !holdsWholeNumber<int>(*it)) return std::nullopt;
        return it->get<int>();
    };
    const auto specials = j.value("specials", nlohmann::json::object());
    if (integer(specials, "<pad>") != kPad || integer(specials, "<S>") != kSpeechOpen || integer(specials, "<E>") != kSpeechClose)
        fail("special token ids differ from this engine's (<pad> 0, <S> 1, <E> 2)");
    if (kind == "bytes" && integer(j, "byte_offset") != kFirstByte) fail("special token ids differ from this engine's (bytes from 3)");
    if (kind == "words" && integer(specials, "<unk>") != kUnknown) fail("special token ids differ from this engine's (<unk> 3)");
    const int maxTokens = integer(j, "max_tokens").value_or(0);
    if (maxTokens <= 0 || maxTokens > 4096) fail("max_tokens must be in 1..4096");
    auto strings = [&](const char* key) {
        std::vector<std::string> out;
        auto it = j.find(key);
        if (it == j.end()) return out;
        if (!it->is_array()) fail(std::string(key) + " must be an array of strings");
        for (const auto& w : *it) {
            if (!w.is_string()) fail(std::string(key) + " must be an array of strings");
            out.push_back(w.get<std::string>());
        }
        return out;
    };
    const auto known = strings("known_words");
    if (kind == "bytes") return Tokenizer(maxTokens, {known.begin(), known.end()});
    const auto vocabulary = strings("vocabulary");
    if (vocabulary.empty() || vocabulary.size() > 65536) fail("vocabulary must list 1..65536 words");
    for (const auto& w : vocabulary) {
        const bool punctuation = w == "," || w == ";";
        if (!punctuation && (w.empty() || w.size() > 64 || !std::all_of(w.begin(), w.end(), [](char c) { return c >= 'a' && c <= 'z'; })))
            fail("vocabulary words must be lower-case letters (\"" + w.substr(0, 64) + "\" is not)");
    }
    Tokenizer t = words(maxTokens, vocabulary);
    if (t.vocabulary_ != vocabulary)
        fail("vocabulary must be sorted, without repeats, and end with \",\" and \";\"");
    return t;
}

std::string Tokenizer::toJson() const {
    if (!isWords())
        return nlohmann::json{{"format", "tandem-tokenizer"},
                              {"version", 1},
                              {"kind", "bytes"},
                              {"max_tokens", maxTokens_},
                              {"byte_offset", kFirstByte},
                              {"specials", {{"<pad>", kPad}, {"<S>", kSpeechOpen}, {"<E>", kSpeechClose}}},
                              {"known_words", knownWords_}}
            .dump(2);
    return nlohmann::json{{"format", "tandem-tokenizer"},
                          {"version", 2},
                          {"kind", "words"},
                          {"max_tokens", maxTokens_},
                          {"specials", {{"<pad>", kPad}, {"<S>", kSpeechOpen}, {"<E>", kSpeechClose}, {"<unk>", kUnknown}}},
                          {"vocabulary", vocabulary_},
                          {"letters", kLetters},
                          {"known_words", knownWords_}}
        .dump(2);
}

} // namespace tandem::model
