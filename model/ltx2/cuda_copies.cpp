// Block weights copied to a CUDA device on a stream of their own, so the copies overlap the blocks' compute
// (block_streaming.h). Built only with TANDEM_CUDA_COPIES (the CUDA runtime at build time). LibTorch's
// kernels run on its current stream; without c10's CUDA library that is taken to be the default (null)
// stream, which is LibTorch's unless a caller switches streams — this program never does. The copy stream
// is non-blocking, so nothing orders it against the null stream but the events below.
#include "model/ltx2/block_streaming.h"

#include <cuda_runtime_api.h>

#include <stdexcept>
#include <string>

namespace tandem::model::ltx2 {

namespace {

void check(cudaError_t status, const char* what) {
    if (status != cudaSuccess)
        throw std::runtime_error(std::string("CUDA ") + what + ": " + cudaGetErrorString(status));
}

class CudaWeightCopier : public WeightCopier {
public:
    explicit CudaWeightCopier(torch::Device device) {
        check(cudaSetDevice(device.has_index() ? device.index() : 0), "cudaSetDevice");
        check(cudaStreamCreateWithFlags(&copies_, cudaStreamNonBlocking), "cudaStreamCreateWithFlags");
        for (auto* events : {copied_, computed_})
            for (int k = 0; k < 2; ++k)
                check(cudaEventCreateWithFlags(&events[k], cudaEventDisableTiming), "cudaEventCreateWithFlags");
    }
    ~CudaWeightCopier() override {
        cudaStreamSynchronize(copies_);
        for (auto* events : {copied_, computed_})
            for (int k = 0; k < 2; ++k)
                cudaEventDestroy(events[k]);
        cudaStreamDestroy(copies_);
    }
    void copy(torch::Tensor& destination, const torch::Tensor& source) override {
        // Only a copy from pinned pages runs asynchronously; anything else is a mistake upstream of here.
        if (!destination.is_cuda() || !source.is_pinned() || !destination.is_contiguous() ||
            !source.is_contiguous() || destination.nbytes() != source.nbytes() ||
            destination.scalar_type() != source.scalar_type())
            throw std::logic_error("a block weight copy needs pinned, contiguous host memory of the slot's size");
        check(cudaMemcpyAsync(destination.data_ptr(), source.data_ptr(), source.nbytes(), cudaMemcpyHostToDevice,
                              copies_),
              "cudaMemcpyAsync");
    }
    void copiesQueued(int slot) override { check(cudaEventRecord(copied_[slot], copies_), "cudaEventRecord"); }
    void beforeCompute(int slot) override {
        check(cudaStreamWaitEvent(kCompute, copied_[slot], 0), "cudaStreamWaitEvent");
    }
    void afterCompute(int slot) override { check(cudaEventRecord(computed_[slot], kCompute), "cudaEventRecord"); }
    // An event not yet recorded (the first use of a slot) makes the wait a no-op.
    void beforeCopies(int slot) override {
        check(cudaStreamWaitEvent(copies_, computed_[slot], 0), "cudaStreamWaitEvent");
    }

private:
    static constexpr cudaStream_t kCompute = nullptr; // LibTorch's default stream
    cudaStream_t copies_ = nullptr;
    cudaEvent_t copied_[2] = {}, computed_[2] = {};
};

} // namespace

std::unique_ptr<WeightCopier> makeCudaWeightCopier(torch::Device device) {
    return std::make_unique<CudaWeightCopier>(device);
}

} // namespace tandem::model::ltx2
