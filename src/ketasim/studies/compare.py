"""Compare hypotheses on the calibration targets and find experiments that tell the best apart.

The matrix reuses the validation package: `select_targets`, `Context` and `evaluate` give each
target's pass/fail and its normalised distance (how far outside the tolerance band, in band
widths; qualitative rules have none). Per-variant results are cached as JSON with a fingerprint
of the variant's parameters, so a rerun only simulates what changed; existing scorecards
(docs/scorecards/<variant>.json) can be reused as they are.

Discriminating experiments: candidate set-ups (rodent perturbations as in validation/experiments.py,
human readouts) are simulated for the top hypotheses; each is ranked by the spread of the
predictions (max - min) divided by the measurement noise of its readout.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ketasim.model.species import REFERENCE_WEIGHT_KG
from ketasim.studies.metrics import parse_metric

#: a distance above this many band widths counts as this many in the score
DISTANCE_CAP = 3.0
#: a failure of a qualitative rule (no distance) counts as one band width
QUALITATIVE_FAIL = 1.0


@dataclass(frozen=True)
class Experiment:
    """A candidate experiment: regimen, perturbation, readout and the noise of one measurement."""

    id: str
    text: str
    species: str
    readout: str  # a metric string (research/metrics.py)
    noise: float  # SD of the measured readout (assumption; unit of the readout)
    noise_basis: str
    mg_per_kg: float = 10.0
    route: str = "ip"
    duration_h: float = 0.0
    drug: str = "ketamine"
    overrides: tuple[tuple[str, float], ...] = ()


def _mouse(id_: str, text: str, readout: str, noise: float, basis: str, **kw: Any) -> Experiment:
    return Experiment(id_, text, "mouse", readout, noise, basis, **kw)


_BEH = "SD of a group mean (n = 10) of the 0..1 behavioural effect (assumption)"
_HUM = "SD of a 20-patient arm mean; between-patient SD 8 MADRS points (assumption)"
#: candidate experiments (mouse: stressed animals; human: the typical TRD patient)
CANDIDATES: tuple[Experiment, ...] = (
    _mouse("mouse-fst-24h", "mouse 10 mg/kg IP: behaviour at 24 h", "antidepressant_effect@24h", 0.1, _BEH),
    _mouse("mouse-rapamycin", "+ brain rapamycin: behaviour at 24 h", "antidepressant_effect@24h", 0.1, _BEH,
           overrides=(("rapamycin_brain", 1.0),)),
    _mouse("mouse-nbqx", "+ NBQX (90 % AMPAR block): behaviour at 24 h", "antidepressant_effect@24h", 0.1, _BEH,
           overrides=(("nbqx_block", 0.9),)),
    _mouse("mouse-naltrexone", "+ naltrexone (90 %): behaviour at 24 h", "antidepressant_effect@24h", 0.1, _BEH,
           overrides=(("naltrexone_occ", 0.9),)),
    _mouse("mouse-trkb-ko", "TrkB knockout: behaviour at 24 h", "antidepressant_effect@24h", 0.1, _BEH,
           overrides=(("trkb_ko", 1.0),)),
    _mouse("mouse-hnk", "(2R,6R)-HNK 10 mg/kg IP: behaviour at 24 h", "antidepressant_effect@24h", 0.1, _BEH,
           drug="2r6r-hnk"),
    _mouse("mouse-behaviour-7d", "mouse 10 mg/kg IP: behaviour at 7 d", "antidepressant_effect@7d", 0.1, _BEH),
    _mouse("mouse-peef2-30min", "p-eEF2 at 30 min (western blot)", "p_eef2@0.5h", 0.15,
           "SD 15 % of baseline for a blot group mean (assumption)"),
    _mouse("mouse-mtorc1-1h", "mTORC1 (p-S6K) at 1 h", "mtorc1@1h", 0.2, "SD 20 % of baseline (assumption)"),
    _mouse("mouse-spines-24h", "PFC spine density at 24 h (2-photon)", "spine_density@24h", 3.0,
           "SD 3 % of healthy for a group mean (assumption)"),
    Experiment("human-madrs-24h", "human 0.5 mg/kg IV 40 min: MADRS change at 24 h", "human",
               "change:MADRS@24h", 1.8, _HUM, mg_per_kg=0.5, route="iv", duration_h=40 / 60),
    Experiment("human-anaesthesia", "same under surgical anaesthesia (masked): MADRS change at 24 h", "human",
               "change:MADRS@24h", 1.8, _HUM, mg_per_kg=0.5, route="iv", duration_h=40 / 60,
               overrides=(("anaesthesia_masked", 1.0),)),
    Experiment("human-gamma", "human 0.5 mg/kg IV: peak gamma power 0-2 h (EEG)", "human", "peak:gamma_power@0-2h",
               0.15, "SD 0.15 of relative gamma power for a group mean (assumption)", mg_per_kg=0.5, route="iv",
               duration_h=40 / 60),
    Experiment("human-swa-night", "human 0.5 mg/kg IV: slow-wave index, first night (peak 8-20 h)", "human",
               "peak:slow_wave_index@8-20h", 0.05, "SD 0.05 of the 0..1 index (assumption)", mg_per_kg=0.5,
               route="iv", duration_h=40 / 60),
)


# -- the matrix ------------------------------------------------------------------------------------
def fingerprint(hypothesis: str) -> str:
    """sha256 of the variant's human model parameters (names, values): a cached card is valid while it holds."""
    from ketasim.runtime.build import build_model

    model = build_model("human", frozenset({("ketamine", "iv")}), hypothesis, "all")
    items = [[p.name, repr(float(v))] for p, v in zip(model.params, model.default_parameters, strict=True)]
    return hashlib.sha256(json.dumps(items).encode()).hexdigest()


