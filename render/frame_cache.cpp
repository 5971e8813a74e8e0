#include "render/frame_cache.h"

#include <cmath>

namespace tandem::render {

FrameKey FrameKey::at(const std::string& path, double seconds) {
    return {path, std::llround(seconds * 1e6)};
}

std::shared_ptr<const Frame> FrameCache::find(const FrameKey& key) {
    std::lock_guard lock(mutex_);
    const auto it = index_.find(key);
    if (it == index_.end()) {
        ++misses_;
        return nullptr;
    }
    ++hits_;
    recent_.splice(recent_.begin(), recent_, it->second);
    return it->second->second;
}

bool FrameCache::contains(const FrameKey& key) const {
    std::lock_guard lock(mutex_);
    return index_.count(key) != 0;
}

void FrameCache::insert(const FrameKey& key, std::shared_ptr<const Frame> frame) {
    if (!frame) return;
    const size_t size = frame->rgb.size();
    std::lock_guard lock(mutex_);
    if (size > maxBytes_) return; // larger than the whole cache: not worth evicting everything for
    if (const auto it = index_.find(key); it != index_.end()) {
        bytes_ -= it->second->second->rgb.size();
        recent_.erase(it->second);
        index_.erase(it);
    }
    recent_.emplace_front(key, std::move(frame));
    index_[key] = recent_.begin();
    bytes_ += size;
    while (bytes_ > maxBytes_) {
        const Entry& oldest = recent_.back();
        bytes_ -= oldest.second->rgb.size();
        index_.erase(oldest.first);
        recent_.pop_back();
    }
}

void FrameCache::clear() {
    std::lock_guard lock(mutex_);
    recent_.clear();
    index_.clear();
    bytes_ = 0;
}

size_t FrameCache::bytes() const {
    std::lock_guard lock(mutex_);
    return bytes_;
}
size_t FrameCache::size() const {
    std::lock_guard lock(mutex_);
    return index_.size();
}
int64_t FrameCache::hits() const {
    std::lock_guard lock(mutex_);
    return hits_;
}
int64_t FrameCache::misses() const {
    std::lock_guard lock(mutex_);
    return misses_;
}

} // namespace tandem::render
