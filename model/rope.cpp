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
    const auto shape = x.sizes().vec();
    auto pairs = x.reshape({shape[0], shape[1], shape[2], shape[3] / 2, 2});
    auto x0 = pairs.select(-1, 0);
    auto x1 = pairs.select(-1, 1);
    auto cos = torch::cos(angles).to(x.dtype());
    auto sin = torch::sin(angles).to(x.dtype());
    auto r0 = x0 * cos - x1 * sin;
    auto r1 = x0 * sin + x1 * cos;
    return torch::stack({r0, r1}, -1).reshape(shape);
}

} // namespace tandem::model
