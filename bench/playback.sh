#!/usr/bin/env bash
# Real-time playback of a 60 s 1080p32 sequence (a 10 s clip cut back to back, picture and sound) on JACK's
# dummy driver — a real-time paced device that needs no sound card. Targets: 0 dropped frames; A/V drift
# ≤ 1 ms/min.
# Usage: bench/playback.sh [BUILD_DIR] [SECONDS]
set -euo pipefail
build=${1:-build}
seconds=${2:-60}
dir=$(mktemp -d)
jackd -d dummy -r 48000 -p 256 > "$dir/jackd.log" 2>&1 &
jack=$!
trap 'kill $jack 2>/dev/null || true; rm -rf "$dir"' EXIT
src="$dir/source.mp4"
ffmpeg -loglevel error -f lavfi -i testsrc2=size=1920x1080:rate=32:duration=10 -f lavfi -i sine=frequency=440:sample_rate=48000:duration=10 \
  -c:v libx264 -preset veryfast -crf 18 -pix_fmt yuv420p -c:a aac -ac 2 "$src"
sleep 1 # jackd is up
# PortAudio probes every ALSA device first and reports each missing card on stderr: kept aside unless it fails.
"$build/bench/tandem-bench-playback" "$src" "$seconds" JACK 2> "$dir/bench.err" || { cat "$dir/bench.err"; exit 1; }
