// Design note: LTX-2.3's vocoder — the stereo mel spectrogram to a 48 kHz waveform, in two stages. A
// BigVGAN v2 generator (transposed-convolution upsampling, each followed by the mean of several AMP
// residual blocks whose SnakeBeta activations run at twice the rate between Kaiser-sinc filters, so they
// do not alias) turns the mel into 16 kHz audio. The bandwidth extension then takes a causal STFT →
// log-mel of that audio (bases stored in the checkpoint), runs a second generator to predict the missing
// high band, and adds it to the 16 kHz audio resampled ×3 by a Hann-windowed sinc; the sum is clipped
// to [−1, 1]. It runs in fp32 whatever the weights' dtype: bf16 accumulation through its ~100
// convolutions audibly degrades it (upstream measured 40–90 % worse spectral figures).
#pragma once

#include "model/safetensors.h"

#include <torch/torch.h>

#include <vector>

namespace tandem::model::ltx2 {

struct GeneratorConfig {
    int initial_channels = 1024;
    std::vector<int> upsample_rates{6, 5, 2, 2, 2};
    std::vector<int> upsample_kernels{16, 15, 8, 4, 4};
    std::vector<int> resblock_kernels{3, 7, 11};
    std::vector<std::vector<int>> resblock_dilations{{1, 3, 5}, {1, 3, 5}, {1, 3, 5}};
    bool tanh_at_final = true;  // else clamp to [−1, 1]
    bool bias_at_final = true;
    bool final_activation = true;
};

struct VocoderConfig {
    GeneratorConfig vocoder, bwe;
    int input_rate = 16000, output_rate = 48000; // the extension's rates
    int n_fft = 512, hop = 80, mels = 64;
};

// Reads the "vocoder" object (LTX-2.3: nested "vocoder" and "bwe"); the LTX-2 19B HiFi-GAN vocoder and
// other variants are refused by name. Throws CheckpointError.
VocoderConfig parseVocoderConfig(const std::string& configJson, const std::string& where);

struct VocoderImpl : torch::nn::Module {
    VocoderImpl(const VocoderConfig& c, const torch::TensorOptions& options = {});
    // mel: [B, 2, frames, mel bins] → waveform [B, 2, samples at output_rate], in [−1, 1].
    torch::Tensor forward(const torch::Tensor& mel);
    VocoderConfig config;
};
TORCH_MODULE(Vocoder);

// The vocoder a checkpoint's header describes, loaded strictly from "vocoder.". Throws CheckpointError.
Vocoder loadVocoder(const SafetensorsFile& file, const torch::TensorOptions& options = {});
// From `file` under `prefix` ("vocoder." in a single file) with the header given.
Vocoder loadVocoder(const SafetensorsFile& file, const std::string& configJson, const std::string& prefix,
                    const torch::TensorOptions& options = {});

} // namespace tandem::model::ltx2
