#include "model/ltx2/rope.h"

#include <cmath>
#include <stdexcept>

namespace tandem::model::ltx2 {

namespace {

// theta^linspace(0, 1, count) · π/2. The float64 variant follows numpy's linspace (i · step, the last
// point exactly 1) and rounds once to float32 at the end; the float32 variant is torch's own.
torch::Tensor frequencies(double theta, int count, bool doublePrecision) {
    if (!doublePrecision) {
        auto exponents = torch::linspace(0.0, 1.0, count, torch::kFloat32);
        return torch::pow(theta, exponents) * M_PI / 2;
    }
    std::vector<float> values(static_cast<size_t>(count));
    const double step = count > 1 ? 1.0 / (count - 1) : 0.0;
    for (int i = 0; i < count; ++i) {
        const double exponent = (count > 1 && i == count - 1) ? 1.0 : i * step;
        values[static_cast<size_t>(i)] = static_cast<float>(std::pow(theta, exponent) * M_PI / 2);
    }
    return torch::tensor(values, torch::kFloat32);
}

} // namespace

RopeTable ropeTable(const torch::Tensor& positions, int width, int heads, const std::vector<int>& maxPos,
                    double theta, bool doublePrecision, torch::Dtype dtype) {
    const int64_t axes = positions.size(1);
    if (positions.dim() != 4 || positions.size(3) != 2 || axes != static_cast<int64_t>(maxPos.size()))
        throw std::invalid_argument("rope positions must be [B, axes, T, 2] with one extent per axis");
    const int count = width / static_cast<int>(2 * axes);
    auto freqs = frequencies(theta, count, doublePrecision).to(positions.device());

    auto spans = positions.to(torch::kFloat32);
    auto middle = (spans.select(3, 0) + spans.select(3, 1)) / 2.0; // [B, axes, T]
    std::vector<torch::Tensor> fractions;
    for (int64_t i = 0; i < axes; ++i) fractions.push_back(middle.select(1, i) / maxPos[static_cast<size_t>(i)]);
    auto fraction = torch::stack(fractions, -1);                                   // [B, T, axes]
    auto angles = (freqs * (fraction.unsqueeze(-1) * 2 - 1)).transpose(-1, -2).flatten(2); // [B, T, count·axes]

    auto cos = angles.cos(), sin = angles.sin();
    const int64_t pad = width / 2 - angles.size(-1);
    if (pad > 0) {
        cos = torch::cat({torch::ones_like(cos.narrow(2, 0, pad)), cos}, -1);
        sin = torch::cat({torch::zeros_like(sin.narrow(2, 0, pad)), sin}, -1);
    }
    const int64_t b = cos.size(0), t = cos.size(1);
    cos = cos.reshape({b, t, heads, -1}).transpose(1, 2);
    sin = sin.reshape({b, t, heads, -1}).transpose(1, 2);
    return {cos.to(dtype), sin.to(dtype)};
}

torch::Tensor applyRope(const torch::Tensor& x, const RopeTable& table) {
    const int64_t b = x.size(0), t = x.size(1), heads = table.cos.size(1);
    auto split = x.reshape({b, t, heads, -1}).transpose(1, 2); // [B, heads, T, head_dim]
    const int64_t half = split.size(-1) / 2;
    auto first = split.narrow(-1, 0, half), second = split.narrow(-1, half, half);
    auto rotatedFirst = (first * table.cos).addcmul_(-table.sin, second);
    auto rotatedSecond = (second * table.cos).addcmul_(table.sin, first);
    return torch::cat({rotatedFirst, rotatedSecond}, -1).transpose(1, 2).reshape({b, t, -1});
}

} // namespace tandem::model::ltx2
