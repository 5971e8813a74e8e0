// Design note: the diffusion stage's training data — world clips encoded once by the frozen VAEs and kept
// as latents, so a training step pays for the transformer alone. Each item is one clip of the pool's
// length (the longest a recipe trains on; shorter stages train on windows of it), with what the tasks
// need beside it: the latent of its first frame as a still (image → shot), a reference picture of its
// first object alone on another wall, a reference of its speaker's voice saying other words, and its
// caption with and without that object's colour (and shape) named. New clips replace old ones as
// training goes (a replay pool), and the pool is saved beside the checkpoint so a resumed run does not
// encode it again. Internal to the trainer.
#pragma once

#include "model/config.h"

#include <torch/torch.h>

#include <cstdint>
#include <string>
#include <vector>

namespace tandem::model {

struct TandemModelImpl;

struct PoolItem {
    torch::Tensor video, audio, still; // [Cv, T, h, w], [Ca, L], [Cv, 1, h, w]
    torch::Tensor objectRef;           // [Cv, 1, h, w]: the first object alone, on another wall
    torch::Tensor voiceRef;            // [Ca, Lr]: the speaker saying other words; undefined without one
    std::string caption;               // as the world writes it
    std::string captionNoColour;       // the first object's colour left out
    std::string captionNoColourShape;  // … and its shape word "object"
};

// Seconds of voice in a voice reference.
inline constexpr double kVoiceReferenceSeconds = 1.5;

class LatentPool {
public:
    LatentPool(const ModelConfig& cfg, double seconds, size_t capacity) : cfg_(cfg), seconds_(seconds), capacity_(capacity) {}

    // Renders world clip `seed`, encodes it with `net`'s VAEs on `device` and adds it (replacing the
    // oldest item once the pool is full).
    void add(TandemModelImpl& net, const torch::Device& device, uint64_t seed);
    size_t size() const { return items_.size(); }
    const PoolItem& operator[](size_t i) const { return items_[i]; }
    double seconds() const { return seconds_; }
    uint64_t added() const { return added_; } // items ever added (the next seed index)

    // pool.safetensors + pool.json in `dir` (fp16 latents); load returns false when none fits this pool.
    void save(const std::string& dir) const;
    bool load(const std::string& dir);

private:
    ModelConfig cfg_;
    double seconds_;
    size_t capacity_;
    std::vector<PoolItem> items_;
    uint64_t added_ = 0;
};

} // namespace tandem::model
