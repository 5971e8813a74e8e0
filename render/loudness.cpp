#include "render/loudness.h"

#include "render/media_error.h"

#include <ebur128.h>

#include <algorithm>
#include <cmath>

namespace tandem::render {

struct LoudnessMeter::State {
    ebur128_state* meter = nullptr;
    ~State() { ebur128_destroy(&meter); }
};

LoudnessMeter::LoudnessMeter(int sampleRate, int channels) : state_(std::make_unique<State>()), channels_(channels) {
    state_->meter = ebur128_init(unsigned(channels), unsigned(sampleRate), EBUR128_MODE_I | EBUR128_MODE_TRUE_PEAK);
    if (!state_->meter) throw MediaError("cannot start the loudness meter");
}

LoudnessMeter::~LoudnessMeter() = default;

void LoudnessMeter::add(const float* interleaved, int64_t frames) {
    if (frames > 0) ebur128_add_frames_float(state_->meter, interleaved, size_t(frames));
}

Loudness LoudnessMeter::result() const {
    Loudness l;
    double lufs = -HUGE_VAL;
    if (ebur128_loudness_global(state_->meter, &lufs) == EBUR128_SUCCESS && std::isfinite(lufs)) l.integratedLufs = lufs;
    double peak = 0;
    for (int c = 0; c < channels_; ++c) {
        double p = 0;
        if (ebur128_true_peak(state_->meter, unsigned(c), &p) == EBUR128_SUCCESS) peak = std::max(peak, p);
    }
    l.truePeakDb = peak > 0 ? 20 * std::log10(peak) : -100;
    return l;
}

double normalisationGainDb(const Loudness& measured, double targetLufs, double ceilingDb) {
    if (measured.integratedLufs <= -70 || measured.truePeakDb <= -100) return 0; // silence: nothing to bring up
    const double toTarget = targetLufs - measured.integratedLufs;
    return std::min(toTarget, ceilingDb - measured.truePeakDb);
}

} // namespace tandem::render
