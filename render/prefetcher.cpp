#include "render/prefetcher.h"

#include "render/video_decoder.h"

#include <map>

namespace tandem::render {

Prefetcher::Prefetcher(std::vector<CompositeTrack> tracks, double fps, std::shared_ptr<FrameCache> cache)
    : tracks_(std::move(tracks)), fps_(fps), cache_(std::move(cache)), thread_([this] { run(); }) {}

Prefetcher::~Prefetcher() {
    {
        std::lock_guard lock(mutex_);
        stopping_ = true;
    }
    wake_.notify_all();
    thread_.join();
}

void Prefetcher::setPlayhead(int64_t frame, int step) {
    {
        std::lock_guard lock(mutex_);
        if (generation_ != 0 && frame == playhead_ && step == step_) return; // the first call always starts a walk
        playhead_ = frame;
        step_ = step;
        ++generation_;
    }
    wake_.notify_all();
}

void Prefetcher::run() {
    struct Source {
        std::unique_ptr<VideoDecoder> decoder;
        bool failed = false;
    };
    std::map<std::string, Source> sources;
    uint64_t seen = 0; // nothing is decoded before the first playhead: a walk from frame 0 would be wasted work
    while (true) {
        int64_t playhead;
        int step;
        {
            std::unique_lock lock(mutex_);
            wake_.wait(lock, [&] { return stopping_ || generation_ != seen; });
            if (stopping_) return;
            seen = generation_;
            playhead = playhead_;
            step = step_ == 0 ? 1 : step_;
        }
        for (int ahead = 1; ahead <= kLookaheadFrames; ++ahead) {
            {
                std::lock_guard lock(mutex_);
                if (stopping_ || generation_ != seen) break; // the playhead moved: start again from it
            }
            const int64_t frame = playhead + int64_t(ahead) * step;
            if (frame < 0) break;
            for (const LayerRequest& layer : layersAt(tracks_, fps_, frame)) {
                const FrameKey key = FrameKey::at(layer.clip->path, layer.mediaSeconds);
                if (cache_->contains(key)) continue;
                Source& s = sources[layer.clip->path];
                if (const Frame* picture = decodeAt(s.decoder, s.failed, layer.clip->path, layer.mediaSeconds)) {
                    cache_->insert(key, std::make_shared<const Frame>(*picture));
                    ++decoded_;
                }
            }
        }
    }
}

} // namespace tandem::render
