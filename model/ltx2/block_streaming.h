// Design note: running the 22 B transformer on a GPU that cannot hold it (24 GB cards: its blocks alone
// are 38 GB in bf16). All 48 blocks have one shape, so the blocks' weights stay in host memory — pinned
// when CUDA is present, so copies to the device run asynchronously to the host — and block-shaped "slots"
// live on the device: for each block's turn its weights are copied into a slot, then the slot runs as that
// block (its index still picks its perturbations). Everything else of the transformer
// (patchify, AdaLN, output projections: well under 1 GB) stays on the device. The device holds two blocks
// (0.8 GB each in bf16) instead of 48, at the cost of copying every block once per pass (PCIe: about 38 GB a pass).
// Two slots take turns: while one runs its block, the next block's weights are copied into the other.
// Built with the CUDA runtime (TANDEM_CUDA_COPIES, on when LibTorch has CUDA) the copies run on a CUDA
// stream of their own and overlap the compute, ordered by events: a block runs once its copies are done,
// and a slot is refilled once the block it held has run. Elsewhere the same schedule runs with plain
// copies (WeightCopier), which is how the CPU tests check it.
// fp8 checkpoints (e4m3 with scales) keep their block weights as their bytes — half of bf16 — and each is
// decoded into the slot on the device for its turn (table[bytes] · scale, on the device). Kept on the
// device itself, the 22 B model's fp8 blocks (19 GB) and the two bf16 slots fit a 24 GB card without
// copies from the host at all.
#pragma once

#include "model/checkpoint.h"
#include "model/ltx2/transformer.h"

#include <vector>

namespace tandem::model::ltx2 {

// Copies block weights from host memory to the device and orders them against the blocks' compute. The
// plain copier copies at once (nothing to order); the CUDA one queues on its own stream.
class WeightCopier {
public:
    virtual ~WeightCopier() = default;
    virtual void copy(torch::Tensor& destination, const torch::Tensor& source) = 0;
    virtual void copiesQueued(int /*slot*/) {}    // after a slot's copies are queued
    virtual void beforeCompute(int /*slot*/) {}   // the compute waits for that slot's copies
    virtual void afterCompute(int /*slot*/) {}    // the slot's block has been queued to run
    virtual void beforeCopies(int /*slot*/) {}    // copies into a slot wait until its last block has run
};
// The copier for `device`: the CUDA stream one when built with it and `device` is CUDA, else plain copies.
std::unique_ptr<WeightCopier> makeWeightCopier(torch::Device device);

class BlockStreamer {
public:
    // Takes `model`'s blocks to host memory and makes the slot on `device`; the rest of `model` moves to
    // `device`. The model then runs its blocks through this streamer (AvTransformerImpl::streamer).
    BlockStreamer(AvTransformerImpl& model, torch::Device device);
    // The same, with the blocks' weights that `fp8Source` stores as fp8 (names under `prefix`) kept as their
    // bytes on `storage`: host memory (pinned), or `device` itself.
    BlockStreamer(AvTransformerImpl& model, torch::Device device, torch::Device storage,
                  const SafetensorsFile& fp8Source, const std::string& prefix);
    void run(StreamState& video, StreamState& audio, const Perturbations& perturbations);
    int64_t slotBytes() const; // one slot, on the device (there are kSlots)
    int64_t hostBytes() const; // every block, where they are kept

private:
    struct Stored {
        torch::Tensor plain; // as loaded
        Fp8Tensor fp8;       // or its fp8 bytes (table on the device)
    };
    void keep(AvTransformerImpl& model, torch::Device device, torch::Device storage,
              const SafetensorsFile* fp8Source, const std::string& prefix);
    void load(size_t block, int slot);
    static constexpr int kSlots = 2;
    torch::Device device_;
    std::vector<std::vector<Stored>> host_; // per block: its parameters and buffers, in slot order
    AvBlock slots_[kSlots] = {AvBlock{nullptr}, AvBlock{nullptr}};
    std::vector<torch::Tensor> slotTensors_[kSlots];
    std::vector<torch::Tensor> staging_[kSlots]; // fp8 bytes copied to the device, decoded into the slot
    std::unique_ptr<WeightCopier> copier_;
};

// Streams `model`'s blocks (see above). Returns the streamer it installed.
std::shared_ptr<BlockStreamer> streamBlocks(AvTransformer& model, torch::Device device);
// With fp8 weights kept as bytes on `storage` (see above).
std::shared_ptr<BlockStreamer> streamBlocks(AvTransformer& model, torch::Device device, torch::Device storage,
                                            const SafetensorsFile& fp8Source, const std::string& prefix);

} // namespace tandem::model::ltx2
