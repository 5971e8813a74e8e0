#!/usr/bin/env bash
# Builds the fuzz targets with clang, libFuzzer, AddressSanitizer and UndefinedBehaviorSanitizer (build-fuzz/)
# and runs each for SECONDS (default 30) from its seed corpus in tests/fuzz/corpus/NAME. New inputs go to a
# scratch folder, never into the repository; a crash leaves its input in build-fuzz/crashes/ and fails.
# Usage: tests/fuzz/run.sh [SECONDS] [TARGET...]      (targets: safetensors config protocol framing project otio mlt probe)
set -euo pipefail
cd "$(dirname "$0")/../.."
seconds=${1:-30}
shift || true
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(safetensors config protocol framing project otio mlt probe)
build=${TANDEM_FUZZ_BUILD_DIR:-build-fuzz}
sanitize="-fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer"
if [ ! -f "$build/CMakeCache.txt" ]; then
  CC=clang CXX=clang++ cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DTANDEM_FUZZ=ON \
    -DTANDEM_BUILD_TESTS=OFF -DTANDEM_BUILD_BENCH=OFF \
    -DCMAKE_CXX_FLAGS="$sanitize -fsanitize=fuzzer-no-link" -DCMAKE_C_FLAGS="$sanitize" \
    -DCMAKE_EXE_LINKER_FLAGS="-fsanitize=address,undefined" > /dev/null
fi
cmake --build "$build" --target $(printf 'fuzz-%s ' "${targets[@]}")
mkdir -p "$build/crashes"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
for t in "${targets[@]}"; do
  mkdir -p "$work/$t"
  echo "== fuzz-$t for ${seconds} s"
  "$build/tests/fuzz/fuzz-$t" -max_total_time="$seconds" -timeout=20 -rss_limit_mb=4096 -print_final_stats=1 \
    -artifact_prefix="$build/crashes/$t-" "$work/$t" "tests/fuzz/corpus/$t" 2>&1 | grep -E "^(#[0-9]+ +DONE|stat::number_of_executed_units|stat::peak_rss|==[0-9]+==ERROR|SUMMARY|Done)" || true
  # libFuzzer's exit status is lost in the pipe above: a crash is known by its artifact.
  if ls "$build/crashes/$t-"* > /dev/null 2>&1; then
    echo "fuzz-$t found a crash: $(ls "$build/crashes/$t-"*)" >&2
    exit 1
  fi
done
echo "all fuzz targets ran clean"
