// Design note: running the 22 B transformer on a GPU that cannot hold it (24 GB cards: its blocks alone
// are 38 GB in bf16). All 48 blocks have one shape, so the blocks' weights stay in host memory — pinned
// when CUDA is present, so copies to the device run asynchronously to the host — and one block-shaped
// "slot" lives on the device: for each block's turn its weights are copied into the slot, then the slot
// runs as that block (its index still picks its perturbations). Everything else of the transformer
// (patchify, AdaLN, output projections: well under 1 GB) stays on the device. The device holds one block
// (0.8 GB in bf16) instead of 48, at the cost of copying every block once per pass (PCIe: about 38 GB a pass).
// Copies and compute share the device's current stream, so they do not overlap yet: overlapping them
// takes a second CUDA stream, which needs the CUDA toolkit's headers at build time (docs/models.md).
// fp8 checkpoints (e4m3 with scales) keep their block weights as their bytes — half of bf16 — and each is
// decoded into the slot on the device for its turn (table[bytes] · scale, on the device). Kept on the
// device itself, the 22 B model's fp8 blocks (19 GB) and one bf16 slot fit a 24 GB card without copies
// from the host at all.
#pragma once

#include "model/checkpoint.h"
#include "model/ltx2/transformer.h"

#include <vector>

namespace tandem::model::ltx2 {

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
    int64_t slotBytes() const; // on the device
    int64_t hostBytes() const; // every block, where they are kept

private:
    struct Stored {
        torch::Tensor plain; // as loaded
        Fp8Tensor fp8;       // or its fp8 bytes (table on the device)
    };
    void keep(AvTransformerImpl& model, torch::Device device, torch::Device storage,
              const SafetensorsFile* fp8Source, const std::string& prefix);
    torch::Device device_;
    std::vector<std::vector<Stored>> host_; // per block: its parameters and buffers, in slot order
    AvBlock slot_{nullptr};
    std::vector<torch::Tensor> slotTensors_;
};

// Streams `model`'s blocks (see above). Returns the streamer it installed.
std::shared_ptr<BlockStreamer> streamBlocks(AvTransformer& model, torch::Device device);
// With fp8 weights kept as bytes on `storage` (see above).
std::shared_ptr<BlockStreamer> streamBlocks(AvTransformer& model, torch::Device device, torch::Device storage,
                                            const SafetensorsFile& fp8Source, const std::string& prefix);

} // namespace tandem::model::ltx2
