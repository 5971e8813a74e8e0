// Design note: LTX-2's rotary position embedding. Every token carries, per axis, the [start, end) span
// it covers (video: seconds, pixel rows, pixel columns; audio: seconds — positions.h builds them) and is
// rotated at the middle of that span, as a fraction of the axis extent (max_pos) mapped to [-1, 1].
// Frequencies are theta^linspace(0, 1, n) · π/2 (computed in float64 when the checkpoint asks for it, then
// stored as float32); they are laid out frequency-major, axis-minor, and the table is left-padded with
// unrotated channels (cos 1, sin 0) up to half the width. Rotation is "split": channel i of a head turns
// with channel i + head_dim/2 of the same head (the legacy interleaved layout is refused by config.cpp).
// The arithmetic follows the upstream order in float32 exactly: the angles reach 10⁴ radians, where a
// float32 ulp is 10⁻³, so any reordering would show as a visible difference in the tables.
#pragma once

#include <torch/torch.h>

#include <vector>

namespace tandem::model::ltx2 {

struct RopeTable {
    torch::Tensor cos, sin; // [B, heads, T, head_dim / 2]
};

// positions: [B, axes, T, 2] spans; width: the attention width the table is for; maxPos: one per axis.
RopeTable ropeTable(const torch::Tensor& positions, int width, int heads, const std::vector<int>& maxPos,
                    double theta, bool doublePrecision, torch::Dtype dtype);

// x: [B, T, heads · head_dim] → rotated, same shape.
torch::Tensor applyRope(const torch::Tensor& x, const RopeTable& table);

} // namespace tandem::model::ltx2
