// Design note: what every import from another editor's file (OTIO, MLT) shares — those files have no A/V
// links and may name media shorter than their clips or not at all, and whatever does not come in as it was
// is reported in one warning, grouped by kind with the items named.
#pragma once

#include "timeline/state.h"

#include <map>

namespace tandem::timeline {

// Links each picture clip with a sound clip of the same media over the same range.
void linkMatchingPairs(Sequence& seq);

// An offline asset, or one whose known duration is shorter than the clip uses, is taken to be as long as
// its longest use, so the project stays consistent.
void fitAssetDuration(ProjectState& state, const Sequence& seq, const Clip& clip);

// What an import or export changed or left out, by kind.
class NotesByKind {
public:
    void add(const QString& kind, const QString& item) { notes_[kind].append(item); }
    // One line per kind: "kind (N): item; item; … and M more".
    QStringList lines(int shown = 6) const;
    // The lines as the one message a user reads: "Not everything in SOURCE came in as it was:" and a list;
    // empty when there are none.
    static QString summary(const QString& source, const QStringList& lines);

private:
    std::map<QString, QStringList> notes_;
};

} // namespace tandem::timeline
