// Design note: rotary position embedding on three axes (time, row, column). Each token gets a position
// triple; the time coordinate is seconds × rope_time_rate for both video and audio tokens (see TimeBase),
// so the two streams rotate in step. Text tokens sit at the origin, which leaves them unrotated.
// The head dimension is split half for time, a quarter each for rows and columns.
#pragma once

#include <torch/torch.h>

namespace tandem::model {

// positions: [N, 3] float (t, y, x) → angles [N, head_dim / 2].
torch::Tensor ropeAngles(const torch::Tensor& positions, int headDim, double theta);

// x: [B, heads, N, head_dim]; angles: [N, head_dim / 2]. Rotates consecutive pairs of channels.
torch::Tensor applyRope(const torch::Tensor& x, const torch::Tensor& angles);

// The same rotation from tables made once per forward pass (not once per block): cos and sin repeated to
// full head width [N, head_dim]; x · cos + swapPairs(x) · sin with swapPairs(x₀, x₁) = (−x₁, x₀).
struct RopeTables {
    torch::Tensor cos, sin;
};
RopeTables ropeTables(const torch::Tensor& angles, torch::Dtype dtype);
torch::Tensor applyRope(const torch::Tensor& x, const RopeTables& tables);

} // namespace tandem::model
