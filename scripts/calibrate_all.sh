#!/usr/bin/env bash
# Calibrate every hypothesis variant on the training targets, resumably; then (optionally) ship
# the posteriors and run the comparison and the test-target coverage.
#
#   scripts/calibrate_all.sh [OUT]            # default OUT: cal-all
#
# Settings (environment; docs/calibrate.md "Calibrating every variant" gives the budget):
#   WALKERS=16 STEPS=600 PATIENTS=40 NFREE=6 SEED=20240601   the calibration of each variant
#   FREE="a,b"              fixed free parameters instead of the sensitivity screen's NFREE
#   JOBS=2                  variants calibrated at once (one per core)
#   VARIANTS="a b ..."      a subset (default: every variant `ketasim hypotheses` lists)
#   SHIP=1                  copy each finished posterior into src/ketasim/data/posteriors/<variant>/
#   COMPARE=1               afterwards: ketasim hypotheses compare --posteriors OUT (OUT/compare)
#   COVERAGE_DRAWS=20 COVERAGE_VARIANTS=default
#                           with COMPARE=1: validate --use test --posterior for these variants
#                           (OUT/<v>/coverage.json; about 5 CPU-min per draw and variant)
#
# Resume: run the same command again. A variant whose posterior.json records STEPS steps is
# skipped; any other resumes its chain from OUT/<variant>/chain.npz (saved after every step,
# so an interruption loses at most one step). Raising STEPS extends finished chains.
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=${1:-cal-all}
WALKERS=${WALKERS:-16}
STEPS=${STEPS:-600}
PATIENTS=${PATIENTS:-40}
NFREE=${NFREE:-6}
SEED=${SEED:-20240601}
JOBS=${JOBS:-2}
PY=${PYTHON:-python}
FREE=${FREE:-}
export PYTHONPATH="$PWD/src${PYTHONPATH:+:$PYTHONPATH}"
mkdir -p "$OUT"
if [ -z "${VARIANTS:-}" ]; then
  VARIANTS=$("$PY" -c "from ketasim.runtime.build import hypotheses; print(' '.join(hypotheses()))")
fi

done_already() {  # true when OUT/$1/posterior.json records at least STEPS steps
  "$PY" -c 'import json, sys
try:
    meta = json.load(open(sys.argv[1]))
except (OSError, ValueError):
    sys.exit(1)
sys.exit(0 if meta.get("settings", {}).get("steps", 0) >= int(sys.argv[2]) else 1)' "$OUT/$1/posterior.json" "$STEPS"
}

one() {  # calibrate one variant (resumes from its chain), logging to OUT/<variant>.log
  local v=$1
  if done_already "$v"; then
    echo "calibrate_all: $v done (posterior.json has $STEPS steps)"
    return 0
  fi
  echo "calibrate_all: $v starting ($(date -u +%H:%M:%S) UTC)"
  local t0=$SECONDS
  if "$PY" -m ketasim calibrate --hypothesis "$v" --out "$OUT/$v" --walkers "$WALKERS" --steps "$STEPS" \
       --patients "$PATIENTS" --n-free "$NFREE" --seed "$SEED" ${FREE:+--free "$FREE"} >>"$OUT/$v.log" 2>&1; then
    echo "calibrate_all: $v finished in $((SECONDS - t0)) s"
  else
    echo "calibrate_all: $v FAILED (see $OUT/$v.log); rerun to resume" >&2
    return 1
  fi
}
export -f one done_already
export OUT STEPS WALKERS PATIENTS NFREE SEED PY FREE

status=0
printf '%s\n' $VARIANTS | xargs -P "$JOBS" -I{} bash -c 'one "$@"' _ {} || status=$?

if [ "${SHIP:-0}" = 1 ]; then
  for v in $VARIANTS; do
    if done_already "$v"; then
      mkdir -p "src/ketasim/data/posteriors/$v"
      cp "$OUT/$v/posterior.npz" "$OUT/$v/posterior.json" "src/ketasim/data/posteriors/$v/"; if [ -f "$OUT/$v/screen.json" ]; then cp "$OUT/$v/screen.json" "src/ketasim/data/posteriors/$v/"; fi
      echo "calibrate_all: shipped $v"
    fi
  done
fi

if [ "${COMPARE:-0}" = 1 ]; then
  "$PY" -m ketasim hypotheses compare --posteriors "$OUT" --no-matrix --out "$OUT/compare" \
    > "$OUT/compare.txt" 2>"$OUT/compare.log" || status=$?
  for v in ${COVERAGE_VARIANTS:-default}; do
    if done_already "$v"; then
      "$PY" -m ketasim validate --use test --posterior "$OUT/$v" --hypothesis "$v" --draws "${COVERAGE_DRAWS:-20}" \
        --json "$OUT/$v/coverage.json" > "$OUT/$v/coverage.txt" 2>>"$OUT/$v.log" || status=$?
    fi
  done
fi
exit $status
