#!/usr/bin/env bash
# Decode and export throughput beside the ffmpeg program on the same 10-second 1080p32 file, alternating
# twice so a noisy moment on a shared machine hits both sides. Targets: decode ratio (ffmpeg time ÷ ours,
# i.e. our throughput ÷ ffmpeg's) ≥ 0.9; export time ÷ ffmpeg's ≤ 1.05.
# Usage: bench/media.sh [BUILD_DIR]
set -euo pipefail
build=${1:-build}
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
src="$dir/source.mp4"
ffmpeg -loglevel error -f lavfi -i testsrc2=size=1920x1080:rate=32:duration=10 -f lavfi -i sine=frequency=440:sample_rate=48000:duration=10 \
  -c:v libx264 -preset veryfast -crf 18 -pix_fmt yuv420p -c:a aac -ac 2 "$src"
secs() { local t0 t1; t0=$(date +%s.%N); "$@" > /dev/null; t1=$(date +%s.%N); echo "$t1 - $t0" | bc; }
ours_decode=() theirs_decode=() ours_export=() theirs_export=()
for run in 1 2; do
  theirs_decode+=("$(secs ffmpeg -loglevel error -i "$src" -f null -)")
  ours_decode+=("$("$build/bench/tandem-bench-media" decode "$src" | cut -d' ' -f1)")
  theirs_export+=("$(secs ffmpeg -loglevel error -y -i "$src" -c:v libx264 -preset medium -crf 18 -pix_fmt yuv420p -c:a aac -ar 48000 -ac 2 "$dir/ffmpeg.mp4")")
  ours_export+=("$("$build/bench/tandem-bench-media" export "$src" "$dir/ours.mp4" | cut -d' ' -f1)")
done
/usr/bin/python3 - "${ours_decode[@]}" "${theirs_decode[@]}" "${ours_export[@]}" "${theirs_export[@]}" <<'PY'
import sys
v = [float(x) for x in sys.argv[1:]]
od, fd, oe, fe = min(v[0:2]), min(v[2:4]), min(v[4:6]), min(v[6:8])
print(f"decode 10 s 1080p32: ours {od:.2f} s (runs {v[0]:.2f}, {v[1]:.2f}), ffmpeg -f null {fd:.2f} s (runs {v[2]:.2f}, {v[3]:.2f}); "
      f"throughput ratio {fd / od:.2f}; target >= 0.9: {'PASS' if fd / od >= 0.9 else 'FAIL'}")
print(f"export 10 s 1080p32: ours {oe:.2f} s (runs {v[4]:.2f}, {v[5]:.2f}), ffmpeg {fe:.2f} s (runs {v[6]:.2f}, {v[7]:.2f}); "
      f"time ratio {oe / fe:.2f}; target <= 1.05: {'PASS' if oe / fe <= 1.05 else 'FAIL'}")
PY
