// Design note: decoded pictures kept for reuse, bounded by bytes (a 1080p RGB frame is 6 MB, so the default
// 768 MiB holds ~120 of them: four seconds at 32 fps of two layers). The least recently used picture goes
// first. Pictures are shared read-only, so a reader keeps what it holds while the cache moves on; the prefetch
// thread fills it ahead of the playhead while the compositor reads from it (render/prefetcher.h).
#pragma once

#include "render/frame.h"

#include <compare>
#include <cstdint>
#include <list>
#include <map>
#include <memory>
#include <mutex>
#include <string>

namespace tandem::render {

// A picture of a media file at a media time (microseconds, so equal times compare equal).
struct FrameKey {
    std::string path;
    int64_t micros = 0;
    static FrameKey at(const std::string& path, double seconds);
    auto operator<=>(const FrameKey&) const = default;
};

class FrameCache {
public:
    static constexpr size_t kDefaultBytes = size_t(768) << 20;
    explicit FrameCache(size_t maxBytes = kDefaultBytes) : maxBytes_(maxBytes) {}

    std::shared_ptr<const Frame> find(const FrameKey& key); // nullptr on a miss; a hit becomes most recent
    bool contains(const FrameKey& key) const;
    void insert(const FrameKey& key, std::shared_ptr<const Frame> frame);
    void clear();

    size_t bytes() const;
    size_t size() const;
    size_t maxBytes() const { return maxBytes_; }
    int64_t hits() const;
    int64_t misses() const;

private:
    using Entry = std::pair<FrameKey, std::shared_ptr<const Frame>>;
    mutable std::mutex mutex_;
    size_t maxBytes_;
    size_t bytes_ = 0;
    int64_t hits_ = 0, misses_ = 0;
    std::list<Entry> recent_; // most recent first
    std::map<FrameKey, std::list<Entry>::iterator> index_;
};

} // namespace tandem::render
