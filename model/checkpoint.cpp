#include "model/checkpoint.h"

#include <cstring>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

namespace tandem::model {

namespace fs = std::filesystem;

namespace {

torch::Dtype torchType(DType d) {
    switch (d) {
    case DType::F64:
        return torch::kFloat64;
    case DType::F32:
        return torch::kFloat32;
    case DType::F16:
        return torch::kFloat16;
    case DType::BF16:
        return torch::kBFloat16;
    case DType::I64:
        return torch::kInt64;
    case DType::I32:
        return torch::kInt32;
    case DType::I16:
        return torch::kInt16;
    case DType::I8:
        return torch::kInt8;
    case DType::U8:
        return torch::kUInt8;
    case DType::Bool:
        return torch::kBool;
    }
    return torch::kFloat32;
}

bool isFloating(DType d) {
    return d == DType::F64 || d == DType::F32 || d == DType::F16 || d == DType::BF16;
}

std::map<std::string, torch::Tensor> namedState(torch::nn::Module& module) {
    std::map<std::string, torch::Tensor> state;
    for (const auto& p : module.named_parameters(true))
        state[p.key()] = p.value();
    for (const auto& b : module.named_buffers(true))
        state[b.key()] = b.value();
    return state;
}

std::string shapeText(const std::vector<int64_t>& s) {
    std::ostringstream o;
    o << "[";
    for (size_t i = 0; i < s.size(); ++i)
        o << (i ? ", " : "") << s[i];
    o << "]";
    return o.str();
}

void listSome(std::ostringstream& out, const char* title, const std::vector<std::string>& names) {
    if (names.empty()) return;
    out << "\n  " << title << " (" << names.size() << "):";
    for (size_t i = 0; i < names.size() && i < 12; ++i)
        out << "\n    " << names[i];
    if (names.size() > 12) out << "\n    … and " << names.size() - 12 << " more";
}

} // namespace

namespace {

void writeTextAtomically(const std::string& path, const std::string& text) {
    std::error_code ec;
    {
        std::ofstream out(path + ".part", std::ios::binary | std::ios::trunc);
        out << text << "\n";
        if (!out.flush()) throw CheckpointError(path + ": cannot write");
    }
    fs::rename(path + ".part", path, ec);
    if (ec) throw CheckpointError(path + ": cannot move into place (" + ec.message() + ")");
}

} // namespace

torch::Tensor readTensor(const SafetensorsFile& file, const std::string& name) {
    const TensorView& v = file.at(name);
    // Copy out of the mapping: the data may be unaligned, and the file may go away.
    auto staged = torch::empty(v.shape, torch::TensorOptions().dtype(torchType(v.dtype)));
    std::memcpy(staged.data_ptr(), v.data, v.bytes);
    return staged;
}

void loadWeights(torch::nn::Module& module, const SafetensorsFile& file, const std::string& prefix,
                 const std::vector<std::string>& elsewhere) {
    loadWeights(module, std::vector<const SafetensorsFile*>{&file}, prefix, elsewhere);
}

void loadWeights(torch::nn::Module& module, const std::vector<const SafetensorsFile*>& files,
                 const std::string& prefix, const std::vector<std::string>& elsewhere) {
    if (files.empty()) throw CheckpointError("no weight files to load from");
    auto loadedElsewhere = [&](const std::string& name) {
        for (const auto& other : elsewhere)
            if (name.rfind(other, 0) == 0) return true;
        return false;
    };
    auto holder = [&](const std::string& name) -> const SafetensorsFile* {
        for (const auto* file : files)
            if (file->tensors().count(name)) return file;
        return nullptr;
    };
    const std::string where = files.size() == 1 ? files[0]->path()
                                                : fs::path(files[0]->path()).parent_path().string() + " (" +
                                                      std::to_string(files.size()) + " weight files)";
    auto state = namedState(module);
    std::vector<std::string> missing, unexpected, misshapen;
    for (const auto& [name, tensor] : state) {
        const auto* file = holder(prefix + name);
        if (!file) {
            missing.push_back(prefix + name);
            continue;
        }
        const TensorView& v = file->tensors().at(prefix + name);
        if (v.shape != tensor.sizes().vec())
            misshapen.push_back(prefix + name + ": file " + shapeText(v.shape) + ", network " +
                                shapeText(tensor.sizes().vec()));
        else if (isFloating(v.dtype) != tensor.is_floating_point())
            misshapen.push_back(prefix + name + ": file dtype " + dtypeName(v.dtype) +
                                " does not fit the network's");
    }
    for (const auto* file : files)
        for (const auto& [name, view] : file->tensors())
            if (name.rfind(prefix, 0) == 0 && !loadedElsewhere(name) &&
                !state.count(name.substr(prefix.size())))
                unexpected.push_back(name);
    if (!missing.empty() || !unexpected.empty() || !misshapen.empty()) {
        std::ostringstream out;
        out << where << ": weights do not match the network";
        listSome(out, "missing", missing);
        listSome(out, "unexpected", unexpected);
        listSome(out, "wrong shape or dtype", misshapen);
        throw CheckpointError(out.str());
    }
    torch::NoGradGuard noGrad;
    for (auto& [name, tensor] : state) {
        const auto* file = holder(prefix + name);
        auto staged = readTensor(*file, prefix + name);
        if (staged.is_floating_point() && !torch::isfinite(staged).all().item<bool>())
            throw CheckpointError(file->path() + ": tensor '" + prefix + name + "' holds NaN or Inf");
        tensor.copy_(staged.to(tensor.device(), tensor.scalar_type()));
    }
}

void saveCheckpoint(const std::string& dir, const ModelConfig& config, torch::nn::Module& module,
                    DType storeAs, const Tokenizer* tokenizer) {
    std::error_code ec;
    fs::create_directories(dir, ec);
    if (ec) throw CheckpointError(dir + ": cannot create the folder (" + ec.message() + ")");
    std::vector<torch::Tensor> keep; // owns the converted data until written
    std::vector<TensorToWrite> out;
    for (const auto& [name, tensor] : namedState(module)) {
        const bool floating = tensor.is_floating_point();
        const DType dtype =
            floating ? storeAs : (tensor.scalar_type() == torch::kInt64 ? DType::I64 : DType::I32);
        keep.push_back(tensor.detach().to(torch::kCPU, torchType(dtype)).contiguous());
        const auto& t = keep.back();
        out.push_back(
            {name, dtype, t.sizes().vec(), t.data_ptr(), static_cast<size_t>(t.numel() * t.element_size())});
    }
    writeSafetensors((fs::path(dir) / kWeightsFile).string(), out,
                     {{"format", "tandem"}, {"model", config.name}});
    writeTextAtomically((fs::path(dir) / kConfigFile).string(), config.toJson());
    const Tokenizer plain = plainTokenizer(config);
    writeTextAtomically((fs::path(dir) / kTokenizerFile).string(), (tokenizer ? *tokenizer : plain).toJson());
}

} // namespace tandem::model
