#include "model/tokenizer.h"

#include <nlohmann/json.hpp>

#include <cctype>
#include <stdexcept>
#include <string_view>

namespace tandem::model {

Tokens Tokenizer::encode(const std::string& prompt) const {
    Tokens t;
    int64_t segment = 0;
    auto push = [&](int64_t id) {
        if (static_cast<int>(t.ids.size()) >= maxTokens_) {
            t.truncated = true;
            return;
        }
        t.ids.push_back(id);
        t.segments.push_back(segment);
        t.valid.push_back(1);
    };
    const std::string_view text(prompt);
    for (size_t i = 0; i < text.size(); ++i) {
        if (text.substr(i, 3) == "<S>") {
            segment = 1;
            push(kSpeechOpen);
            i += 2;
        } else if (text.substr(i, 3) == "<E>") {
            push(kSpeechClose);
            segment = 0;
            i += 2;
        } else {
            push(kFirstByte + static_cast<unsigned char>(text[i]));
        }
    }
    while (static_cast<int>(t.ids.size()) < maxTokens_) {
        t.ids.push_back(kPad);
        t.segments.push_back(0);
        t.valid.push_back(0);
    }
    return t;
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
        } else if (std::isalpha(static_cast<unsigned char>(prompt[i]))) {
            word += static_cast<char>(std::tolower(static_cast<unsigned char>(prompt[i])));
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
    if (j.value("kind", "") != "bytes") fail("unsupported tokenizer kind '" + j.value("kind", std::string()) + "'");
    const auto specials = j.value("specials", nlohmann::json::object());
    if (specials.value("<pad>", -1) != kPad || specials.value("<S>", -1) != kSpeechOpen ||
        specials.value("<E>", -1) != kSpeechClose || j.value("byte_offset", -1) != kFirstByte)
        fail("special token ids differ from this engine's (<pad> 0, <S> 1, <E> 2, bytes from 3)");
    const int maxTokens = j.value("max_tokens", 0);
    if (maxTokens <= 0 || maxTokens > 4096) fail("max_tokens must be in 1..4096");
    std::set<std::string> words;
    if (auto it = j.find("known_words"); it != j.end()) {
        if (!it->is_array()) fail("known_words must be an array of strings");
        for (const auto& w : *it) {
            if (!w.is_string()) fail("known_words must be an array of strings");
            words.insert(w.get<std::string>());
        }
    }
    return Tokenizer(maxTokens, std::move(words));
}

std::string Tokenizer::toJson() const {
    nlohmann::json j = {{"format", "tandem-tokenizer"},
                        {"version", 1},
                        {"kind", "bytes"},
                        {"max_tokens", maxTokens_},
                        {"byte_offset", kFirstByte},
                        {"specials", {{"<pad>", kPad}, {"<S>", kSpeechOpen}, {"<E>", kSpeechClose}}},
                        {"known_words", knownWords_}};
    return j.dump(2);
}

} // namespace tandem::model
