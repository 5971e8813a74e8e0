// Design note: every file a project names lives inside its bundle and is named relative to it, so a bundle
// can be moved, copied or mailed whole — and a bundle made by someone else can never make us read or write
// outside it. This is the one gate: a path is accepted only if it is relative, uses '/', has no '.' or '..'
// parts, and starts in one of the bundle's folders; resolving it also refuses symbolic links that leave.
#pragma once

#include <QString>

namespace tandem::timeline {

// The bundle's folders. Paths in project.json start with one of these.
inline constexpr const char* kMediaDir = "media";
inline constexpr const char* kTakesDir = "takes";
inline constexpr const char* kMasksDir = "masks";
inline constexpr const char* kCacheDir = "cache";

// Empty when `path` is a safe bundle-relative path, else why not.
QString unsafeBundlePathReason(const QString& path);
// The absolute path of a bundle-relative path, or empty (with `why`) if it is unsafe or, after following
// symbolic links, lies outside the bundle.
QString resolveInBundle(const QString& bundleDir, const QString& path, QString* why = nullptr);

} // namespace tandem::timeline
