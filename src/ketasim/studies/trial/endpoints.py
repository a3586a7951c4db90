"""Endpoint values per patient, per arm (with 95% CIs) and per comparison, from the patient table.

Definitions (docs/contracts/trial-spec.md); baseline = the measure at time zero:

- value / change / percent_change: the score at `at`, minus baseline, or 100*(score-baseline)/
  baseline (patients with a baseline of 0 are left out of percent_change);
- response: reduction from baseline >= threshold*baseline (threshold 0.5);
- remission: score <= cutoff;
- peak / peak_change: maximum over the grid points in the window (inclusive), minus the value
  at the window's start for peak_change;
- relapse: among responders at `from`, the fraction who lose response (reduction below
  threshold*baseline) at `consecutive` successive visits (default 1) by `at`; visits every
  `visit_interval` (default 1 d) after `from`, and at `at`;
  with a `rule`, a visit counts when the score is at least `rule.score_at_least` instead, at
  `rule.consecutive` successive visits `rule.every` apart;
- time_to_relapse: among responders at `from`, days from `from` to the visit that completes the
  relapse, censored at the last visit (end of follow-up: `at` if given, else the trial's end);
  summarised by the Kaplan-Meier median.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ketasim.runtime.spec import Endpoint, TrialSpec
from ketasim.studies.trial import stats
from ketasim.studies.trial.grid import index_of, relapse_visits
from ketasim.studies.trial.measures import is_score, measure_unit

PROPORTION_KINDS = ("response", "remission", "relapse")


@dataclass(frozen=True)
class ArmData:
    """One arm's recorded measures as (patients, times) arrays on the shared grid."""

    name: str
    patients: np.ndarray
    times: np.ndarray
    measures: dict[str, np.ndarray]


@dataclass(frozen=True)
class PatientValues:
    """Per-patient values of one endpoint in one arm.

    `values` are floats (mean kinds), booleans (proportions) or times in days (survival, with
    `events`); `baseline` is the measure at time zero (ANCOVA covariate).
    """

    kind: str
    values: np.ndarray
    baseline: np.ndarray
    events: np.ndarray | None = None


def endpoint_unit(e: Endpoint) -> str:
    """Unit of an endpoint's value: fraction, days, %, or the measure's unit."""
    if e.kind in PROPORTION_KINDS:
        return "fraction"
    if e.kind == "time_to_relapse":
        return "days"
    if e.kind == "percent_change":
        return "%"
    return measure_unit(e.measure)


def _relapse(y: np.ndarray, times: np.ndarray, e: Endpoint, end_h: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(responder at from, relapsed, days to relapse or censoring) per patient."""
    base = y[:, 0]
    i_from = index_of(times, e.from_h)
    responder = (base - y[:, i_from]) >= e.threshold * base
    visits = relapse_visits(e, end_h)
    idx = [index_of(times, t) for t in visits]
    if e.relapse_score is not None:  # trial-style rule: the score is back at or above a cutoff
        lost = y[:, idx] >= e.relapse_score
    else:
        lost = (base[:, None] - y[:, idx]) < e.threshold * base[:, None]
    n, k = lost.shape
    relapsed = np.zeros(n, bool)
    when = np.full(n, (visits[-1] - e.from_h) / 24.0)
    for i in range(n):
        run = 0
        for j in range(k):
            run = run + 1 if lost[i, j] else 0
            if run >= e.consecutive:
                relapsed[i] = True
                when[i] = (visits[j] - e.from_h) / 24.0
                break
    return responder, relapsed, when


def patient_values(arm: ArmData, e: Endpoint, end_h: float) -> PatientValues:
    """Per-patient values of endpoint `e` in `arm`."""
    y = arm.measures[e.measure]
    t = arm.times
    base = y[:, 0]
    if e.kind in ("value", "change", "percent_change", "response", "remission"):
        at = y[:, index_of(t, e.at_h)]
        if e.kind == "value":
            v = at
        elif e.kind == "change":
            v = at - base
        elif e.kind == "percent_change":
            with np.errstate(divide="ignore", invalid="ignore"):
                v = np.where(base > 0, 100.0 * (at - base) / base, np.nan)
        elif e.kind == "response":
            v = (base - at) >= e.threshold * base
        else:
            v = at <= e.cutoff
        return PatientValues(e.kind, v, base)
    if e.kind in ("peak", "peak_change"):
        i0, i1 = index_of(t, e.window_h[0]), index_of(t, e.window_h[1])
        peak = y[:, i0:i1 + 1].max(axis=1)
        v = peak if e.kind == "peak" else peak - y[:, i0]
        return PatientValues(e.kind, v, base)
    responder, relapsed, when = _relapse(y, t, e, end_h)
    if e.kind == "relapse":
        return PatientValues(e.kind, relapsed[responder], base[responder])
    return PatientValues(e.kind, when[responder], base[responder], relapsed[responder])


def arm_estimate(pv: PatientValues) -> stats.Estimate:
    """Per-arm value and 95% CI of an endpoint."""
    if pv.kind in PROPORTION_KINDS:
        return stats.wilson(int(pv.values.sum()), int(pv.values.size))
    if pv.kind == "time_to_relapse":
        return stats.km_median(pv.values, pv.events)
    return stats.mean_ci(pv.values)


def compare(a: PatientValues, b: PatientValues, e: Endpoint, seed: int,
            names: tuple[str, str] = ("first", "second")) -> stats.Comparison:
    """Difference a - b with its 95% CI and p-value, by the test documented for its kind."""
    if e.kind in PROPORTION_KINDS:
        return stats.compare_proportions(int(a.values.sum()), a.values.size, int(b.values.sum()), b.values.size)
    if e.kind == "time_to_relapse":
        return stats.compare_survival(a.values, a.events, b.values, b.events, seed)
    flat = stats.constant_arm(a.values, b.values, names)
    if flat is not None:
        return flat
    if is_score(e.measure) and e.kind in ("value", "change", "percent_change"):
        return stats.ancova(a.values, a.baseline, b.values, b.baseline)
    return stats.welch(a.values, b.values)


@dataclass(frozen=True)
class Analysis:
    """Per-arm estimates and comparisons of every endpoint of a trial."""

    estimates: dict[str, dict[str, stats.Estimate]]  # arm -> endpoint -> estimate
    comparisons: list[tuple[str, str, str, stats.Comparison]]  # (arm a, arm b, endpoint, result)


def analyse(spec: TrialSpec, arms: dict[str, ArmData], seed: int) -> Analysis:
    """All endpoints of all arms, then every requested comparison for every endpoint."""
    values = {name: {e.name: patient_values(data, e, spec.end_h) for e in spec.endpoints}
              for name, data in arms.items()}
    estimates = {name: {k: arm_estimate(v) for k, v in eps.items()} for name, eps in values.items()}
    comps = []
    for a, b in spec.comparisons:
        for e in spec.endpoints:
            comps.append((a, b, e.name, compare(values[a][e.name], values[b][e.name], e, seed, (a, b))))
    return Analysis(estimates, comps)
