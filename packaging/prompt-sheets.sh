#!/usr/bin/env bash
# Generates one 4-second shot for each of five prompts with the demo model and writes its contact sheet
# (the prompt, eight frames and the waveform under them) to docs/screenshots/prompts/N.png, so a reader
# sees what the prompt changes. Seeds are fixed: the same model draws the same sheets.
# Usage: packaging/prompt-sheets.sh [MODEL_DIR]   (after a build; TANDEM_BUILD_DIR picks another build folder)
set -euo pipefail
cd "$(dirname "$0")/.."

build=${TANDEM_BUILD_DIR:-build}
model=${1:-resources/models/demo}
out=docs/screenshots/prompts
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$out"

prompts=(
  "a large red rubber circle bounces in front of a blue wall"
  "a small yellow metal square slides in front of a green wall; rain falls"
  "a large blue wooden triangle falls in front of a orange wall; wind blows"
  "a small green rubber circle bounces in front of a purple wall; a face says <S>bama tilo<E>"
  "a large white metal square falls, a small red wooden circle slides in front of a yellow wall"
)
for i in "${!prompts[@]}"; do
  n=$((i + 1))
  "$build/app/tandem-cli" generate --model "$model" --prompt "${prompts[$i]}" --seconds 4 --seed "$n" \
    -o "$work/$n.mp4" --sheet "$out/$n.png" > /dev/null 2> "$work/log" || { cat "$work/log" >&2; exit 1; }
  echo "$out/$n.png: ${prompts[$i]}"
done
