// Design note: the lossless shot file — what the engine writes and reads instead of lossy media. One
// safetensors file holds the frames (U8 [F, H, W, 3]), the mono waveform (F32 [N]), the latents of both
// streams (so extension continues without a pixel round trip) and the frame and sample rates as metadata.
// Editors keep takes as shot files; MP4 is only for viewing and export. No torch needed.
#pragma once

#include "model/engine.h"

#include <string>

namespace tandem::model {

void writeShotFile(const std::string& path, const Shot& shot); // atomic; throws CheckpointError
Shot readShotFile(const std::string& path);                    // validates; throws CheckpointError
bool looksLikeShotFile(const std::string& path);               // by extension and header

// An inpaint mask travels beside its shot: U8 [F, H, W], non-zero = repaint.
void writeMaskFile(const std::string& path, const std::vector<uint8_t>& mask, int64_t frames, int height, int width);
std::vector<uint8_t> readMaskFile(const std::string& path);

} // namespace tandem::model
