#include "model/tokenizer.h"

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

} // namespace tandem::model