def _load(path: Path) -> dict[str, dict]:
    data = json.loads(path.read_text(encoding="utf-8"))
    return {t["id"]: t for t in data.get("targets", [])}


def scorecards(hypotheses: Sequence[str], only: str | None, reuse: Path | None, cache: Path | None,
               n_patients: int = 60, seed: int = 20240611, progress: Callable[[str], None] | None = None
               ) -> dict[str, list[dict]]:
    """Per hypothesis, the selected targets' results (dicts as in the scorecard JSON), in target order.

    Results come from `reuse`/<h>.json (taken as they are), then from `cache`/<h>.json when its
    fingerprint matches, else they are simulated (and the cache is updated).
    """
    from ketasim.studies.validation import evaluators  # noqa: F401  (registers the evaluators)
    from ketasim.studies.validation.core import Context, single_threaded_blas
    from ketasim.studies.validation.scorecard import _clean, evaluate, select_targets

    targets = select_targets(only)
    single_threaded_blas()
    out: dict[str, list[dict]] = {}
    done: dict[str, str] = {}  # fingerprint -> variant already evaluated in this call
    for h in hypotheses:
        have: dict[str, dict] = {}
        fp = fingerprint(h)
        if fp in done and reuse is None:  # same parameters (e.g. default = disinhibition): same results
            out[h] = out[done[fp]]
            if progress:
                progress(f"{h}: same parameters as {done[fp]}, results shared")
            continue
        done[fp] = h
        cached: dict[str, dict] = {}
        cpath = cache / f"{h}.json" if cache else None
        if cpath is not None and cpath.exists():
            data = json.loads(cpath.read_text(encoding="utf-8"))
            if data.get("fingerprint") == fp and data.get("n_patients") == n_patients and data.get("seed") == seed:
                cached = {t["id"]: t for t in data["targets"]}
        have.update(cached)
        if reuse is not None and (reuse / f"{h}.json").exists():
            have.update(_load(reuse / f"{h}.json"))
        missing = [t for t in targets if t.id not in have]
        if progress:
            progress(f"{h}: {len(targets) - len(missing)} targets cached, {len(missing)} to simulate")
        ctx = Context(h, n_patients=n_patients, seed=seed)
        for i, t in enumerate(missing, 1):
            r = evaluate(ctx, t)
            row = _clean(r.__dict__)
            have[t.id] = row
            cached[t.id] = row
            if progress:
                progress(f"  {h} [{i}/{len(missing)}] {t.id}: {'PASS' if r.passed else 'FAIL'} ({r.seconds:.1f} s)")
        if cpath is not None and missing:
            cpath.parent.mkdir(parents=True, exist_ok=True)
            cpath.write_text(json.dumps({"hypothesis": h, "fingerprint": fp, "n_patients": n_patients, "seed": seed,
                                         "targets": list(cached.values())}, indent=1) + "\n", encoding="utf-8")
        out[h] = [have[t.id] for t in targets]
    return out


