// Design note: Gemma 3's tokenizer is a SentencePiece model (tokenizer.model in the Gemma folder), so it is
// run by SentencePiece itself (Debian's libsentencepiece), not re-implemented: byte fallback, user
// symbols and normalisation all come from the model file. It runs in a small helper process, tandem-spm
// (spm_helper.cpp): Debian's libsentencepiece exports a private protobuf that collides with the one
// LibTorch loads, so the two cannot share a process. Tokenizing happens once per shot; a process start
// costs milliseconds against seconds of denoising.
// LTX-2 feeds Gemma a fixed-length batch: the prompt stripped of surrounding whitespace, a BOS in front,
// no EOS, cut at the length, then left-padded with the pad token (the end-of-sequence token when the
// model has none) — padding on the left keeps every prompt's last token at the same place.
#pragma once

#include <torch/torch.h>

#include <array>
#include <string>
#include <vector>

namespace tandem::model::ltx2 {

// Where tandem-spm is: $TANDEM_SPM_HELPER, else beside the running program, else in
// ../libexec/tandem/ from it (the installed layout). Empty when none exists.
std::string findSpmHelper();

class GemmaTokenizer {
public:
    // Checks the model file by loading it in the helper. Throws CheckpointError naming the file when the
    // model cannot be loaded, or the helper cannot be found or run.
    explicit GemmaTokenizer(const std::string& modelPath, const std::string& helper = findSpmHelper());

    // The SentencePiece ids of each text (no BOS or EOS), in one helper run.
    std::vector<std::vector<int>> encode(const std::vector<std::string>& texts) const;
    std::vector<int> encode(const std::string& text) const {
        return encode(std::vector<std::string>{text})[0];
    }

    struct Batch {
        torch::Tensor ids;  // [N, length] int64
        torch::Tensor mask; // [N, length] int64: 1 = prompt token, 0 = padding
    };
    // LTX-2's batch (see above); LTX-2.3 uses a length of 1024.
    Batch tokenizeForLtx(const std::vector<std::string>& prompts, int length = 1024) const;

    int bos() const { return bos_; }
    int pad() const { return pad_; }
    int vocabulary() const { return vocabulary_; }

private:
    std::vector<std::vector<int>> run(const std::vector<std::string>& texts) const;
    std::string model_, helper_;
    int bos_ = -1, pad_ = -1, eos_ = -1, vocabulary_ = 0;
    mutable std::array<int, 4> special_{}; // BOS, pad, EOS, vocabulary as the helper last reported them
};

} // namespace tandem::model::ltx2
