#!/usr/bin/env bash
# Renders the editor's real window under Xvfb into docs/screenshots/*.png: the main window with a sequence,
# mask painting, the generation panel with a job running on the engine, and the export dialog. The media are
# shots the demo model generates here, so the pictures show what a new user sees.
# Usage: packaging/screenshots.sh   (after a build; TANDEM_BUILD_DIR picks another build folder)
set -euo pipefail
cd "$(dirname "$0")/.."

build=${TANDEM_BUILD_DIR:-build}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export XDG_CONFIG_HOME="$work/config" # a new user's settings: the default panel layout

cli="$build/app/tandem-cli"
"$cli" generate --prompt "a large red rubber circle bounces in front of a blue wall; a face says <S>bama tilo<E>" \
  --seconds 4 --seed 1 -o "$work/circle.mp4"
"$cli" generate --prompt "a small green square slides across a yellow floor with a thud" \
  --seconds 3 --seed 5 -o "$work/square.mp4"

mkdir -p docs/screenshots
xvfb-run -a -s "-screen 0 1600x1000x24" "$build/app/tandem" --no-play --screenshots docs/screenshots \
  "$work/circle.mp4" "$work/square.mp4"
ls -l docs/screenshots
