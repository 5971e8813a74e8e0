// Design note: what the creator asked the engine for, as the editor keeps it — the generation panel fills one,
// the job queue (ui/engine_jobs) turns it into an engine request plus the shot, mask and reference files it
// needs, and the finished take is placed on the timeline as `placement` says. Plain values, no widgets, so a
// job can be retried exactly as it was first asked.
#pragma once

#include "timeline/state.h"

#include <QList>
#include <QString>
#include <QStringList>

#include <optional>

namespace tandem::ui {

// The engine's tasks (docs/engine-protocol.md); every one of them is inpainting of known latents.
inline const QStringList kGenerationTasks = {
    QStringLiteral("generate"), QStringLiteral("image"),   QStringLiteral("inpaint"), QStringLiteral("retake"),
    QStringLiteral("extend"),   QStringLiteral("restyle"), QStringLiteral("foley"),   QStringLiteral("dub")};

// Tasks that edit an existing clip (they need a source clip selected on the timeline).
inline bool taskNeedsSource(const QString& task) {
    return task != QLatin1String("generate") && task != QLatin1String("image");
}

// Where the finished take goes.
enum class TakePlacement {
    ReplaceClip, // the source clip (and its linked partner) shows the new take
    Insert,      // inserted at the playhead, later clips move right
    NewTrack,    // on a new video (and audio) track at the playhead
};

struct GenerationSpec {
    QString task = QStringLiteral("generate");
    QString prompt;         // scene words, dialogue in <S>…<E>
    QString negativePrompt;
    QList<timeline::Id> referenceAssetIds; // from the bins (their role says what they condition)
    timeline::Id imageAssetId = 0;         // image → shot: the still or clip whose first frame starts the shot
    timeline::Id sourceClipId = 0;         // editing tasks: the clip being edited
    double seconds = 4;                    // generate/image/foley/dub: length; extend: seconds to add
    // Delivery size and rate; the engine works at the model's own and the take is refined to these when they
    // differ (0 = the model's own).
    int width = 0, height = 0;
    double fps = 0;
    qint64 seed = 0;
    bool randomSeed = true; // a new seed for every submission (and retry); false = `seed` is locked
    int steps = 20;
    std::optional<double> videoGuidance, audioGuidance; // unset: the model's suggested guidance
    double windowStart = 0, windowEnd = 0; // retake: seconds of the source clip
    bool regenerateVideo = true, regenerateAudio = true;
    bool backward = false;    // extend before the clip instead of after it
    double strength = 0.6;    // restyle
    TakePlacement placement = TakePlacement::Insert;
    qint64 playhead = 0;      // sequence frame where Insert/NewTrack places the take (set when submitted)
};

} // namespace tandem::ui
