// Design note: `tandem-cli eval` — the model's quality in numbers. For each held-out world seed (below
// model::kFirstTrainingSeed, so never seen in training) it renders the ground-truth clip, asks the model to
// do every task on it (generate from its caption, image from its first frame, inpaint the region its first
// object moves through, retake the middle third, extend 4 times, restyle to another backdrop, foley for
// its silent picture, dub its voice), and measures each output from the media alone:
//   impact sync  |video impact frame − nearest audio onset| (render/sync_metrics), median and p90;
//   lip sync     best lag and correlation of mouth openness (from the pixels) and the voice envelope;
//   adherence    the caption's colour / shape / motion found with OpenCV (render/adherence);
//   keeps        what a task must not touch is bit-identical (pixels outside the mask, kept audio, …);
//   extension    boundary jumps and backdrop colour drift after 4 chained extensions.
// --ground-truth measures the truth clips themselves in place of the outputs: the ceiling of each metric.
#pragma once

#include <string>
#include <vector>

namespace tandem::app {

// Runs `tandem-cli eval` with the words after the command. Returns the exit status (0, or 1 when a target
// is missed and --check is given).
int runEval(const std::vector<std::string>& words, const std::string& programDir);

extern const char* kEvalUsage;

} // namespace tandem::app
