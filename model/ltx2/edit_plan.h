// Design note: how each of Tandem's tasks becomes LTX-2 conditioning — known pictures and sound, a mask per
// stream — and how the result keeps what the user kept. The counterpart of model/tasks.h for a model whose
// shots are 8k + 1 frames (the causal VAE's first frame stands alone) and whose sound is 48 kHz:
//   - the network's shot is the output's length rounded up to 8k + 1 frames (the extra frames are made and
//     cut off); for extension after a shot, the source's last context frames plus the new ones; before a
//     shot, the new frames alone, guided by the source's first frames as keyframes placed just after them;
//   - a latent cell is made if any pixel or sample it covers is made: painted pixels pooled over the
//     cell's 32 × 32 pixels and its frames (the first latent frame covers frame 0 alone), a time window
//     as upstream's TemporalRegionMask marks tokens whose span meets it;
//   - a stream the task keeps whole (the pictures in foley, the voice in dub, the sound in inpainting and
//     restyle) is frozen, as upstream's audio-to-video pipeline freezes its sound;
//   - restyle starts from the source's latents noised to the strength (upstream's noise scale);
//   - afterwards every kept pixel and sample is copied from the source bit for bit (the engine's promise).
// Not ported: references (refused by reason).
#pragma once

#include "model/engine.h"
#include "model/ltx2/pipeline.h"
#include "model/tasks.h"

namespace tandem::model::ltx2 {

// The source placed on the output and what of it is kept (PlacedMedia), and what the network makes.
struct LtxEditPlan : PlacedMedia {
    LtxShotRequest request; // what the network makes
    ModelConfig delivery;   // the output's geometry: the engine's size and frame rate, the vocoder's rate
    // The output frame and sample the network's first frame and sample stand at (extension: past the
    // source's start).
    int64_t networkFirstFrame = 0, networkFirstSample = 0;
};

// `base` carries the delivery geometry, guidance, seed and steps already. Throws std::invalid_argument with
// a reason a user can act on.
LtxEditPlan planLtxEdit(const ShotRequest& request, const LtxModel& model, LtxShotRequest base);

// The network's shot put in place: cut to the output's length, kept pixels and samples copied back (the
// plan's placed media become the shot's).
Shot finishLtxEdit(LtxEditPlan&& plan, const LtxShot& made);

} // namespace tandem::model::ltx2
