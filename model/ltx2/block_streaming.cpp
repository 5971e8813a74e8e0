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

struct PlainCopier : WeightCopier {
    void copy(torch::Tensor& destination, const torch::Tensor& source) override {
        destination.copy_(source, /*non_blocking=*/true);
    }
};

} // namespace

#ifndef TANDEM_CUDA_COPIES
std::unique_ptr<WeightCopier> makeWeightCopier(torch::Device) { return std::make_unique<PlainCopier>(); }
#else
std::unique_ptr<WeightCopier> makeCudaWeightCopier(torch::Device device); // cuda_copies.cpp
std::unique_ptr<WeightCopier> makeWeightCopier(torch::Device device) {
    if (device.is_cuda()) return makeCudaWeightCopier(device);
    return std::make_unique<PlainCopier>();
}
#endif

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
    for (int k = 0; k < kSlots; ++k) {
        slots_[k] = AvBlock(model.config, torch::TensorOptions().device(device).dtype(dtype));
        slots_[k]->eval();
        for (auto& [name, tensor] : tensorsOf(*slots_[k])) {
            slotTensors_[k].push_back(tensor);
            // fp8 bytes kept in host memory land in a staging tensor on the device, decoded from there.
            const Stored& s = host_.front()[slotTensors_[k].size() - 1];
            staging_[k].push_back(s.fp8.bytes.defined() && !s.fp8.bytes.device().is_cuda() && device.is_cuda()
                                      ? torch::empty_like(s.fp8.bytes, torch::TensorOptions().device(device))
                                      : torch::Tensor());
        }
    }
    copier_ = makeWeightCopier(device);
}

void BlockStreamer::load(size_t block, int slot) {
    copier_->beforeCopies(slot);
    for (size_t j = 0; j < slotTensors_[slot].size(); ++j) {
        const Stored& s = host_[block][j];
        if (!s.fp8.bytes.defined())
            copier_->copy(slotTensors_[slot][j], s.plain);
        else if (staging_[slot][j].defined())
            copier_->copy(staging_[slot][j], s.fp8.bytes);
    }
    copier_->copiesQueued(slot);
}

void BlockStreamer::run(StreamState& video, StreamState& audio, const Perturbations& perturbations) {
    torch::NoGradGuard noGrad;
    if (host_.empty()) return;
    load(0, 0);
    for (size_t i = 0; i < host_.size(); ++i) {
        const int slot = static_cast<int>(i % kSlots);
        // The next block's copies are queued before this one runs, so they overlap its compute.
        if (i + 1 < host_.size()) load(i + 1, static_cast<int>((i + 1) % kSlots));
        copier_->beforeCompute(slot);
        for (size_t j = 0; j < slotTensors_[slot].size(); ++j) {
            const Stored& s = host_[i][j];
            if (!s.fp8.bytes.defined()) continue;
            Fp8Tensor onDevice = s.fp8;
            // Staged when copied from host memory; kept on the device already otherwise.
            onDevice.bytes = staging_[slot][j].defined() ? staging_[slot][j] : s.fp8.bytes.to(device_);
            slotTensors_[slot][j].copy_(onDevice.decode());
        }
        slots_[slot]->forward(video, audio, perturbations, static_cast<int>(i));
        copier_->afterCompute(slot);
    }
}

int64_t BlockStreamer::slotBytes() const {
    int64_t n = 0;
    for (const auto& t : slotTensors_[0])
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
