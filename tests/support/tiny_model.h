// The smallest model that exercises every code path: 32×32 frames, one transformer block, narrow VAEs.
// Model tests run it in well under a second per generation on one core.
#pragma once

#include "model/config.h"

namespace tandem::test {

inline model::ModelConfig tinyModelConfig() {
    model::ModelConfig c;
    c.name = "tiny";
    c.video.width = 32;
    c.video.height = 32;
    c.video.vae_channels = 8;
    c.audio.vae_channels = 8;
    c.text.width = 32;
    c.text.layers = 1;
    c.dit.width = 32;
    c.dit.heads = 2;
    c.dit.layers = 1;
    return c;
}

} // namespace tandem::test
