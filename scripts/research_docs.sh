#!/usr/bin/env bash
# Regenerate the worked examples of docs/sensitivity.md, docs/hypotheses-compare.md, docs/translate.md.
# Each command writes its results into a scratch folder; the figures and JSON are copied next to the docs.
# Slow on the full model (tens of minutes on 2 cores); run from the repository root.
set -euo pipefail
K=${KETASIM:-ketasim}
W=${WORK:-$(mktemp -d)}
# 1. Morris screening of every eligible parameter of the full model, 4 trajectories
$K sensitivity --method morris --samples 4 --out "$W/morris" | tee "$W/morris.txt"
# 2. Sobol on the parameters Morris ranks highest for MADRS change at 24 h
TOP=$(python -c "import json,sys; d=json.load(open('$W/morris/sensitivity.json')); \
print(','.join(r['parameter'] for r in d['metrics']['change:MADRS@24h'][:8]))")
$K sensitivity --method sobol --samples 64 --params "$TOP" --out "$W/sobol" | tee "$W/sobol.txt"
cp "$W/morris/sensitivity.png" docs/sensitivity-morris.png
cp "$W/sobol/sensitivity.png" docs/sensitivity-sobol.png
cp "$W/morris/sensitivity.json" docs/sensitivity-morris.json
cp "$W/sobol/sensitivity.json" docs/sensitivity-sobol.json
# 3. hypotheses x targets (a fast subset of targets), with discriminating experiments
$K hypotheses compare --only "sig-*,syn-spines-24h,syn-onset-precedes-spines,clin-naltrexone-contested" \
  --out "$W/compare" | tee "$W/compare.txt"
cp "$W/compare/compare.png" docs/hypotheses-compare.png
cp "$W/compare/compare.json" docs/hypotheses-compare.json
# 4. mouse 10 mg/kg IP -> human IV (dose and duration), and human 0.5 mg/kg over 40 min -> mouse IP
$K translate --from mouse --route ip --dose 10 --to human --to-route iv --out "$W/m2h" | tee "$W/m2h.txt"
$K translate --from human --route iv --dose 0.5 --infusion-min 40 --to mouse --to-route ip --out "$W/h2m" \
  | tee "$W/h2m.txt"
cp "$W/m2h/translate.png" docs/translate-mouse-to-human.png
cp "$W/h2m/translate.png" docs/translate-human-to-mouse.png
cp "$W/m2h/translate.json" docs/translate-mouse-to-human.json
cp "$W/h2m/translate.json" docs/translate-human-to-mouse.json
echo "outputs in $W"
