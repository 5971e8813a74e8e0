#include "model/ltx2/block_streaming.h"

namespace tandem::model::ltx2 {

namespace {

std::vector<torch::Tensor> tensorsOf(torch::nn::Module& m) {
    std::vector<torch::Tensor> out;
    for (const auto& p : m.named_parameters())
        out.push_back(p.value());
    for (const auto& b : m.named_buffers())
        out.push_back(b.value());
    return out;
}

int64_t bytes(const std::vector<torch::Tensor>& ts) {
    int64_t n = 0;
    for (const auto& t : ts)
        n += t.numel() * static_cast<int64_t>(t.element_size());
    return n;
}

} // namespace

BlockStreamer::BlockStreamer(AvTransformerImpl& model, torch::Device device) {
    torch::NoGradGuard noGrad;
    const bool pin = device.is_cuda();
    for (auto& block : model.blocks) {
        block->to(torch::kCPU);
        auto tensors = tensorsOf(*block);
        // Pinned pages let the copy to the device run while the host queues the next work.
        if (pin)
            for (auto& t : tensors)
                t.set_data(t.pin_memory());
        host_.push_back(std::move(tensors));
    }
    // The rest of the transformer on the device; the blocks stay behind (they are not in `model`'s tree
    // for this move: their own to() above already placed them).
    for (auto& child : model.named_children())
        if (child.key() != "transformer_blocks") child.value()->to(device);
    for (auto& p : model.named_parameters(/*recurse=*/false))
        p.value().set_data(p.value().to(device));
    const auto dtype = host_.empty() || host_[0].empty() ? torch::kFloat32 : host_[0][0].scalar_type();
    slot_ = AvBlock(model.config, torch::TensorOptions().device(device).dtype(dtype));
    slot_->eval();
    slotTensors_ = tensorsOf(*slot_);
}

void BlockStreamer::run(StreamState& video, StreamState& audio, const Perturbations& perturbations) {
    torch::NoGradGuard noGrad;
    for (size_t i = 0; i < host_.size(); ++i) {
        for (size_t j = 0; j < slotTensors_.size(); ++j)
            slotTensors_[j].copy_(host_[i][j], /*non_blocking=*/true);
        slot_->forward(video, audio, perturbations, static_cast<int>(i));
    }
}

int64_t BlockStreamer::slotBytes() const {
    return bytes(slotTensors_);
}

int64_t BlockStreamer::hostBytes() const {
    int64_t n = 0;
    for (const auto& block : host_)
        n += bytes(block);
    return n;
}

std::shared_ptr<BlockStreamer> streamBlocks(AvTransformer& model, torch::Device device) {
    auto streamer = std::make_shared<BlockStreamer>(*model, device);
    model->streamer = streamer;
    return streamer;
}

} // namespace tandem::model::ltx2
