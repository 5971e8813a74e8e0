// Host memory tuning: a large buffer freed and allocated again reuses the process's pages instead of
// faulting fresh ones in from the system, as the sampler's and decoder's buffers do at every step.
#include "model/host_memory.h"

#include <catch2/catch.hpp>

#include <cstdlib>
#include <cstring>
#include <sys/resource.h>
#include <unistd.h>

using namespace tandem::model;

namespace {

long minorFaults() {
    rusage usage{};
    getrusage(RUSAGE_SELF, &usage);
    return usage.ru_minflt;
}

// Allocates, writes every page of, and frees a block; returns the page faults that took.
long faultsOfOneRound(size_t bytes) {
    const long before = minorFaults();
    char* block = static_cast<char*>(std::malloc(bytes));
    if (!block) FAIL("no " << bytes << " bytes to allocate");
    std::memset(block, 1, bytes);
    asm volatile("" : : "r"(block) : "memory"); // the writes happen: the block is not optimised away
    std::free(block);
    return minorFaults() - before;
}

} // namespace

TEST_CASE("Freed tensor-sized blocks are kept for reuse: the second round faults in no fresh pages") {
    if (kSanitizerAllocator) {
        WARN(
            "AddressSanitizer's allocator replaces glibc's in this build: nothing to tune, nothing measured");
        CHECK_THAT(keepFreedTensorMemory(), Catch::Contains("sanitizer"));
        return;
    }
#if defined(__GLIBC__)
    constexpr size_t bytes = 256u << 20; // the size of the demo video decoder's largest activations
    const long pages = static_cast<long>(bytes) / sysconf(_SC_PAGESIZE);
    SECTION("glibc's defaults: every round faults the whole block in again") {
        setenv("TANDEM_MALLOC_TUNING", "0", 1);
        CHECK_THAT(keepFreedTensorMemory(), Catch::Contains("defaults"));
        unsetenv("TANDEM_MALLOC_TUNING");
        faultsOfOneRound(bytes);
        CHECK(faultsOfOneRound(bytes) > pages / 2);
    }
    SECTION("kept for reuse: the second round finds its pages in the process") {
        CHECK_THAT(keepFreedTensorMemory(), Catch::Contains("kept for reuse"));
        const long first = faultsOfOneRound(bytes);
        const long second = faultsOfOneRound(bytes);
        INFO("page faults: first round " << first << ", second " << second << " of " << pages << " pages");
        CHECK(first > pages / 2);
        CHECK(second < pages / 20);
    }
#else
    WARN("not glibc: the C library's own allocator is left as it is");
    CHECK_THAT(keepFreedTensorMemory(), Catch::Contains("not glibc"));
#endif
}
