#include "model/rope.h"

namespace tandem::model {

namespace {

torch::Tensor axisAngles(const torch::Tensor& pos, int dim, double theta) {
    const auto opts = torch::TensorOptions().dtype(torch::kFloat64).device(pos.device());
    auto freqs = torch::pow(theta, -torch::arange(0, dim, 2, opts) / dim); // [dim/2]
    return pos.to(torch::kFloat64).unsqueeze(1) * freqs.unsqueeze(0);      // [N, dim/2]
}

} // namespace

torch::Tensor ropeAngles(const torch::Tensor& positions, int headDim, double theta) {
    const int rowDim = headDim / 4;
    const int colDim = headDim / 4;
    const int timeDim = headDim - rowDim - colDim;
    auto angles = torch::cat({axisAngles(positions.select(1, 0), timeDim, theta),
                              axisAngles(positions.select(1, 1), rowDim, theta),
                              axisAngles(positions.select(1, 2), colDim, theta)},
                             1);
    return angles.to(torch::kFloat32);
}

torch::Tensor applyRope(const torch::Tensor& x, const torch::Tensor& angles) {
    return applyRope(x, ropeTables(angles, x.scalar_type()));
}

RopeTables ropeTables(const torch::Tensor& angles, torch::Dtype dtype) {
    return {torch::cos(angles).repeat_interleave(2, 1).to(dtype).contiguous(),
            torch::sin(angles).repeat_interleave(2, 1).to(dtype).contiguous()};
}

torch::Tensor applyRope(const torch::Tensor& x, const RopeTables& tables) {
    const auto shape = x.sizes().vec();
    auto pairs = x.reshape({shape[0], shape[1], shape[2], shape[3] / 2, 2});
    auto swapped = torch::stack({pairs.select(-1, 1).neg(), pairs.select(-1, 0)}, -1).reshape(shape);
    return torch::addcmul(x * tables.cos, swapped, tables.sin);
}

} // namespace tandem::model
