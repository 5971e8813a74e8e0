#include "model/ltx2/positions.h"

namespace tandem::model::ltx2 {

torch::Tensor videoPositions(int64_t batch, int64_t frames, int64_t height, int64_t width, double fps,
                             VideoScale scale, bool causal) {
    auto grid = torch::meshgrid({torch::arange(frames), torch::arange(height), torch::arange(width)}, "ij");
    auto starts = torch::stack({grid[0], grid[1], grid[2]}).reshape({3, -1}); // [3, T] latent cells
    auto spans = torch::stack({starts, starts + 1}, -1);                      // [3, T, 2]
    auto factors = torch::tensor({scale.time, scale.height, scale.width}, torch::kInt64).view({3, 1, 1});
    auto pixels = (spans * factors).unsqueeze(0).repeat({batch, 1, 1, 1}); // [B, 3, T, 2]
    if (causal) {
        auto time = pixels.select(1, 0);
        time.copy_((time + 1 - scale.time).clamp_min(0));
    }
    auto positions = pixels.to(torch::kFloat32);
    positions.select(1, 0).div_(fps);
    return positions;
}

torch::Tensor audioPositions(int64_t batch, int64_t frames, AudioScale scale, int64_t shift, bool causal) {
    auto seconds = [&](int64_t from) {
        auto mel = torch::arange(from, from + frames, torch::kFloat32) * scale.latent_downsample;
        if (causal) mel = (mel + 1 - scale.latent_downsample).clamp_min(0);
        return mel * scale.hop / scale.sample_rate;
    };
    auto spans = torch::stack({seconds(shift), seconds(shift + 1)}, -1); // [T, 2]
    return spans.view({1, 1, frames, 2}).repeat({batch, 1, 1, 1});
}

} // namespace tandem::model::ltx2
