#!/usr/bin/env bash
# Installs everything Tandem needs to build, run and test on Debian 12 (bookworm).
# Idempotent and non-interactive: packages already present are left alone.
# Usage: packaging/setup-debian.sh [--with-bench]
set -euo pipefail

packages=(
  # toolchain
  build-essential cmake ninja-build pkg-config git
  # ui/ and timeline/
  qt6-base-dev qt6-base-dev-tools libqt6opengl6-dev
  # model/: LibTorch, and OpenBLAS so its matmuls are not 58x slower than they should be
  libtorch-dev libopenblas0-openmp
  # model/ltx2/: Gemma 3's tokenizer (SentencePiece, the library it was made with)
  libsentencepiece-dev
  # render/
  libavcodec-dev libavformat-dev libavutil-dev libswscale-dev libswresample-dev libavfilter-dev
  portaudio19-dev libopencv-dev opencv-data libebur128-dev
  # shared (OpenSSL: the engine's TLS for editors on other machines)
  catch2 nlohmann-json3-dev libssl-dev
  # what the tests and screenshots use; real footage for the lip-sync tests (a film's dialogue scene in
  # opencv-doc's examples, a machine's sound without speech in python3-hug-doc's)
  ffmpeg xvfb xauth jackd2 espeak-ng sox opencv-doc python3-hug-doc
  # MLT's own renderer, the reference the Shotcut / Kdenlive hand-off is checked against
  melt
  # fuzzing (clang's libFuzzer with AddressSanitizer and UndefinedBehaviorSanitizer); packaging checks
  clang libclang-rt-14-dev dpkg-dev appstream
)

# --with-bench adds what bench/ compares against: PyTorch (Debian's, on the same LibTorch 1.13), and socat
# (a plain copy over loopback, the yardstick of the remote engine's transfers).
if [ "${1:-}" = "--with-bench" ]; then
  packages+=(python3-torch socat)
fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "setup: all ${#packages[@]} packages already installed"
  exit 0
fi

sudo_cmd=()
[ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)
echo "setup: installing ${#missing[@]} packages: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
# jackd2 asks whether to enable real-time priority; answer once, quietly.
echo "jackd2 jackd/tweak_rt_limits boolean false" | "${sudo_cmd[@]}" debconf-set-selections
"${sudo_cmd[@]}" apt-get update -qq
"${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
