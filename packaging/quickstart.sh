#!/usr/bin/env bash
# The README's two commands:
#   packaging/quickstart.sh demo   set up, build, generate the demo shot to out/demo.mp4, open it in the editor
#                                  when a display is present
#   packaging/quickstart.sh test   set up, build, run the whole test suite through ctest, a short fuzzing pass,
#                                  and the whole suite again built with ASan + UBSan (in build-asan/;
#                                  TANDEM_SANITIZERS=0 leaves that out)
# Re-running is cheap: set-up skips installed packages and the build is incremental (in build/).
set -euo pipefail
cd "$(dirname "$0")/.."

job=${1:-}
case "$job" in
  demo|test) ;;
  *) echo "usage: packaging/quickstart.sh demo|test" >&2; exit 2 ;;
esac

bash packaging/setup-debian.sh

build=${TANDEM_BUILD_DIR:-build}
jobs=$(nproc)
if [ ! -f "$build/CMakeCache.txt" ]; then
  cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release
fi
cmake --build "$build" -j "$jobs"

if [ "$job" = test ]; then
  ctest --test-dir "$build" --output-on-failure -j "$jobs"
  # The parsers of untrusted input, fuzzed briefly under ASan + UBSan (tests/fuzz/run.sh runs them longer).
  bash tests/fuzz/run.sh "${TANDEM_FUZZ_SECONDS:-15}"
  # Every test again with AddressSanitizer + UndefinedBehaviorSanitizer: memory errors, leaks and undefined
  # behaviour anywhere the tests reach fail the run.
  if [ "${TANDEM_SANITIZERS:-1}" != 0 ]; then
    bash tests/sanitizers/run.sh
  fi
  exit
fi

mkdir -p out
prompt="a large red rubber circle bounces in front of a blue wall; a face says <S>bama tilo<E>"
"$build/app/tandem-cli" generate --prompt "$prompt" --seconds 4 --seed 1 -o out/demo.mp4 --sheet out/demo.png
"$build/app/tandem-cli" probe out/demo.mp4
echo "prompt: $prompt"
echo "shot:   out/demo.mp4 (its frames and waveform under the prompt: out/demo.png)"
if [ -n "${DISPLAY:-}${WAYLAND_DISPLAY:-}" ]; then
  "$build/app/tandem" out/demo.mp4
else
  echo "no display: the shot is in out/demo.mp4 (run $build/app/tandem out/demo.mp4 on a desktop to edit it)"
fi
