"""Typical-patient dose-response of the default model across doses, routes and enantiomers.

Usage (from the repository root; a few minutes on 2 shared cores):

    PYTHONPATH=src python scripts/dose_response.py [--json FILE] [--figure FILE] [--hypothesis NAME]

For each regimen (one administration at t = 0, typical 70-kg TRD patient, baseline MADRS 32)
it reports the drug effect at 24 h (antidepressant_effect, the fraction of baseline severity the
drug removes; and the MADRS difference from the same patient without drug, which also contains
the unblinding part of the placebo response) and the molecular amplitudes over the first 3 days
as fold-changes of baseline: peak mTORC1, BDNF and synaptic protein, trough p-eEF2, peak spine
density, and the glutamate and mTORC1 troughs (undershoot after the surge).

Published points (PUBLISHED) are drawn beside the model; "training" marks the calibration
targets (calibration-targets.yaml) the parameters were tuned to, "test" everything else.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

from ketasim.runtime.build import build_model
from ketasim.runtime.engines.fast import simulate_batch
from ketasim.runtime.regimen import Dose, dose_events

WEIGHT_KG = 70.0
IV_DOSES = (0.05, 0.1, 0.2, 0.3, 0.4, 0.5, 0.75, 1.0, 1.5)
FORTY_MIN = 40.0 / 60.0

#: (label, group, x for the figure, dose list)
REGIMENS: list[tuple[str, str, float, list[Dose]]] = [
    *[(f"IV racemic {d} mg/kg/40 min", "iv", d, [Dose("ketamine", "iv", (0.0,), mg_per_kg=d, duration_h=FORTY_MIN)])
      for d in IV_DOSES],
    *[(f"esketamine nasal {28 * k} mg", "esk_in", 28.0 * k,
       [Dose("esketamine", "intranasal", (0.0,), amount_mg=28.0, sprays=k)]) for k in (1, 2, 3)],
    ("oral racemic 1 mg/kg", "oral", 1.0, [Dose("ketamine", "oral", (0.0,), mg_per_kg=1.0)]),
    ("oral racemic 150 mg", "oral", 150.0 / WEIGHT_KG, [Dose("ketamine", "oral", (0.0,), amount_mg=150.0)]),
    ("sublingual racemic 10 mg", "sl", 10.0 / WEIGHT_KG, [Dose("ketamine", "sublingual", (0.0,), amount_mg=10.0)]),
    ("sublingual racemic 0.5 mg/kg", "sl", 0.5, [Dose("ketamine", "sublingual", (0.0,), mg_per_kg=0.5)]),
    ("nasal racemic 50 mg", "in_rac", 50.0 / WEIGHT_KG, [Dose("ketamine", "intranasal", (0.0,), amount_mg=50.0)]),
    ("SC racemic 0.1 mg/kg bolus", "sc", 0.1, [Dose("ketamine", "sc", (0.0,), mg_per_kg=0.1)]),
    ("SC racemic 0.5 mg/kg bolus", "sc", 0.5, [Dose("ketamine", "sc", (0.0,), mg_per_kg=0.5)]),
    ("IV arketamine 0.5 mg/kg/40 min", "ark", 0.5,
     [Dose("arketamine", "iv", (0.0,), mg_per_kg=0.5, duration_h=FORTY_MIN)]),
]
#: no drug: a negligible ketamine amount long after the horizon (a dose plan needs one event)
NO_DRUG = [Dose("ketamine", "iv", (1e5,), amount_mg=1e-9)]

#: published placebo-adjusted effects; madrs_diff = drug minus placebo, MADRS points at 24 h
PUBLISHED: list[dict] = [
    {"label": "IV racemic 0.5 mg/kg/40 min", "group": "iv", "x": 0.5, "madrs_diff": -7.7, "use": "training",
     "source": "Murrough et al. 2013, Am J Psychiatry 170:1134 (-16.5 vs -8.8 vs midazolam; target "
               "clin-response-vs-midazolam-24h)"},
    {"label": "IV racemic 0.1 mg/kg/40 min", "group": "iv", "x": 0.1, "madrs_diff": None, "use": "test",
     "source": "Fava et al. 2020, Mol Psychiatry 25:1592: HAM-D6 vs midazolam d = -0.82 at day 1 (p = 0.02, "
               "not significant after adjustment)"},
    {"label": "IV racemic 0.2 mg/kg/40 min", "group": "iv", "x": 0.2, "madrs_diff": None, "use": "test",
     "source": "Fava et al. 2020: not superior to midazolam; Su et al. 2017, Neuropsychopharmacology 42:2482: "
               "0.2 mg/kg between saline and 0.5 mg/kg"},
    {"label": "IV racemic 0.5 mg/kg/40 min (Fava)", "group": "iv", "x": 0.5, "madrs_diff": None, "use": "test",
     "source": "Fava et al. 2020: superior to midazolam after adjustment"},
    {"label": "IV racemic 1.0 mg/kg/40 min", "group": "iv", "x": 1.0, "madrs_diff": None, "use": "test",
     "source": "Fava et al. 2020: superior to midazolam after adjustment, not larger than 0.5 mg/kg"},
    {"label": "nasal racemic 50 mg", "group": "in_rac", "x": 50.0 / WEIGHT_KG, "madrs_diff": -7.6, "use": "test",
     "source": "Lapidus et al. 2014, Biol Psychiatry 76:970 (crossover vs saline, MADRS at 24 h; target "
               "test-clin-lapidus-intranasal)"},
    {"label": "IV arketamine 0.5 mg/kg/40 min", "group": "ark", "x": 0.5, "madrs_diff": None, "use": "test",
     "source": "Leal et al. 2021, Eur Arch Psychiatry Clin Neurosci 271:577: open label, MADRS -20.3 from "
               "baseline at 24 h (no placebo arm; not placebo-adjusted, so not drawn)"},
    {"label": "esketamine nasal 28 mg", "group": "esk_in", "x": 28.0, "madrs_diff": -9.1, "use": "test",
     "source": "Daly et al. 2018, JAMA Psychiatry 75:139, Table 1 (period 1, 24 h, LS mean difference, SE 3.1)"},
    {"label": "esketamine nasal 56 mg", "group": "esk_in", "x": 56.0, "madrs_diff": -10.0, "use": "test",
     "source": "Daly et al. 2018, Table 1 (SE 3.0)"},
    {"label": "esketamine nasal 84 mg", "group": "esk_in", "x": 84.0, "madrs_diff": -10.7, "use": "test",
     "source": "Daly et al. 2018, Table 1 (SE 2.9)"},
]

MOLECULAR = {  # output -> (statistic, label)
    "mtorc1": ("max", "mTORC1 peak"), "bdnf": ("max", "BDNF peak"), "p_eef2": ("min", "p-eEF2 trough"),
    "synaptic_protein": ("max", "synaptic protein peak"), "spine_density": ("max", "spine density peak"),
    "glutamate": ("min", "glutamate trough"),
}


def simulate(hypothesis: str = "default") -> dict:
    """Simulate every regimen and the no-drug patient; return the table rows."""
    doses_all = [d for _, _, _, ds in REGIMENS for d in ds] + NO_DRUG
    model = build_model("human", frozenset((d.drug, d.route) for d in doses_all), hypothesis)
    regs = [ds for _, _, _, ds in REGIMENS] + [NO_DRUG]
    events = [[e for d in ds for e in dose_events(d, WEIGHT_KG)] for ds in regs]
    p = np.tile(np.asarray(model.default_parameters)[:, None], (1, len(regs)))
    t = np.unique(np.concatenate([np.linspace(0, 6, 73), np.linspace(6, 72, 133)]))
    res = simulate_batch(model, events, p, t, rtol=1e-8, atol=1e-10, backend="numpy")
    if res.failed.any():
        raise RuntimeError(f"integration failed: {[m for m in res.messages if m]}")
    i24 = int(np.argmin(np.abs(res.times_h - 24.0)))
    out = res.outputs
    base = {k: out[k][-1][0] for k in MOLECULAR}
    rows = []
    for j, (label, group, x, _) in enumerate(REGIMENS):
        row = {"label": label, "group": group, "x": x,
               "ad_24h": float(out["antidepressant_effect"][j, i24]),
               "madrs_diff_24h": float(out["MADRS"][j, i24] - out["MADRS"][-1, i24]),
               "mtorc1_trough": float(out["mtorc1"][j].min() / base["mtorc1"])}
        for k, (stat, _) in MOLECULAR.items():
            v = out[k][j].max() if stat == "max" else out[k][j].min()
            row[k] = float(v / base[k])
        rows.append(row)
    return {"hypothesis": hypothesis, "rows": rows, "published": PUBLISHED}


def table(result: dict) -> str:
    """Markdown table of the model's dose-response."""
    head = ("| regimen | drug effect at 24 h | MADRS vs no drug, 24 h | mTORC1 peak | BDNF peak | p-eEF2 trough "
            "| synaptic protein peak | spines peak | glutamate trough | mTORC1 trough |")
    lines = [head, "|" + "---|" * 10]
    for r in result["rows"]:
        lines.append(f"| {r['label']} | {100 * r['ad_24h']:.0f}% | {r['madrs_diff_24h']:+.1f} | {r['mtorc1']:.2f} "
                     f"| {r['bdnf']:.2f} | {r['p_eef2']:.2f} | {r['synaptic_protein']:.2f} | {r['spine_density']:.2f} "
                     f"| {r['glutamate']:.2f} | {r['mtorc1_trough']:.3f} |")
    return "\n".join(lines)


