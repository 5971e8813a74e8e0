#include "timeline/plan.h"

namespace tandem::timeline {

namespace {
QString labelOf(const ProjectState& s, const Clip& c) {
    const Asset* a = s.asset(c.assetId);
    return a ? a->label : QString();
}
} // namespace

QList<SoundTrackPlan> soundPlan(const ProjectState& state, const Sequence& seq) {
    QList<SoundTrackPlan> plan;
    for (const Track& track : seq.tracks) {
        if (track.kind != TrackKind::Audio) continue;
        SoundTrackPlan t;
        t.muted = track.muted;
        for (const Clip& c : track.clips) {
            SoundPlacement p;
            p.media = state.mediaPathOfClip(c);
            p.label = labelOf(state, c);
            p.start = seq.time.samplesForFrames(c.position);
            p.sourceStart = seq.time.samplesForFrames(c.sourceIn);
            p.length = seq.time.samplesForFrames(c.end()) - p.start;
            p.gainDb = c.gainDb;
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
        for (const Clip& c : track.clips)
            t.clips.append(PicturePlacement{state.mediaPathOfClip(c), labelOf(state, c), c.position, c.length,
                                            seq.time.secondsForFrames(c.sourceIn), c.opacity});
        plan.append(t);
    }
    return plan;
}

} // namespace tandem::timeline
