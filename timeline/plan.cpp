#include "timeline/plan.h"

#include <algorithm>
#include <tuple>

namespace tandem::timeline {

namespace {
QString labelOf(const ProjectState& s, const Clip& c) {
    const Asset* a = s.asset(c.assetId);
    return a ? a->label : QString();
}

// Fades as played: a trim may have left them longer than the clip; the fade in keeps its share first.
std::pair<qint64, qint64> playedFades(const Clip& c) {
    const qint64 in = std::min(c.fadeIn, c.length);
    return {in, std::min(c.fadeOut, c.length - in)};
}
} // namespace

namespace {

// A delayed sound starts that much further back in its source; what would come from before the source's
// start is silence, so the placement starts later instead.
void delaySound(SoundPlacement& p, qint64 delaySamples) {
    p.sourceStart -= delaySamples;
    if (p.sourceStart >= 0) return;
    const qint64 silent = std::min(-p.sourceStart, p.length);
    p.start += silent;
    p.length -= silent;
    p.fadeIn = std::max<qint64>(0, p.fadeIn - silent);
    p.fadeOut = std::min(p.fadeOut, p.length);
    p.sourceStart = 0;
}

} // namespace

QList<SoundTrackPlan> soundPlan(const ProjectState& state, const Sequence& seq) {
    QList<SoundTrackPlan> plan;
    for (const Track& track : seq.tracks) {
        if (track.kind != TrackKind::Audio) continue;
        SoundTrackPlan t;
        t.name = track.name;
        t.muted = track.muted;
        t.solo = track.solo;
        t.gainDb = track.gainDb;
        t.pan = track.pan;
        for (const Clip& c : track.clips) {
            SoundPlacement p;
            p.media = state.mediaPathOfClip(c);
            p.label = labelOf(state, c);
            p.start = seq.time.samplesForFrames(c.position);
            p.sourceStart = seq.time.samplesForFrames(c.sourceIn);
            p.length = seq.time.samplesForFrames(c.end()) - p.start;
            p.gainDb = c.gainDb;
            const auto [in, out] = playedFades(c);
            p.fadeIn = seq.time.samplesForFrames(c.position + in) - p.start;
            p.fadeOut = p.start + p.length - seq.time.samplesForFrames(c.end() - out);
            delaySound(p, std::llround(c.audioDelayMs * seq.time.sampleRate / 1000.0));
            t.clips.append(p);
        }
        plan.append(t);
    }
    return plan;
}

QList<PictureTrackPlan> picturePlan(const ProjectState& state, const Sequence& seq) {
    QList<PictureTrackPlan> plan;
    for (const Track& track : seq.tracks) {
        if (track.kind != TrackKind::Video) continue;
        PictureTrackPlan t;
        t.hidden = track.muted;
        for (int i = 0; i < track.clips.size(); ++i) {
            const Clip& c = track.clips[i];
            PicturePlacement p{state.mediaPathOfClip(c), labelOf(state, c), c.position, c.length,
                               seq.time.secondsForFrames(c.sourceIn), c.opacity};
            std::tie(p.fadeIn, p.fadeOut) = playedFades(c);
            const Clip* before = i > 0 ? &track.clips[i - 1] : nullptr;
            if (before && before->end() == c.position) p.dissolveIn = std::min({c.dissolveIn, c.length, before->length});
            t.clips.append(p);
        }
        plan.append(t);
    }
    return plan;
}

} // namespace tandem::timeline
