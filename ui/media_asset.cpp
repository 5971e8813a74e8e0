#include "ui/media_asset.h"

namespace tandem::ui {

void describeMedia(const render::MediaInfo& info, timeline::Asset& asset) {
    asset.hasVideo = info.firstVideo() != nullptr;
    asset.hasAudio = info.firstAudio() != nullptr;
    asset.duration = info.duration;
    if (const auto* v = info.firstVideo()) {
        asset.width = v->width; // as displayed: a phone's upright clip is taller than wide
        asset.height = v->height;
        asset.fps = v->fps;
        if (v->still) asset.duration = kStillSeconds;
    }
}

} // namespace tandem::ui
