#!/usr/bin/env bash
# Regenerate the worked examples of docs/sensitivity.md, docs/hypotheses-compare.md, docs/translate.md.
# Each command writes its results into a scratch folder; the figures and JSON are copied next to the docs.
# Slow on the full model (tens of minutes on 2 cores); run from the repository root.
set -euo pipefail
K=${KETASIM:-ketasim}
W=${WORK:-$(mktemp -d)}
# 1. Morris screening of every eligible parameter of the full model, 2 trajectories
$K sensitivity --method morris --samples 2 --out "$W/morris" | tee "$W/morris.txt"
# 2. Sobol: a screen of ten parameters across the chain, then six of them with more samples
$K sensitivity --method sobol --samples 32 --params "Ki_K_S,ke0_K,pd_scale,wN_int,g_inh,g_rel,tau_bdnf,k_form,e_max,cad50" \
  --out "$W/sobol-screen" | tee "$W/sobol-screen.txt"
$K sensitivity --method sobol --samples 64 --params "g_rel,g_inh,wN_int,pd_scale,Ki_K_S,cad50" --out "$W/sobol" \
  | tee "$W/sobol.txt"
cp "$W/sobol-screen/sensitivity.json" docs/sensitivity-sobol-screen.json
cp "$W/morris/sensitivity.png" docs/sensitivity-morris.png
cp "$W/sobol/sensitivity.png" docs/sensitivity-sobol.png
cp "$W/morris/sensitivity.json" docs/sensitivity-morris.json
cp "$W/sobol/sensitivity.json" docs/sensitivity-sobol.json
# 3. hypotheses x targets (a fast subset of targets), with discriminating experiments
$K hypotheses compare --no-calibrated --only "sig-*,syn-spines-24h,syn-onset-precedes-spines,clin-naltrexone-contested" \
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
