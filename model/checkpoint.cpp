#include "model/checkpoint.h"

#include <cmath>
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
    case DType::F8_E4M3:
    case DType::F8_E5M2:
        return torch::kUInt8; // the raw bytes; see decodeFp8
    }
    return torch::kFloat32;
}


bool isFloating(DType d) {
    return d == DType::F64 || d == DType::F32 || d == DType::F16 || d == DType::BF16 || isFp8(d);
}

// The 256 values of an 8-bit float. E4M3 ("fn": no infinities, 0x7F/0xFF are NaN): bias 7, 3 mantissa
// bits. E5M2: bias 15, 2 mantissa bits, IEEE-style infinities and NaNs.
torch::Tensor fp8Table(DType d) {
    const bool e4m3 = d == DType::F8_E4M3;
    const int mantissaBits = e4m3 ? 3 : 2, bias = e4m3 ? 7 : 15, maxExponent = e4m3 ? 15 : 31;
    std::vector<float> values(256);
    for (int byte = 0; byte < 256; ++byte) {
        const int sign = byte >> 7, exponent = (byte >> mantissaBits) & maxExponent;
        const int mantissa = byte & ((1 << mantissaBits) - 1);
        const double fraction = static_cast<double>(mantissa) / (1 << mantissaBits);
        double v = 0;
        if (exponent == 0)
            v = std::ldexp(fraction, 1 - bias); // subnormal
        else if (e4m3 && exponent == maxExponent && mantissa == (1 << mantissaBits) - 1)
            v = std::nan("");
        else if (!e4m3 && exponent == maxExponent)
            v = mantissa == 0 ? INFINITY : std::nan("");
        else
            v = std::ldexp(1.0 + fraction, exponent - bias);
        values[static_cast<size_t>(byte)] = static_cast<float>(sign ? -v : v);
    }
    return torch::tensor(values);
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

torch::Tensor Fp8Tensor::decode() const {
    return table.to(bytes.device()).index_select(0, bytes.flatten().to(torch::kLong)).view(bytes.sizes()) * scale;
}

Fp8Tensor readFp8(const SafetensorsFile& file, const std::string& name) {
    Fp8Tensor out;
    const TensorView& v = file.at(name);
    if (!isFp8(v.dtype)) return out;
    out.bytes = torch::empty(v.shape, torch::kUInt8);
    std::memcpy(out.bytes.data_ptr(), v.data, v.bytes);
    out.table = fp8Table(v.dtype);
    if (file.tensors().count(name + "_scale")) {
        auto scale = readTensor(file, name + "_scale").to(torch::kFloat32);
        if (scale.numel() != 1) throw CheckpointError(file.path() + ": '" + name + "_scale' is not one number");
        out.scale = scale.item<float>();
    }
    return out;
}

torch::Tensor readTensor(const SafetensorsFile& file, const std::string& name) {
    const TensorView& v = file.at(name);
    // Copy out of the mapping: the data may be unaligned, and the file may go away.
    auto staged = torch::empty(v.shape, torch::TensorOptions().dtype(torchType(v.dtype)));
    std::memcpy(staged.data_ptr(), v.data, v.bytes);
    if (isFp8(v.dtype))
        return fp8Table(v.dtype).index_select(0, staged.flatten().to(torch::kLong)).view(v.shape);
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
    // A quantised tensor's scale ("X_scale" beside "X") is consumed with it, not a tensor of its own.
    const std::string kScale = "_scale";
    auto isScaleOf = [&](const std::string& name) {
        const size_t n = kScale.size();
        return name.size() > prefix.size() + n && name.compare(name.size() - n, n, kScale) == 0 &&
               state.count(name.substr(prefix.size(), name.size() - n - prefix.size()));
    };
    for (const auto* file : files)
        for (const auto& [name, view] : file->tensors())
            if (name.rfind(prefix, 0) == 0 && !loadedElsewhere(name) &&
                !state.count(name.substr(prefix.size())) && !isScaleOf(name))
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
        if (const auto* scaleFile = holder(prefix + name + kScale)) {
            auto scale = readTensor(*scaleFile, prefix + name + kScale).to(torch::kFloat32);
            if (scale.numel() != 1)
                throw CheckpointError(scaleFile->path() + ": '" + prefix + name + kScale +
                                      "' is not one number");
            staged = staged.to(torch::kFloat32) * scale.reshape({});
        }
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
