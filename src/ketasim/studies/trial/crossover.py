"""Within-patient analysis of a crossover trial (docs/designs.md, "Crossover").

Per treatment: the endpoint over every patient-period that received it (t interval for means,
Wilson for proportions). Treatment A minus B within patients:

- means: each patient's difference A - B; the sequence means of these differences are averaged
  with equal weight, which removes a period effect (for AB/BA this is the Hills-Armitage
  analysis); the interval and p-value use the Welch-Satterthwaite t over sequences;
- proportions: the paired difference with the Agresti-Min interval (0.5 added to each cell of
  the 2x2 table of pairs) and McNemar's exact test on the discordant pairs.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from scipy import stats as sps

from ketasim.runtime.spec import TrialSpec
from ketasim.studies.trial import stats
from ketasim.studies.trial.endpoints import PROPORTION_KINDS, ArmData, PatientValues, patient_values
from ketasim.studies.trial.published import annotate_crossover


def _period_values(spec: TrialSpec, arms: dict[str, ArmData], name: str) -> dict[str, dict[str, list[PatientValues]]]:
    """treatment -> sequence -> [values of each period it was given in] for endpoint `name`."""
    co = spec.crossover
    assert co is not None
    by_name = {e.name: e for e in spec.endpoints}
    out: dict[str, dict[str, list[PatientValues]]] = {t: {} for t in co.treatments}
    for seq, treatments in co.sequences.items():
        for k, t in enumerate(treatments, start=1):
            e = by_name[co.endpoint_in_period(name, k)]
            out[t].setdefault(seq, []).append(patient_values(arms[seq], e, spec.end_h, spec.missing))
    return out


def _paired_means(diffs: list[np.ndarray]) -> stats.Comparison:
    """Equal-weight mean over sequences of the within-patient differences, Welch-Satterthwaite t."""
    diffs = [d[np.isfinite(d)] for d in diffs]
    if any(d.size < 2 for d in diffs):
        return stats.Comparison(None, None, None, None, "crossover (too few patients per sequence)")
    s = len(diffs)
    est = float(np.mean([d.mean() for d in diffs]))
    parts = [d.var(ddof=1) / d.size / s**2 for d in diffs]
    se = float(np.sqrt(sum(parts)))
    test = ("crossover, period-adjusted (Hills-Armitage)" if s > 1
            else "paired t (one sequence: period effect not separable)")
    if se == 0:
        return stats.Comparison(est, est, est, 1.0 if est == 0 else 0.0, test)
    df = sum(parts) ** 2 / sum(p**2 / (d.size - 1) for p, d in zip(parts, diffs, strict=True))
    tq = float(sps.t.ppf(0.975, df))
    return stats.Comparison(est, est - tq * se, est + tq * se, float(2 * sps.t.sf(abs(est) / se, df)), test)


def _paired_proportions(a: np.ndarray, b: np.ndarray) -> stats.Comparison:
    """Paired difference of proportions: Agresti-Min interval, McNemar's exact test."""
    n = a.size
    if n == 0:
        return stats.Comparison(None, None, None, None, "mcnemar")
    n10, n01 = int(np.sum(a & ~b)), int(np.sum(~a & b))
    n11, n00 = int(np.sum(a & b)), int(np.sum(~a & ~b))
    d = (n10 - n01) / n
    p10, p01, m = (n10 + 0.5) / (n + 2), (n01 + 0.5) / (n + 2), n + 2
    dm = p10 - p01
    se = float(np.sqrt((p10 + p01 - dm**2) / m))
    p = 1.0 if n10 + n01 == 0 else float(sps.binomtest(min(n10, n01), n10 + n01, 0.5).pvalue)
    assert n11 + n00 + n10 + n01 == n
    return stats.Comparison(d, max(-1.0, dm - stats.Z95 * se), min(1.0, dm + stats.Z95 * se), p, "mcnemar exact")


def analyse_crossover(spec: TrialSpec, arms: dict[str, ArmData]) -> dict[str, Any]:
    """Per-treatment estimates and within-patient comparisons of every endpoint."""
    co = spec.crossover
    assert co is not None
    estimates: dict[str, dict[str, stats.Estimate]] = {t: {} for t in co.treatments}
    comparisons = []
    for e in co.endpoints:
        vals = _period_values(spec, arms, e.name)
        for t, seqs in vals.items():
            pooled = np.concatenate([pv.values for lst in seqs.values() for pv in lst])
            estimates[t][e.name] = (stats.wilson(int(pooled.sum()), int(pooled.size)) if e.kind in PROPORTION_KINDS
                                    else stats.mean_ci(pooled))
        for a, b in co.comparisons:
            seqs = list(co.sequences)
            if e.kind in PROPORTION_KINDS:
                va = np.concatenate([vals[a][s][0].values for s in seqs]).astype(bool)
                vb = np.concatenate([vals[b][s][0].values for s in seqs]).astype(bool)
                comparisons.append((a, b, e.name, _paired_proportions(va, vb)))
            else:
                diffs = [np.asarray(vals[a][s][0].values, float) - np.asarray(vals[b][s][0].values, float)
                         for s in seqs]
                comparisons.append((a, b, e.name, _paired_means(diffs)))
    return {"estimates": estimates, "comparisons": comparisons}


def _num(x: float | None) -> float | None:
    """6 significant digits, None where undefined (as everywhere in summary.json)."""
    return None if x is None or not np.isfinite(x) else float(f"{x:.6g}") + 0.0


def crossover_summary(spec: TrialSpec, result: dict[str, Any], power: dict[tuple[str, str, str], float] | None,
                      units: dict[str, str]) -> dict[str, Any]:
    """The `crossover` section of summary.json."""
    co = spec.crossover
    assert co is not None
    treatments = {t: {name: {"value": _num(est.value), "ci95": [_num(est.low), _num(est.high)],
                             "unit": units[name], "n": est.n} for name, est in eps.items()}
                  for t, eps in result["estimates"].items()}
    comps = []
    for a, b, name, c in result["comparisons"]:
        item: dict[str, Any] = {"treatments": [a, b], "endpoint": name, "difference": _num(c.difference),
                                "ci95": [_num(c.low), _num(c.high)], "p_value": _num(c.p_value), "test": c.test}
        if power is not None:
            item["power"] = _num(power[(a, b, name)])
        comps.append(item)
    section = {"periods_days": [_num(p / 24.0) for p in co.periods_h],
               "sequences": {k: list(v) for k, v in co.sequences.items()},
               "treatments": treatments, "comparisons": comps}
    return annotate_crossover(section, {e.name: e.published for e in co.endpoints})
