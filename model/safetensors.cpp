#include "model/safetensors.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstring>
#include <fcntl.h>
#include <filesystem>
#include <limits>
#include <set>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

namespace tandem::model {

namespace {

constexpr uint64_t kMaxHeaderBytes = 100u << 20; // the format's own limit: 100 MB of JSON

struct DTypeInfo {
    DType type;
    const char* name;
    size_t size;
};
constexpr DTypeInfo kDTypes[] = {
    {DType::F64, "F64", 8}, {DType::F32, "F32", 4}, {DType::F16, "F16", 2}, {DType::BF16, "BF16", 2},
    {DType::I64, "I64", 8}, {DType::I32, "I32", 4}, {DType::I16, "I16", 2}, {DType::I8, "I8", 1},
    {DType::U8, "U8", 1},   {DType::Bool, "BOOL", 1}, {DType::F8_E4M3, "F8_E4M3", 1}, {DType::F8_E5M2, "F8_E5M2", 1},
};

[[noreturn]] void fail(const std::string& path, const std::string& what) {
    throw CheckpointError(path + ": " + what);
}

uint64_t readLittleEndian64(const uint8_t* p) {
    uint64_t v = 0;
    for (int i = 7; i >= 0; --i) v = (v << 8) | p[i];
    return v;
}

} // namespace

const char* dtypeName(DType d) {
    for (const auto& i : kDTypes)
        if (i.type == d) return i.name;
    return "?";
}

size_t dtypeSize(DType d) {
    for (const auto& i : kDTypes)
        if (i.type == d) return i.size;
    return 0;
}

SafetensorsFile::SafetensorsFile(const std::string& path) : path_(path) {
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) fail(path, std::string("cannot open (") + std::strerror(errno) + ")");
    struct stat st {};
    if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        ::close(fd);
        fail(path, "not a regular file");
    }
    size_ = static_cast<size_t>(st.st_size);
    if (size_ < 8) {
        ::close(fd);
        fail(path, "truncated: " + std::to_string(size_) + " bytes is too short for a safetensors header");
    }
    map_ = ::mmap(nullptr, size_, PROT_READ, MAP_PRIVATE, fd, 0);
    ::close(fd);
    if (map_ == MAP_FAILED) {
        map_ = nullptr;
        fail(path, "cannot map the file into memory");
    }
    try {
        const auto* bytes = static_cast<const uint8_t*>(map_);
        const uint64_t headerLen = readLittleEndian64(bytes);
        if (headerLen > kMaxHeaderBytes) fail(path, "header length " + std::to_string(headerLen) + " exceeds the 100 MB limit");
        if (headerLen > size_ - 8)
            fail(path, "header length " + std::to_string(headerLen) + " is longer than the file (" + std::to_string(size_) + " bytes)");
        nlohmann::json header;
        std::set<std::string> topKeys;
        std::string duplicate;
        // Two entries with one name would make "which tensor is this" ambiguous; JSON parsers keep the last
        // silently, so duplicates are caught while parsing.
        auto onEvent = [&](int depth, nlohmann::json::parse_event_t event, nlohmann::json& parsed) {
            if (event == nlohmann::json::parse_event_t::key && depth == 1 && !topKeys.insert(parsed.get<std::string>()).second)
                duplicate = parsed.get<std::string>();
            return true;
        };
        try {
            header = nlohmann::json::parse(bytes + 8, bytes + 8 + headerLen, onEvent);
        } catch (const nlohmann::json::exception& e) {
            fail(path, std::string("header is not valid JSON (") + e.what() + ")");
        }
        if (!duplicate.empty()) fail(path, "tensor '" + duplicate + "' is listed twice");
        if (!header.is_object()) fail(path, "header is not a JSON object");
        const uint8_t* data = bytes + 8 + headerLen;
        const uint64_t dataSize = size_ - 8 - headerLen;
        std::vector<std::pair<uint64_t, uint64_t>> ranges;
        std::map<uint64_t, std::string> owners;
        for (const auto& [name, entry] : header.items()) {
            if (name == "__metadata__") {
                if (!entry.is_object()) fail(path, "__metadata__ is not an object");
                for (const auto& [k, v] : entry.items()) {
                    if (!v.is_string()) fail(path, "__metadata__." + k + " is not a string");
                    metadata_[k] = v.get<std::string>();
                }
                continue;
            }
            const std::string where = "tensor '" + name + "'";
            if (!entry.is_object()) fail(path, where + ": entry is not an object");
            auto dt = entry.find("dtype");
            auto sh = entry.find("shape");
            auto off = entry.find("data_offsets");
            if (dt == entry.end() || !dt->is_string()) fail(path, where + ": missing dtype");
            if (sh == entry.end() || !sh->is_array()) fail(path, where + ": missing shape");
            if (off == entry.end() || !off->is_array() || off->size() != 2) fail(path, where + ": data_offsets must be [begin, end]");
            TensorView view;
            view.name = name;
            const std::string dtypeText = dt->get<std::string>();
            const auto known = std::find_if(std::begin(kDTypes), std::end(kDTypes),
                                            [&](const DTypeInfo& i) { return dtypeText == i.name; });
            if (known == std::end(kDTypes)) fail(path, where + ": unsupported dtype " + dtypeText);
            view.dtype = known->type;
            uint64_t elements = 1;
            for (const auto& d : *sh) {
                if (!d.is_number_unsigned()) fail(path, where + ": shape must hold non-negative integers");
                const uint64_t n = d.get<uint64_t>();
                if (n != 0 && elements > std::numeric_limits<uint64_t>::max() / n) fail(path, where + ": shape overflows");
                elements *= n;
                view.shape.push_back(static_cast<int64_t>(n));
            }
            if (!(*off)[0].is_number_unsigned() || !(*off)[1].is_number_unsigned())
                fail(path, where + ": data_offsets must be non-negative integers");
            const uint64_t begin = (*off)[0].get<uint64_t>(), end = (*off)[1].get<uint64_t>();
            if (begin > end) fail(path, where + ": data_offsets are reversed");
            if (end > dataSize)
                fail(path, where + ": data range [" + std::to_string(begin) + ", " + std::to_string(end) +
                               ") lies outside the file's " + std::to_string(dataSize) + " data bytes");
            if (elements > std::numeric_limits<uint64_t>::max() / known->size || elements * known->size != end - begin)
                fail(path, where + ": shape and dtype need " + std::to_string(elements) + " × " + std::to_string(known->size) +
                               " bytes but the range holds " + std::to_string(end - begin));
            view.data = data + begin;
            view.bytes = end - begin;
            if (end > begin) {
                ranges.emplace_back(begin, end);
                owners[begin] = name;
            }
            tensors_.emplace(name, std::move(view));
        }
        std::sort(ranges.begin(), ranges.end());
        for (size_t i = 1; i < ranges.size(); ++i)
            if (ranges[i].first < ranges[i - 1].second)
                fail(path, "tensors '" + owners[ranges[i - 1].first] + "' and '" + owners[ranges[i].first] + "' overlap");
    } catch (...) {
        ::munmap(map_, size_);
        map_ = nullptr;
        throw;
    }
}

