#include "timeline/hand_off.h"

#include <algorithm>

namespace tandem::timeline {

void linkMatchingPairs(Sequence& seq) {
    for (Track& vt : seq.tracks) {
        if (vt.kind != TrackKind::Video) continue;
        for (Clip& v : vt.clips)
            for (Track& at : seq.tracks) {
                if (at.kind != TrackKind::Audio || v.linkedClipId) continue;
                for (Clip& a : at.clips)
                    if (!a.linkedClipId && a.assetId == v.assetId && a.position == v.position && a.sourceIn == v.sourceIn &&
                        a.length == v.length) {
                        v.linkedClipId = a.id;
                        a.linkedClipId = v.id;
                        break;
                    }
            }
    }
}

void fitAssetDuration(ProjectState& state, const Sequence& seq, const Clip& c) {
    Asset* a = state.asset(c.assetId);
    const double needed = seq.time.secondsForFrames(c.sourceOut());
    if (a->path.isEmpty() || seq.time.framesForSeconds(a->duration) < c.sourceOut()) a->duration = std::max(a->duration, needed);
}

QStringList NotesByKind::lines(int shown) const {
    QStringList out;
    for (const auto& [kind, items] : notes_) {
        const int n = std::min<int>(int(items.size()), shown);
        QString line = QStringLiteral("%1 (%2): %3").arg(kind).arg(items.size()).arg(items.mid(0, n).join(QStringLiteral("; ")));
        if (items.size() > n) line += QStringLiteral("; and %1 more").arg(items.size() - n);
        out.append(line);
    }
    return out;
}

QString NotesByKind::summary(const QString& source, const QStringList& lines) {
    if (lines.isEmpty()) return {};
    return QStringLiteral("Not everything in %1 came in as it was:\n  - ").arg(source) + lines.join(QStringLiteral("\n  - "));
}

} // namespace tandem::timeline
