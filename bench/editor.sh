#!/usr/bin/env bash
# The editor's interactive budgets on the real widgets under Xvfb (every repaint reaches an X server):
#   brush stroke → repaint at 1080p ≤ 8 ms p95; timeline repaint with 200 clips ≤ 16 ms;
#   launch to an interactive window ≤ 1 s, with no torch library loaded in the editor's process.
# Usage: bench/editor.sh [BUILD_DIR] [LAUNCHES]
set -euo pipefail
build=${1:-build}
launches=${2:-7}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export XDG_CONFIG_HOME="$work/config" # a first start: no remembered layout

xvfb-run -a -s "-screen 0 1920x1200x24" "$build/bench/tandem-bench-editor"

# Launch: from starting the program to its first idle event-loop turn with the window shown (the editor prints
# "ready" then and quits), measured from outside so loading the libraries counts too.
cat > "$work/launches.sh" <<'LOOP'
for _ in $(seq "$2"); do
  start=$(date +%s%N)
  line=$("$1/app/tandem" --report-ready 2>/dev/null | grep '^ready')
  end=$(date +%s%N)
  echo "$(( (end - start) / 1000000 )) ms to exit · $line"
done
LOOP
xvfb-run -a -s "-screen 0 1920x1200x24" bash "$work/launches.sh" "$build" "$launches" | tee "$work/launch.txt"
median=$(sort -n "$work/launch.txt" | awk '{print $1}' | sed -n "$(( (launches + 1) / 2 ))p")
echo "launch (spawn → ready → exit), median of $launches: $median ms · budget 1000 ms · ratio $(awk "BEGIN{printf \"%.2f\", $median/1000}")"
grep -q "torch loaded: yes" "$work/launch.txt" && { echo "torch was loaded in the editor process" >&2; exit 1; }
echo "torch loaded in the editor process: never"
