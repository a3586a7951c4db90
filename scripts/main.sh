#!/usr/bin/env bash
# Install the pinned environment into .venv and run the main job: the default virtual trial and its report.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3.11}
[ -x .venv/bin/python ] || "$PY" -m venv .venv
.venv/bin/python -m pip install -q --disable-pip-version-check -r requirements.lock
.venv/bin/python -m pip install -q --disable-pip-version-check --no-deps -e .
SPEC=${1:-examples/murrough2013_vs_midazolam.yaml}
OUT=${2:-out/$(basename "$SPEC" .yaml)}
.venv/bin/ketasim trial "$SPEC" --out "$OUT"
echo "report: $OUT/report.html"
