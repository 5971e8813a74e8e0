#include "model/host_memory.h"

#include <cstdlib>
#include <cstring>

#if defined(__GLIBC__)
#include <malloc.h>
#endif

namespace tandem::model {

std::string keepFreedTensorMemory() {
    const char* setting = std::getenv("TANDEM_MALLOC_TUNING");
    if (setting && std::strcmp(setting, "0") == 0) return "glibc's defaults (TANDEM_MALLOC_TUNING=0)";
    if (kSanitizerAllocator) return "a sanitizer's allocator, left as it is";
#if defined(__GLIBC__)
    const bool mmapSet = mallopt(M_MMAP_THRESHOLD, static_cast<int>(kReusedBlockLimit)) == 1;
    const bool trimSet = mallopt(M_TRIM_THRESHOLD, static_cast<int>(kReusedBlockLimit)) == 1;
    if (mmapSet && trimSet) return "freed blocks under 1 GiB kept for reuse";
    return "glibc refused the reuse limits; its defaults stay";
#else
    return "not glibc: the C library's defaults";
#endif
}

} // namespace tandem::model
