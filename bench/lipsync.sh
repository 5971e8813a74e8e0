#!/usr/bin/env bash
# The lip-sync analyzer on 15 s 1080p32 shots (budget ≤ 2 s each on 2 cores), beside FFmpeg decoding the same
# file (the floor: every frame must be decoded). Two shots: a demo-model talking shot scaled to 1080p (a face
# to track), and testsrc2 with a tone (no face: the whole-frame face search and optical flow run throughout).
# Usage: bench/lipsync.sh [BUILD_DIR]
set -euo pipefail
build=${1:-build}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

"$build/app/tandem-cli" generate --quiet --prompt "a face says <S>bama tilo kesu ramo pida lune<E>" \
  --seconds 4 --seed 3 -o "$work/talk.mp4" > /dev/null
ffmpeg -v error -stream_loop 3 -i "$work/talk.mp4" -vf "scale=1080:1080:flags=bicubic,pad=1920:1080:420:0,fps=32" \
  -t 15 -c:v libx264 -preset medium -crf 20 -pix_fmt yuv420p -c:a aac "$work/face1080.mp4"
ffmpeg -v error -f lavfi -i testsrc2=size=1920x1080:rate=32:duration=15 -f lavfi -i sine=frequency=440:duration=15 \
  -c:v libx264 -preset medium -crf 20 -pix_fmt yuv420p -c:a aac "$work/testsrc1080.mp4"

for f in face1080 testsrc1080; do
  start=$(date +%s%N)
  ffmpeg -v error -i "$work/$f.mp4" -f null -
  end=$(date +%s%N)
  echo "$f: ffmpeg -f null decode $(( (end - start) / 1000000 )) ms"
  "$build/bench/tandem-bench-lipsync" "$work/$f.mp4" 3
done
