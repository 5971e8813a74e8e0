// Fuzz targets whose code under test reads a file get the input as one: an anonymous in-memory file
// (memfd), rewritten for every input and named by its /proc path, so no disk is touched.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <sys/mman.h>
#include <unistd.h>

namespace tandem::fuzz {

inline std::string asFile(const uint8_t* data, size_t size) {
    static const int fd = memfd_create("tandem-fuzz", 0);
    if (ftruncate(fd, 0) != 0 || pwrite(fd, data, size, 0) != ssize_t(size)) return {};
    return "/proc/self/fd/" + std::to_string(fd);
}

} // namespace tandem::fuzz