SafetensorsFile::~SafetensorsFile() {
    if (map_) ::munmap(map_, size_);
}

const TensorView& SafetensorsFile::at(const std::string& name) const {
    auto it = tensors_.find(name);
    if (it == tensors_.end()) fail(path_, "has no tensor '" + name + "'");
    return it->second;
}

void writeSafetensors(const std::string& path, const std::vector<TensorToWrite>& tensors,
                      const std::map<std::string, std::string>& metadata) {
    nlohmann::json header = nlohmann::json::object();
    if (!metadata.empty()) header["__metadata__"] = metadata;
    uint64_t offset = 0;
    for (const auto& t : tensors) {
        uint64_t elements = 1;
        for (int64_t d : t.shape) elements *= static_cast<uint64_t>(d);
        if (elements * dtypeSize(t.dtype) != t.bytes)
            fail(path, "tensor '" + t.name + "': shape and dtype do not match its " + std::to_string(t.bytes) + " bytes");
        header[t.name] = {{"dtype", dtypeName(t.dtype)}, {"shape", t.shape}, {"data_offsets", {offset, offset + t.bytes}}};
        offset += t.bytes;
    }
    std::string text = header.dump();
    text.append((8 - text.size() % 8) % 8, ' '); // keep the data 8-byte aligned
    const std::string temp = path + ".part";
    const int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) fail(path, std::string("cannot create (") + std::strerror(errno) + ")");
    auto writeAll = [&](const void* p, size_t n) {
        const auto* c = static_cast<const uint8_t*>(p);
        while (n > 0) {
            const ssize_t w = ::write(fd, c, n);
            if (w < 0) {
                if (errno == EINTR) continue;
                const std::string why = std::strerror(errno);
                ::close(fd);
                ::unlink(temp.c_str());
                fail(path, "write failed (" + why + ")");
            }
            c += w;
            n -= static_cast<size_t>(w);
        }
    };
    uint8_t len[8];
    for (int i = 0; i < 8; ++i) len[i] = static_cast<uint8_t>(static_cast<uint64_t>(text.size()) >> (8 * i));
    writeAll(len, 8);
    writeAll(text.data(), text.size());
    for (const auto& t : tensors) writeAll(t.data, t.bytes);
    if (::fsync(fd) != 0 || ::close(fd) != 0) {
        ::unlink(temp.c_str());
        fail(path, "cannot flush to disk");
    }
    std::error_code ec;
    std::filesystem::rename(temp, path, ec);
    if (ec) {
        ::unlink(temp.c_str());
        fail(path, "cannot move into place (" + ec.message() + ")");
    }
}

} // namespace tandem::model
