// Design note: our own reader and writer for the safetensors format — an 8-byte little-endian header length,
// a JSON header naming each tensor's dtype, shape and [begin, end) byte range, then the data. The reader
// memory-maps the file and trusts nothing: the header length must fit the file, the JSON must parse, every
// dtype must be known, every shape must match its byte range, every range must lie inside the data and no
// two ranges may overlap. Errors name the file and the tensor. No pickle or TorchScript is ever loaded.
// This file needs no torch; checkpoint.cpp turns the views into tensors.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

namespace tandem::model {

struct CheckpointError : std::runtime_error {
    using std::runtime_error::runtime_error;
};

// F8_E4M3 / F8_E5M2: 8-bit floats (LTX-2.3's fp8 files). LibTorch 1.13 has no such type: they are read as
// bytes and decoded to fp32 (readTensor), scaled by a sibling "…_scale" tensor when the file has one.
enum class DType { F64, F32, F16, BF16, I64, I32, I16, I8, U8, Bool, F8_E4M3, F8_E5M2 };
const char* dtypeName(DType d);
size_t dtypeSize(DType d);
inline bool isFp8(DType d) { return d == DType::F8_E4M3 || d == DType::F8_E5M2; }

struct TensorView {
    std::string name;
    DType dtype = DType::F32;
    std::vector<int64_t> shape;
    const uint8_t* data = nullptr; // points into the mapped file
    size_t bytes = 0;
};

class SafetensorsFile {
public:
    explicit SafetensorsFile(const std::string& path); // maps and validates; throws CheckpointError
    ~SafetensorsFile();
    SafetensorsFile(const SafetensorsFile&) = delete;
    SafetensorsFile& operator=(const SafetensorsFile&) = delete;

    const std::string& path() const { return path_; }
    const std::map<std::string, TensorView>& tensors() const { return tensors_; }
    const std::map<std::string, std::string>& metadata() const { return metadata_; }
    const TensorView& at(const std::string& name) const; // throws CheckpointError naming the tensor

private:
    std::string path_;
    void* map_ = nullptr;
    size_t size_ = 0;
    std::map<std::string, TensorView> tensors_;
    std::map<std::string, std::string> metadata_;
};

struct TensorToWrite {
    std::string name;
    DType dtype = DType::F32;
    std::vector<int64_t> shape;
    const void* data = nullptr;
    size_t bytes = 0;
};

// Writes a safetensors file atomically (temporary file, fsync, rename). Throws CheckpointError.
void writeSafetensors(const std::string& path, const std::vector<TensorToWrite>& tensors,
                      const std::map<std::string, std::string>& metadata = {});

} // namespace tandem::model
