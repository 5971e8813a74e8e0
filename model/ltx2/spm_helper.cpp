// tandem-spm: runs a SentencePiece model for GemmaTokenizer (gemma_tokenizer.h) in a process of its own.
// Why a process: Debian's libsentencepiece carries its own copy of protobuf and exports it, and LibTorch
// loads the system protobuf; in one process the two collide before main() runs. Here, nothing but
// SentencePiece is loaded.
// Protocol (native byte order, 32-bit integers): argv[1] is the model file. stdin holds records, each a
// length and that many bytes of UTF-8 text, until end of input. stdout: the status (0 = loaded), the BOS,
// pad, EOS ids and the vocabulary size, then per record a count and that many ids. Exit status 2 and a
// message on stderr when the model cannot be loaded or a text cannot be encoded.
#include <sentencepiece_processor.h>

#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

namespace {

bool readAll(void* data, size_t bytes) {
    return bytes == 0 || std::fread(data, 1, bytes, stdin) == bytes;
}
void writeInt(int32_t value) {
    std::fwrite(&value, sizeof value, 1, stdout);
}

} // namespace

int main(int argc, char** argv) {
    if (argc != 2) {
        std::fprintf(stderr, "usage: tandem-spm MODEL < records\n");
        return 2;
    }
    sentencepiece::SentencePieceProcessor sp;
    const auto status = sp.Load(argv[1]);
    if (!status.ok()) {
        std::fprintf(stderr, "%s\n", status.ToString().c_str());
        writeInt(1);
        return 2;
    }
    std::vector<std::string> texts;
    uint32_t length = 0;
    while (std::fread(&length, sizeof length, 1, stdin) == 1) { // read everything before writing anything
        std::string text(length, '\0');
        if (!readAll(text.data(), length)) {
            std::fprintf(stderr, "tandem-spm: a record ends early\n");
            return 2;
        }
        texts.push_back(std::move(text));
    }
    writeInt(0);
    writeInt(sp.bos_id());
    writeInt(sp.pad_id());
    writeInt(sp.eos_id());
    writeInt(sp.GetPieceSize());
    for (const auto& text : texts) {
        std::vector<int> ids;
        const auto encoded = sp.Encode(text, &ids);
        if (!encoded.ok()) {
            std::fprintf(stderr, "%s\n", encoded.ToString().c_str());
            return 2;
        }
        writeInt(static_cast<int32_t>(ids.size()));
        for (int id : ids)
            writeInt(id);
    }
    return std::fflush(stdout) == 0 ? 0 : 2;
}
