// Design note: what probing a media file tells the project about it (render::MediaInfo → timeline::Asset
// fields), in one place for the editor's import and `tandem-cli otio import`. A still image has no length
// of its own: it comes in as kStillSeconds of picture, as editors give a still a default length.
#pragma once

#include "render/probe.h"
#include "timeline/state.h"

namespace tandem::ui {

inline constexpr double kStillSeconds = 5.0;

void describeMedia(const render::MediaInfo& info, timeline::Asset& asset);

} // namespace tandem::ui