def badness(row: dict) -> float:
    """0 for a pass; the distance outside the band (capped) for a failure; 1 for a qualitative failure."""
    if row.get("passed"):
        return 0.0
    d = row.get("distance")
    if isinstance(d, (int, float)) and math.isfinite(d) and d > 0:
        return min(float(d), DISTANCE_CAP)
    return DISTANCE_CAP if d == "inf" else QUALITATIVE_FAIL  # also: numbers inside, a qualitative part failed


def scores(cards: dict[str, list[dict]]) -> list[dict[str, Any]]:
    """Per hypothesis: passed, total, mean badness; ranked best first (more passes, then smaller badness)."""
    rows = [{"hypothesis": h, "passed": sum(bool(r.get("passed")) for r in rs), "total": len(rs),
             "mean_distance": float(np.mean([badness(r) for r in rs])) if rs else math.nan} for h, rs in cards.items()]
    rows.sort(key=lambda r: (-r["passed"], r["mean_distance"], r["hypothesis"]))
    for k, r in enumerate(rows, 1):
        r["rank"] = k
        r["score"] = r["passed"] / r["total"] if r["total"] else math.nan
    return rows


# -- discriminating experiments ---------------------------------------------------------------------
def predict(experiment: Experiment, hypothesis: str, typical: dict[str, float] | None = None) -> float:
    """The experiment's readout for the typical subject under `hypothesis` (reference solver); NaN if
    the model lacks a perturbation it needs. `typical`: posterior typical values (human models only)."""
    from ketasim.runtime.regimen import Dose
    from ketasim.studies.validation.core import Context, MissingOutputError, MissingParameterError
    from ketasim.studies.validation.experiments import STRESSED, TYPICAL_TRD

    m = parse_metric(experiment.readout)
    t = np.unique(np.concatenate([m.times(), [0.0]]))
    dose = Dose(experiment.drug, experiment.route, (0.0,), mg_per_kg=experiment.mg_per_kg,
                duration_h=experiment.duration_h)
    cov = TYPICAL_TRD if experiment.species == "human" else {**STRESSED, "WT": REFERENCE_WEIGHT_KG["mouse"]}
    try:
        sim = Context(hypothesis, typical=typical).run(experiment.species, [dose], tuple(t),
                                                       overrides=dict(experiment.overrides), covariates=cov)
        y = sim.out(m.output)
    except (MissingParameterError, MissingOutputError):
        return math.nan
    return float(m.compute(sim.t, y[None, :])[0])


def distinct_top(cards: dict[str, list[dict]], ranking: list[dict[str, Any]], k: int) -> list[str]:
    """The k best hypotheses, skipping variants that share another's results (identical parameters)."""
    out: list[str] = []
    for r in ranking:
        h = r["hypothesis"]
        if all(cards[h] is not cards[o] for o in out):
            out.append(h)
        if len(out) == k:
            break
    return out


def discriminate(experiments: Sequence[Experiment], top: Sequence[str],
                 progress: Callable[[str], None] | None = None) -> list[dict[str, Any]]:
    """Predictions of each experiment under each top hypothesis; ranked by spread / noise (largest first)."""
    rows = []
    for k, e in enumerate(experiments, 1):
        preds = {h: predict(e, h) for h in top}
        vals = np.array([v for v in preds.values() if math.isfinite(v)])
        spread = float(vals.max() - vals.min()) if vals.size >= 2 else math.nan
        first = [preds[h] for h in top[:2]]
        rows.append({"id": e.id, "experiment": e.text, "readout": e.readout, "noise": e.noise,
                     "noise_basis": e.noise_basis, "predictions": preds, "spread": spread,
                     "spread_z": spread / e.noise if math.isfinite(spread) else math.nan,
                     "top2_z": abs(first[0] - first[1]) / e.noise if len(first) == 2 else math.nan})
        if progress:
            progress(f"experiment [{k}/{len(experiments)}] {e.id}: spread {spread:.3g} = {rows[-1]['spread_z']:.2f} SD")
    rows.sort(key=lambda r: -np.nan_to_num(r["spread_z"], nan=-1.0))
    return rows


