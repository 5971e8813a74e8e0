#!/usr/bin/env bash
# The whole test suite built with AddressSanitizer + UndefinedBehaviorSanitizer (gcc) in build-asan/ and run
# through ctest. Any sanitizer finding aborts the test that made it, so ctest reports it as a failure.
# Libraries we do not build (Qt, FFmpeg, LibTorch, OpenCV, PortAudio) are not instrumented. A leak of theirs,
# should one appear, goes in lsan.supp by library name with its reason (none has been needed).
# Usage: tests/sanitizers/run.sh [CTEST ARGS...]
set -euo pipefail
cd "$(dirname "$0")/../.."
build=${TANDEM_ASAN_BUILD_DIR:-build-asan}
supp=$(pwd)/tests/sanitizers
# Set for the build too: test discovery runs every test program once at build time.
export ASAN_OPTIONS=abort_on_error=1:detect_leaks=1:check_initialization_order=1:strict_init_order=1
export LSAN_OPTIONS=suppressions=$supp/lsan.supp:print_suppressions=0
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1:suppressions=$supp/ubsan.supp
if [ ! -f "$build/CMakeCache.txt" ]; then
  cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DTANDEM_SANITIZE=address,undefined \
    -DTANDEM_BUILD_BENCH=OFF > /dev/null
fi
cmake --build "$build" -j "$(nproc)"
ctest --test-dir "$build" --output-on-failure -j "$(nproc)" "$@"
