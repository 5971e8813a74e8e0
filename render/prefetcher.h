// Design note: decodes ahead of the playhead on its own thread, so playback reads pictures from the frame
// cache instead of waiting for the decoder. It asks layersAt() what each coming sequence frame shows, in the
// direction of play (backwards too, for reverse shuttle), and decodes those pictures with its own decoders
// into the shared cache, nearest first. A new playhead restarts the walk at once; a cache that is full of
// pictures ahead stops it (kLookaheadFrames bounds how far ahead, FrameCache bounds the bytes).
#pragma once

#include "render/compositor.h"
#include "render/frame_cache.h"

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <thread>

namespace tandem::render {

class Prefetcher {
public:
    // Sequence frames decoded ahead of the playhead: one second at 32 fps.
    static constexpr int kLookaheadFrames = 32;

    Prefetcher(std::vector<CompositeTrack> tracks, double fps, std::shared_ptr<FrameCache> cache);
    ~Prefetcher();
    Prefetcher(const Prefetcher&) = delete;
    Prefetcher& operator=(const Prefetcher&) = delete;

    // Where playback is and which way it goes: step +1 forward, −1 backwards, 0 paused (then the frames
    // just ahead are still prepared, as the user will most likely play on).
    void setPlayhead(int64_t frame, int step);
    int64_t decoded() const { return decoded_; } // pictures this thread has put in the cache

private:
    void run();

    std::vector<CompositeTrack> tracks_;
    double fps_;
    std::shared_ptr<FrameCache> cache_;
    std::mutex mutex_;
    std::condition_variable wake_;
    int64_t playhead_ = 0;
    int step_ = 1;
    uint64_t generation_ = 0; // bumped on every new playhead, so a walk in progress restarts; 0: none yet
    bool stopping_ = false;
    std::atomic<int64_t> decoded_{0};
    std::thread thread_;
};

} // namespace tandem::render
