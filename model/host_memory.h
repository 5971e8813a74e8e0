// Host memory for tensors: keep freed blocks for reuse instead of handing them back to the system.
//
// LibTorch on the CPU frees and allocates the same large buffers at every sampling step and in every decoder
// layer. glibc's allocator serves a block above its mmap threshold (128 KiB, rising as such blocks are freed
// to at most 32 MiB) with fresh pages from the system and unmaps it when freed, and gives back a freed heap
// top larger than 128 KiB, so each step faults its buffers' pages in again. On a 4-second demo shot that is
// ~610 000 page faults, about a third of the run on a 2-core virtual machine (docs/benchmarks.md, *Host
// memory*). Raising both limits to kReusedBlockLimit keeps those pages in the process (~165 000 faults, the
// memory's first touch) and costs ~80 MB more peak memory there.
//
// The processes that run the engine or the trainer call this once at start (tandem-engine, tandem-cli,
// tandem-train, the engine and training benches); the editor never runs torch and does not.
// TANDEM_MALLOC_TUNING=0 in the environment leaves glibc's defaults, so the two can be compared side by side.
#pragma once

#include <string>

namespace tandem::model {

// AddressSanitizer brings its own allocator (glibc's mallopt is answered with a refusal there).
#if defined(__SANITIZE_ADDRESS__)
constexpr bool kSanitizerAllocator = true;
#elif defined(__has_feature)
constexpr bool kSanitizerAllocator = __has_feature(address_sanitizer);
#else
constexpr bool kSanitizerAllocator = false;
#endif

// Blocks smaller than this come from the reused heap; a freed heap top larger than this goes back to the
// system. Above the demo model's largest buffer (the video decoder's ~270 MB activations at 128 × 128 × 64
// frames), below what a large checkpoint's loading leaves free once its weights are on a GPU, so that memory
// still goes back.
constexpr long kReusedBlockLimit = 1L << 30;

// Applies the limits where the C library is glibc and TANDEM_MALLOC_TUNING is not "0". Returns what was
// done, in words, for a program's verbose output or a benchmark's header.
std::string keepFreedTensorMemory();

} // namespace tandem::model
