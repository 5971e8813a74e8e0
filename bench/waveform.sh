#!/usr/bin/env bash
# Waveform of a 1-hour 48 kHz stereo file vs FFmpeg decoding the same file to nothing, side by side,
# alternating so a noisy moment on a shared machine hits both. Target: ratio <= 1.2.
# Usage: bench/waveform.sh [BUILD_DIR] [CODEC: aac|flac|pcm_s16le]
set -euo pipefail
build=${1:-build}
codec=${2:-aac}
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
ext=$([ "$codec" = aac ] && echo m4a || { [ "$codec" = flac ] && echo flac || echo wav; })
file="$dir/hour.$ext"
# Pink noise with a slow swell, so the peaks are not trivially constant.
ffmpeg -loglevel error -f lavfi -i "anoisesrc=color=pink:sample_rate=48000:duration=3600,volume='0.5+0.4*sin(t/5)':eval=frame" \
  -ac 2 -c:a "$codec" "$file"
ours=() theirs=()
for run in 1 2; do
  t0=$(date +%s.%N); ffmpeg -loglevel error -threads 1 -i "$file" -f null - ; t1=$(date +%s.%N)
  theirs+=("$(echo "$t1 - $t0" | bc)")
  ours+=("$("$build/bench/tandem-bench-waveform" "$file" | cut -d' ' -f1)")
done
/usr/bin/python3 - "${ours[@]}" "${theirs[@]}" "$codec" <<'PY'
import sys
o1, o2, f1, f2, codec = sys.argv[1:]
o, f = min(float(o1), float(o2)), min(float(f1), float(f2))
print(f"1 h of 48 kHz stereo ({codec}): waveform {o:.2f} s (runs {float(o1):.2f}, {float(o2):.2f}); "
      f"ffmpeg -f null {f:.2f} s (runs {float(f1):.2f}, {float(f2):.2f}); ratio {o / f:.2f}; target <= 1.2: {'PASS' if o / f <= 1.2 else 'FAIL'}")
PY