def figure(result: dict, path: Path) -> None:
    """Drug effect (MADRS vs no drug at 24 h) by dose, route and drug, with published points."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(11, 4.2))
    rows = result["rows"]
    iv = [r for r in rows if r["group"] == "iv"]
    ax1.plot([r["x"] for r in iv], [r["madrs_diff_24h"] for r in iv], "o-", color="k", label="model, IV racemic")
    for grp, mk, name in (("oral", "s", "oral racemic"), ("sl", "^", "sublingual racemic"), ("sc", "D", "SC racemic"),
                          ("in_rac", "P", "nasal racemic"), ("ark", "v", "IV arketamine")):
        pts = [r for r in rows if r["group"] == grp]
        ax1.plot([r["x"] for r in pts], [r["madrs_diff_24h"] for r in pts], mk, mfc="none", label=f"model, {name}")
    esk = [r for r in rows if r["group"] == "esk_in"]
    ax2.plot([r["x"] for r in esk], [r["madrs_diff_24h"] for r in esk], "o-", color="k", label="model")
    for pub in result["published"]:
        if pub["madrs_diff"] is None:
            continue
        ax = ax2 if pub["group"] == "esk_in" else ax1
        color = "tab:blue" if pub["use"] == "training" else "tab:red"
        ax.plot(pub["x"], pub["madrs_diff"], "*", ms=12, color=color)
    for ax in (ax1, ax2):
        ax.plot([], [], "*", ms=12, color="tab:blue", label="published, training")
        ax.plot([], [], "*", ms=12, color="tab:red", label="published, test")
        ax.axhline(0, color="0.7", lw=0.8)
        ax.set_ylabel("MADRS drug minus no drug at 24 h (points)")
        ax.legend(fontsize=7)
    ax1.set_xlabel("dose (mg/kg; oral/sublingual mg given as mg/kg of 70 kg)")
    ax2.set_xlabel("esketamine nasal dose (mg)")
    ax1.set_title("Racemic ketamine and arketamine (typical patient)")
    ax2.set_title("Esketamine nasal, first session")
    fig.tight_layout()
    fig.savefig(path, dpi=110)


def main(argv: list[str] | None = None) -> int:
    """Command-line entry."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--json", type=Path, default=None)
    ap.add_argument("--figure", type=Path, default=None)
    ap.add_argument("--hypothesis", default="default")
    a = ap.parse_args(argv)
    result = simulate(a.hypothesis)
    print(table(result))
    if a.json:
        a.json.write_text(json.dumps(result, indent=1))
    if a.figure:
        figure(result, a.figure)
    return 0


if __name__ == "__main__":
    sys.exit(main())
