#include "model/ltx2/block_streaming.h"

namespace tandem::model::ltx2 {

namespace {

std::vector<std::pair<std::string, torch::Tensor>> tensorsOf(torch::nn::Module& m) {
    std::vector<std::pair<std::string, torch::Tensor>> out;
    for (const auto& p : m.named_parameters())
        out.emplace_back(p.key(), p.value());
    for (const auto& b : m.named_buffers())
        out.emplace_back(b.key(), b.value());
    return out;
}

int64_t bytes(const torch::Tensor& t) {
    return t.numel() * static_cast<int64_t>(t.element_size());
}

} // namespace

BlockStreamer::BlockStreamer(AvTransformerImpl& model, torch::Device device) : device_(device) {
    keep(model, device, torch::kCPU, nullptr, {});
}

BlockStreamer::BlockStreamer(AvTransformerImpl& model, torch::Device device, torch::Device storage,
                             const SafetensorsFile& fp8Source, const std::string& prefix)
    : device_(device) {
    keep(model, device, storage, &fp8Source, prefix);
}

void BlockStreamer::keep(AvTransformerImpl& model, torch::Device device, torch::Device storage,
                         const SafetensorsFile* fp8Source, const std::string& prefix) {
    torch::NoGradGuard noGrad;
    // Pinned pages let a copy to the GPU run while the host queues the next work.
    const bool pin = device.is_cuda() && storage.is_cpu();
    auto place = [&](torch::Tensor t) {
        t = t.to(storage);
        return pin ? t.pin_memory() : t;
    };
    for (size_t i = 0; i < model.blocks.size(); ++i) {
        auto& block = model.blocks[i];
        std::vector<Stored> stored;
        for (auto& [name, tensor] : tensorsOf(*block)) {
            Stored s;
            const std::string full = prefix + "transformer_blocks." + std::to_string(i) + "." + name;
            if (fp8Source && fp8Source->tensors().count(full)) s.fp8 = readFp8(*fp8Source, full);
            if (s.fp8.bytes.defined()) {
                s.fp8.bytes = place(s.fp8.bytes);
                s.fp8.table = s.fp8.table.to(device);
                tensor.set_data(torch::empty({0}, tensor.options())); // the decoded copy is not needed
            } else {
                s.plain = place(tensor.detach());
                tensor.set_data(s.plain); // the block's own tensor is the kept one, not a second copy
            }
            stored.push_back(std::move(s));
        }
        host_.push_back(std::move(stored));
    }
    // The rest of the transformer on the device.
    for (auto& child : model.named_children())
        if (child.key() != "transformer_blocks") child.value()->to(device);
    for (auto& p : model.named_parameters(/*recurse=*/false))
        p.value().set_data(p.value().to(device));
    const auto dtype = model.patchify_proj->weight.scalar_type();
    slot_ = AvBlock(model.config, torch::TensorOptions().device(device).dtype(dtype));
    slot_->eval();
    for (auto& [name, tensor] : tensorsOf(*slot_))
        slotTensors_.push_back(tensor);
}

void BlockStreamer::run(StreamState& video, StreamState& audio, const Perturbations& perturbations) {
    torch::NoGradGuard noGrad;
    for (size_t i = 0; i < host_.size(); ++i) {
        for (size_t j = 0; j < slotTensors_.size(); ++j) {
            const Stored& s = host_[i][j];
            if (s.fp8.bytes.defined()) {
                Fp8Tensor onDevice = s.fp8;
                onDevice.bytes = s.fp8.bytes.to(device_, /*non_blocking=*/true);
                slotTensors_[j].copy_(onDevice.decode());
            } else {
                slotTensors_[j].copy_(s.plain, /*non_blocking=*/true);
            }
        }
        slot_->forward(video, audio, perturbations, static_cast<int>(i));
    }
}

int64_t BlockStreamer::slotBytes() const {
    int64_t n = 0;
    for (const auto& t : slotTensors_)
        n += bytes(t);
    return n;
}

int64_t BlockStreamer::hostBytes() const {
    int64_t n = 0;
    for (const auto& block : host_)
        for (const auto& s : block)
            n += s.fp8.bytes.defined() ? bytes(s.fp8.bytes) : bytes(s.plain);
    return n;
}

std::shared_ptr<BlockStreamer> streamBlocks(AvTransformer& model, torch::Device device) {
    auto streamer = std::make_shared<BlockStreamer>(*model, device);
    model->streamer = streamer;
    return streamer;
}

std::shared_ptr<BlockStreamer> streamBlocks(AvTransformer& model, torch::Device device, torch::Device storage,
                                            const SafetensorsFile& fp8Source, const std::string& prefix) {
    auto streamer = std::make_shared<BlockStreamer>(*model, device, storage, fp8Source, prefix);
    model->streamer = streamer;
    return streamer;
}

} // namespace tandem::model::ltx2
