#!/usr/bin/env bash
# Install the pinned environment into .venv and run the main job: the default virtual trial and its report.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install.sh
SPEC=${1:-examples/murrough2013_vs_midazolam.yaml}
OUT=${2:-out/$(basename "$SPEC" .yaml)}
.venv/bin/ketasim trial "$SPEC" --out "$OUT"
echo "report: $OUT/report.html"
# open it where there is a desktop to open it on (a headless machine just prints the path)
if [ -n "${DISPLAY:-}${WAYLAND_DISPLAY:-}" ] && command -v xdg-open >/dev/null; then xdg-open "$OUT/report.html" >/dev/null 2>&1 || true; fi
if [ "$(uname)" = Darwin ]; then open "$OUT/report.html" || true; fi