# -- report -------------------------------------------------------------------------------------------
def matrix_text(cards: dict[str, list[dict]], ranking: list[dict[str, Any]]) -> str:
    """Compact matrix: one row per hypothesis (best first), one column per target: + pass, digit = distance."""
    ids = [r["id"] for r in next(iter(cards.values()))]

    def cell(r: dict) -> str:
        if r.get("passed"):
            return "+"
        d = r.get("distance")
        if not (isinstance(d, (int, float)) and d > 0):
            return "?" if d != "inf" else "9"
        return str(min(9, int(math.ceil(badness(r) * 3))))
    width = max(len(h) for h in cards)
    lines = [f"{'':<{width}}  {'passed':>7} {'dist':>5}  targets 1..{len(ids)} (+ pass, 1-9 fail by distance "
             "in thirds of a band, ? qualitative fail)"]
    for r in ranking:
        row = "".join(cell(x) for x in cards[r["hypothesis"]])
        lines.append(f"{r['hypothesis']:<{width}}  {r['passed']:>3}/{r['total']:<3} {r['mean_distance']:5.2f}  {row}")
    lines.append("targets: " + ", ".join(f"{i}={t}" for i, t in enumerate(ids, 1)))
    return "\n".join(lines)


def experiments_text(rows: list[dict[str, Any]], top: Sequence[str]) -> str:
    head = f"{'experiment':<58} {'noise':>6} {'spread/SD':>9}  " + "  ".join(f"{h[:14]:>14}" for h in top)
    lines = [head]
    for r in rows:
        preds = "  ".join(f"{r['predictions'][h]:14.3g}" for h in top)
        lines.append(f"{r['experiment'][:58]:<58} {r['noise']:6.3g} {r['spread_z']:9.2f}  {preds}")
    return "\n".join(lines)


def plot(cards: dict[str, list[dict]], ranking: list[dict[str, Any]], experiments: list[dict[str, Any]],
         top: Sequence[str], path: str, n_exp: int = 8) -> None:
    """Left: hypothesis x target heatmap (green pass, red by distance); right: best experiments' predictions."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.colors import ListedColormap

    hyps = [r["hypothesis"] for r in ranking]
    ids = [r["id"] for r in cards[hyps[0]]]
    mat = np.array([[-0.5 if r.get("passed") else badness(r) for r in cards[h]] for h in hyps])
    ncol = 2 if experiments else 1
    fig, axes = plt.subplots(1, ncol, figsize=(max(8.0, 0.22 * len(ids) + 4) + 6 * (ncol - 1),
                                               0.35 * len(hyps) + 3.2),
                             gridspec_kw={"width_ratios": [max(2.0, 0.08 * len(ids)), 1.4][:ncol]}, squeeze=False)
    ax = axes[0][0]
    cmap = ListedColormap(["#3a9d4f", "#f6d5c8", "#eea58c", "#e06b50", "#c23b22", "#8e1b0e"])
    im = ax.imshow(mat, aspect="auto", cmap=cmap, vmin=-0.5, vmax=DISTANCE_CAP)
    ax.set_yticks(range(len(hyps)), [f"{h} ({r['passed']}/{r['total']})" for h, r in zip(hyps, ranking, strict=True)],
                  fontsize=8)
    ax.set_xticks(range(len(ids)), ids, rotation=90, fontsize=6)
    ax.set_title("hypothesis x calibration target (green pass; red: distance outside the band)", fontsize=9)
    fig.colorbar(im, ax=ax, fraction=0.025, label="band widths outside (capped)")
    if experiments:
        ax = axes[0][1]
        rows = experiments[:n_exp][::-1]
        centre = [np.nanmean([r["predictions"][h] for h in top]) for r in rows]
        for j, h in enumerate(top):
            xs = [(r["predictions"][h] - c) / r["noise"] for r, c in zip(rows, centre, strict=True)]
            ax.plot(xs, np.arange(len(rows)) + (j - (len(top) - 1) / 2) * 0.15, "o", label=h)
        ax.set_yticks(range(len(rows)), [f"{r['id']} ({r['spread_z']:.1f} SD)" for r in rows], fontsize=8)
        ax.set_xlabel("prediction - mean of the top hypotheses (noise SDs)")
        ax.set_title("experiments that best discriminate the top hypotheses", fontsize=9)
        ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
