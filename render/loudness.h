// Design note: loudness as streaming services measure it — EBU R128 integrated loudness (LUFS) and true
// peak (dBTP), through libebur128. Export normalises by one gain for the whole programme (no compression,
// so the mix's dynamics stay as the creator made them): the gain that brings the integrated loudness to the
// target, lowered if needed so the true peak stays under the ceiling (−1 dBTP, as platforms ask), so the
// file never clips on playback; the result may then sit under the target, and the exporter says so.
#pragma once

#include <cstdint>
#include <memory>

namespace tandem::render {

struct Loudness {
    double integratedLufs = -70; // −70 (the gate) for silence
    double truePeakDb = -100;
};

class LoudnessMeter {
public:
    LoudnessMeter(int sampleRate, int channels);
    ~LoudnessMeter();
    LoudnessMeter(const LoudnessMeter&) = delete;
    LoudnessMeter& operator=(const LoudnessMeter&) = delete;
    void add(const float* interleaved, int64_t frames);
    Loudness result() const;

private:
    struct State; // libebur128's state (its type has no name to declare here)
    std::unique_ptr<State> state_;
    int channels_;
};

// True-peak ceiling that normalisation keeps under.
inline constexpr double kTruePeakCeilingDb = -1.0;

// The gain (dB) that brings `measured` to `targetLufs` with its true peak under the ceiling. Silence gets 0.
double normalisationGainDb(const Loudness& measured, double targetLufs, double ceilingDb = kTruePeakCeilingDb);

} // namespace tandem::render
