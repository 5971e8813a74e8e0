// Shared helpers for the project-layer tests: media assets that need no files, and a checked request.
#pragma once

#include "timeline/project.h"

#include <catch2/catch.hpp>

namespace tandem::test {

inline timeline::Asset mediaAsset(double seconds, bool video = true, bool audio = true, const char* name = "shot") {
    timeline::Asset a;
    a.path = QStringLiteral("media/%1.mp4").arg(QLatin1String(name));
    a.label = QLatin1String(name);
    a.hasVideo = video;
    a.hasAudio = audio;
    a.duration = seconds;
    return a;
}

// A clip with its ids and frames given, for building a project state directly.
inline timeline::Clip clipAt(timeline::Id id, timeline::Id asset, qint64 position, qint64 sourceIn, qint64 length) {
    timeline::Clip c;
    c.id = id;
    c.assetId = asset;
    c.position = position;
    c.sourceIn = sourceIn;
    c.length = length;
    return c;
}

// A generated shot with picture and sound, and a take of it writing `output`.
inline timeline::Asset generatedShot(const char* label) {
    timeline::Asset a;
    a.label = QLatin1String(label);
    a.hasVideo = a.hasAudio = true;
    return a;
}
inline timeline::Take takeWriting(const char* output, double seconds) {
    timeline::Take t;
    t.task = QStringLiteral("generate");
    t.output = QLatin1String(output);
    t.duration = seconds;
    return t;
}

// Applies a request that must succeed and checks the project's invariants afterwards.
#define REQUIRE_EDIT(expr)                                                                                       \
    do {                                                                                                         \
        const auto r_ = (expr);                                                                                  \
        INFO(r_.reason.toStdString());                                                                           \
        REQUIRE(r_.ok);                                                                                          \
    } while (0)

inline timeline::Id videoTrack(const timeline::Project& p, int n = 0) {
    for (const auto& t : p.sequence().tracks)
        if (t.kind == timeline::TrackKind::Video && n-- == 0) return t.id;
    return 0;
}
inline timeline::Id audioTrack(const timeline::Project& p, int n = 0) {
    for (const auto& t : p.sequence().tracks)
        if (t.kind == timeline::TrackKind::Audio && n-- == 0) return t.id;
    return 0;
}
inline const timeline::Track& trackById(const timeline::Project& p, timeline::Id id) { return *p.state().track(id); }

} // namespace tandem::test
