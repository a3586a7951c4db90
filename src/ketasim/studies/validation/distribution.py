"""Evaluators of outcome distributions (held-out test targets): per-arm spread, remitters, bimodality.

Trials report means; what they imply about the spread of outcomes is checked here: the
between-patient SD of the MADRS change in each arm (derived from published standard errors),
the share of remitters in an active-placebo arm, and, as a report that is not scored, how bimodal
the simulated changes are (Sarle's coefficient and the share of partial improvers).
"""

from __future__ import annotations

import numpy as np

from ketasim.studies.validation.clinical import TE, arm, change
from ketasim.studies.validation.core import Checks, Context, Outcome, evaluator, fmt
from ketasim.studies.validation.population import Arm
from ketasim.studies.validation.targets import Target
from ketasim.studies.validation.testset_clinical import within_ci
from ketasim.studies.validation.testset_esketamine import _daly_arms

#: Sarle's coefficient above which a sample is read as bimodal (that of a uniform distribution)
SARLE_BIMODAL = 5.0 / 9.0
#: improvement (fraction of baseline) that makes a partial improver: between these bounds
MIDDLE = (0.25, 0.5)
#: a MADRS score this low is "near zero" (about free of symptoms)
NEAR_ZERO = 3.0


def sarle(x: np.ndarray) -> float:
    """Sarle's bimodality coefficient (sample skewness and excess kurtosis, n >= 4)."""
    x = np.asarray(x, float)
    n = x.size
    if n < 4 or not np.std(x) > 0:
        return float("nan")
    d = x - x.mean()
    m2, m3, m4 = (np.mean(d ** k) for k in (2, 3, 4))
    g = m3 / m2 ** 1.5 * np.sqrt(n * (n - 1)) / (n - 2)
    k = ((n + 1) * (m4 / m2 ** 2 - 3) + 6) * (n - 1) / ((n - 2) * (n - 3))
    return float((g ** 2 + 1) / (k + 3 * (n - 1) ** 2 / ((n - 2) * (n - 3))))


def shape(a: Arm, t_h: float) -> dict[str, float]:
    """SD, Sarle's coefficient and share of partial improvers of the recorded MADRS change at t_h."""
    rec = a.recorded("MADRS")
    d = change(a)[:, a.index(t_h)]
    frac = -d / np.maximum(rec[:, 0], 1.0)
    middle = float(np.mean((frac >= MIDDLE[0]) & (frac < MIDDLE[1])))
    return {"sd": float(np.std(d, ddof=1)), "sarle": sarle(d), "middle_share": middle}


def _spread(target: Target, arms: dict[str, Arm], t_h: float, note: str) -> Outcome:
    res: dict[str, float] = {}
    c = Checks()
    for name, a in arms.items():
        s = shape(a, t_h)
        res[f"sd_{name}"] = s["sd"]
        res[f"sarle_{name}"], res[f"middle_share_{name}"] = s["sarle"], s["middle_share"]
        lo, hi = target.range[f"sd_{name}"]
        c.inside(f"SD {name}", s["sd"], lo, hi, "points")
    bimodal = [k for k in arms if res[f"sarle_{k}"] > SARLE_BIMODAL]
    shown = ", ".join(f"{k} {fmt(res[f'sarle_{k}'])}" for k in arms)
    return c.outcome(res, f"{note}; Sarle's coefficient {shown} ({', '.join(bimodal) or 'none'} above "
                          f"{SARLE_BIMODAL:.3f}: bimodal); not scored")


@evaluator("test-clin-murrough-outcome-spread")
def _murrough_spread(ctx: Context, target: Target) -> Outcome:
    k, m = arm(ctx, "trd", "ketamine"), arm(ctx, "trd", "midazolam")
    out = _spread(target, {"ketamine": k, "midazolam": m}, 24.0, "24 h after the start")
    low = m.recorded("MADRS")[:, m.index(TE + 2.0)] <= NEAR_ZERO
    out.simulated["near_zero_midazolam_2h"] = float(low.mean())
    out.detail += (f"; midazolam patients scoring <= {NEAR_ZERO:g} 2 h after the infusion: "
                   f"{int(low.sum())} of {low.size}")
    return out


@evaluator("test-clin-daly-outcome-spread")
def _daly_spread(ctx: Context, target: Target) -> Outcome:
    doses, pbo = _daly_arms(ctx)
    pooled = _Pooled(list(doses.values()))
    return _spread(target, {"esketamine": pooled, "placebo": pbo}, 24.0, "24 h after the first session")


class _Pooled(Arm):
    """Several arms of one population read as one (their patients stacked)."""

    def __init__(self, arms: list[Arm]) -> None:
        first = arms[0]
        outs = {n: np.vstack([a.outputs[n] for a in arms]) for n in first.outputs}
        super().__init__("+".join(a.key for a in arms), first.t, outs, first.population)
        self._arms = arms

    def recorded(self, scale: str) -> np.ndarray:
        return np.vstack([a.recorded(scale) for a in self._arms])


@evaluator("test-clin-midazolam-remission-24h")
def _remission(ctx: Context, target: Target) -> Outcome:
    res = {}
    c = Checks()
    for key in ("midazolam", "ketamine"):
        a = arm(ctx, "trd", key)
        res[f"remission_{key}"] = float(np.mean(a.recorded("MADRS")[:, a.index(24.0)] <= 10))
        within_ci(c, target, f"remission_{key}", res[f"remission_{key}"], "")
    return c.outcome(res, "remission = recorded MADRS <= 10 at 24 h")
