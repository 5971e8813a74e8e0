// Design note: running the 22 B transformer on a GPU that cannot hold it (24 GB cards: its blocks alone
// are 38 GB in bf16). All 48 blocks have one shape, so the blocks' weights stay in host memory — pinned
// when CUDA is present, so copies to the device run asynchronously to the host — and one block-shaped
// "slot" lives on the device: for each block's turn its weights are copied into the slot, then the slot
// runs as that block (its index still picks its perturbations). Everything else of the transformer
// (patchify, AdaLN, output projections: well under 1 GB) stays on the device. The device holds one block
// (0.4 GB) instead of 48, at the cost of copying every block once per pass (PCIe: about 38 GB a pass).
// Copies and compute share the device's current stream, so they do not overlap yet: overlapping them
// takes a second CUDA stream, which needs the CUDA toolkit's headers at build time (docs/models.md).
#pragma once

#include "model/ltx2/transformer.h"

#include <vector>

namespace tandem::model::ltx2 {

class BlockStreamer {
public:
    // Takes `model`'s blocks to host memory and makes the slot on `device`; the rest of `model` moves to
    // `device`. The model then runs its blocks through this streamer (AvTransformerImpl::streamer).
    BlockStreamer(AvTransformerImpl& model, torch::Device device);
    void run(StreamState& video, StreamState& audio, const Perturbations& perturbations);
    int64_t slotBytes() const; // on the device
    int64_t hostBytes() const; // every block, in host memory

private:
    std::vector<std::vector<torch::Tensor>> host_; // per block: its parameters and buffers, in slot order
    AvBlock slot_{nullptr};
    std::vector<torch::Tensor> slotTensors_;
};

// Streams `model`'s blocks (see above). Returns the streamer it installed.
std::shared_ptr<BlockStreamer> streamBlocks(AvTransformer& model, torch::Device device);

} // namespace tandem::model::ltx2
