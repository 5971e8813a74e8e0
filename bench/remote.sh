#!/usr/bin/env bash
# The remote engine's transfers against the machine's own yardsticks, on one file, over loopback:
#   tandem-bench-remote   protocol overhead (demo model, TLS ÷ local socket) and the shot file's upload and
#                         download through an engine (bench/remote_bench.cpp)
#   openssl s_time        the same file fetched over TLS 1.3 from openssl s_server -WWW (P-256, AES-GCM)
#   socat                 the same file copied over plain TCP
# Usage: bench/remote.sh BUILD_DIR [SECONDS] [WxH]      (default 15 s of 1920x1080: a 2.2 GB shot file)
set -euo pipefail
build=${1:?usage: bench/remote.sh BUILD_DIR [SECONDS] [WxH]}
seconds=${2:-15}
size=${3:-1920x1080}
for tool in openssl socat; do
  command -v $tool > /dev/null || { echo "remote.sh: needs $tool (packaging/setup-debian.sh --with-bench)"; exit 2; }
done
work=$(mktemp -d)
trap 'pkill -f "s_server -accept 45999" || true; pkill -f "TCP-LISTEN:46000" || true; rm -rf "$work"' EXIT
file=$work/shot.safetensors
"$build/bench/tandem-bench-remote" --big-file "$file" --big-seconds "$seconds" --big-size "$size" 2>&1 | grep -v '^tandem-engine\|token='
bytes=$(stat -c %s "$file")
# The same upload with the engine's store on a RAM disk: the transport without the engine's disk.
if [ -d /dev/shm ] && [ "$(df --output=avail -B1 /dev/shm | tail -1)" -gt $((bytes * 3)) ]; then
  echo "with the engine's store in /dev/shm:"
  "$build/bench/tandem-bench-remote" --skip-demo --big-file "$file" --spool /dev/shm/tandem-bench-spool 2>&1 | grep -v '^tandem-engine\|token='
  rm -rf /dev/shm/tandem-bench-spool
fi

openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj /CN=bench -days 1 \
  -keyout "$work/key.pem" -out "$work/cert.pem" 2> /dev/null
(cd "$work" && exec openssl s_server -accept 45999 -cert cert.pem -key key.pem -WWW -quiet > /dev/null 2>&1) &
sleep 1
stats=$(openssl s_time -connect 127.0.0.1:45999 -www /shot.safetensors -new -time 20 2>&1 | grep "real seconds")
# "N connections in T real seconds, B bytes read per connection"
echo "$stats" | awk '{printf "openssl s_time: %d fetches of %.0f MB in %d s = %.0f MB/s (TLS 1.3)\n", $1, $7/1e6, $4, $1*$7/1e6/$4}'

(exec socat -u TCP-LISTEN:46000,reuseaddr OPEN:/dev/null,wronly) &
sleep 0.5
t0=$(date +%s.%N)
socat -u OPEN:"$file" TCP:127.0.0.1:46000
t1=$(date +%s.%N)
awk -v b="$bytes" -v a="$t0" -v z="$t1" 'BEGIN{printf "socat plain copy: %.0f MB in %.2f s = %.0f MB/s\n", b/1e6, z-a, b/1e6/(z-a)}'
