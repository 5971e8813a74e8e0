#include "model/ltx2/gemma_tokenizer.h"

#include "model/safetensors.h"

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

extern char** environ;

namespace tandem::model::ltx2 {

namespace fs = std::filesystem;

std::string findSpmHelper() {
    if (const char* env = std::getenv("TANDEM_SPM_HELPER"); env && *env) return env;
    std::error_code ec;
    const fs::path self = fs::read_symlink("/proc/self/exe", ec);
    if (ec) return {};
    for (const auto& candidate :
         {self.parent_path() / "tandem-spm", self.parent_path() / ".." / "libexec" / "tandem" / "tandem-spm"})
        if (fs::exists(candidate, ec)) return candidate.lexically_normal().string();
    return {};
}

namespace {

// Runs `helper model` with `input` on its stdin; returns its stdout. The helper reads all its input
// before it writes, so writing everything first and then reading cannot deadlock.
std::string runHelper(const std::string& helper, const std::string& model, const std::string& input,
                      int& status) {
    int toChild[2], fromChild[2];
    if (pipe(toChild) != 0) throw CheckpointError("cannot start tandem-spm: no pipe");
    if (pipe(fromChild) != 0) {
        close(toChild[0]);
        close(toChild[1]);
        throw CheckpointError("cannot start tandem-spm: no pipe");
    }
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, toChild[0], STDIN_FILENO);
    posix_spawn_file_actions_adddup2(&actions, fromChild[1], STDOUT_FILENO);
    for (int fd : {toChild[0], toChild[1], fromChild[0], fromChild[1]})
        posix_spawn_file_actions_addclose(&actions, fd);
    std::vector<char*> argv{const_cast<char*>(helper.c_str()), const_cast<char*>(model.c_str()), nullptr};
    pid_t pid = 0;
    const int spawned = posix_spawn(&pid, helper.c_str(), &actions, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    close(toChild[0]);
    close(fromChild[1]);
    if (spawned != 0) {
        close(toChild[1]);
        close(fromChild[0]);
        throw CheckpointError("cannot run the tokenizer helper " + helper);
    }
    size_t written = 0;
    while (written < input.size()) {
        const ssize_t n = write(toChild[1], input.data() + written, input.size() - written);
        if (n <= 0) break;
        written += static_cast<size_t>(n);
    }
    close(toChild[1]);
    std::string output;
    char buffer[65536];
    for (ssize_t n; (n = read(fromChild[0], buffer, sizeof buffer)) > 0;)
        output.append(buffer, static_cast<size_t>(n));
    close(fromChild[0]);
    int wait = 0;
    waitpid(pid, &wait, 0);
    status = WIFEXITED(wait) ? WEXITSTATUS(wait) : -1;
    return output;
}

struct Reader {
    const std::string& data;
    size_t at = 0;
    bool next(int32_t& value) {
        if (at + sizeof value > data.size()) return false;
        std::memcpy(&value, data.data() + at, sizeof value);
        at += sizeof value;
        return true;
    }
};

} // namespace

GemmaTokenizer::GemmaTokenizer(const std::string& modelPath, const std::string& helper)
    : model_(modelPath), helper_(helper) {
    if (helper_.empty())
        throw CheckpointError(modelPath +
                              ": the tokenizer helper tandem-spm is not installed beside this program");
    if (!fs::exists(modelPath))
        throw CheckpointError(modelPath + ": missing (a Gemma folder needs its tokenizer.model)");
    run({});
    bos_ = special_[0];
    pad_ = special_[1];
    eos_ = special_[2];
    vocabulary_ = special_[3];
    if (bos_ < 0)
        throw CheckpointError(modelPath +
                              ": the tokenizer has no BOS token, which LTX-2's prompts begin with");
    if (pad_ < 0) pad_ = eos_;
    if (pad_ < 0)
        throw CheckpointError(modelPath + ": the tokenizer has neither a pad nor an end-of-sequence token");
}

std::vector<std::vector<int>> GemmaTokenizer::run(const std::vector<std::string>& texts) const {
    std::string input;
    for (const auto& text : texts) {
        const uint32_t length = static_cast<uint32_t>(text.size());
        input.append(reinterpret_cast<const char*>(&length), sizeof length);
        input += text;
    }
    int status = 0;
    const std::string output = runHelper(helper_, model_, input, status);
    Reader reader{output};
    int32_t loaded = 1, bos = -1, pad = -1, eos = -1, vocabulary = 0;
    if (!reader.next(loaded) || loaded != 0)
        throw CheckpointError(model_ + ": not a SentencePiece tokenizer (tandem-spm could not load it)");
    if (!reader.next(bos) || !reader.next(pad) || !reader.next(eos) || !reader.next(vocabulary))
        throw CheckpointError(model_ + ": the tokenizer helper stopped early");
    special_ = {bos, pad, eos, vocabulary};
    std::vector<std::vector<int>> out;
    for (size_t i = 0; i < texts.size(); ++i) {
        int32_t count = 0;
        if (!reader.next(count) || count < 0) break;
        std::vector<int> ids(static_cast<size_t>(count));
        for (auto& id : ids)
            if (!reader.next(id)) break;
        out.push_back(std::move(ids));
    }
    if (status != 0 || out.size() != texts.size())
        throw CheckpointError(model_ + ": the tokenizer helper failed (exit status " +
                              std::to_string(status) + ")");
    return out;
}

std::vector<std::vector<int>> GemmaTokenizer::encode(const std::vector<std::string>& texts) const {
    return run(texts);
}

GemmaTokenizer::Batch GemmaTokenizer::tokenizeForLtx(const std::vector<std::string>& prompts,
                                                     int length) const {
    if (length < 1) throw std::invalid_argument("a tokenized prompt needs a length of at least 1");
    std::vector<std::string> stripped;
    for (const auto& prompt : prompts) {
        const auto first = prompt.find_first_not_of(" \t\n\r\f\v");
        stripped.push_back(first == std::string::npos
                               ? ""
                               : prompt.substr(first, prompt.find_last_not_of(" \t\n\r\f\v") - first + 1));
    }
    const auto encoded = encode(stripped);
    const int64_t n = static_cast<int64_t>(prompts.size());
    Batch batch{torch::full({n, length}, pad_, torch::kInt64), torch::zeros({n, length}, torch::kInt64)};
    for (int64_t i = 0; i < n; ++i) {
        std::vector<int> ids{bos_};
        for (int id : encoded[static_cast<size_t>(i)])
            ids.push_back(id);
        if (static_cast<int>(ids.size()) > length) ids.resize(static_cast<size_t>(length));
        const int64_t start = length - static_cast<int64_t>(ids.size());
        for (size_t k = 0; k < ids.size(); ++k) {
            batch.ids[i][start + static_cast<int64_t>(k)] = ids[k];
            batch.mask[i][start + static_cast<int64_t>(k)] = 1;
        }
    }
    return batch;
}

} // namespace tandem::model::ltx2
