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

import dataclasses
from dataclasses import dataclass

import numpy as np

from ketasim.runtime.spec import Endpoint, TrialSpec
from ketasim.studies.trial import stats
from ketasim.studies.trial.dropout import carried_forward, dropout_times, observed
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
    gone_h: np.ndarray | None = None  # dropout time per patient (inf: stays); None: no dropout


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


def _relapse(y: np.ndarray, times: np.ndarray, e: Endpoint, end_h: float,
             gone_h: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(responder at from, relapsed, days to relapse or censoring at the last visit or dropout) per patient."""
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
    last = np.full(n, visits[-1]) if gone_h is None else np.minimum(visits[-1], np.maximum(gone_h, e.from_h))
    when = (last - e.from_h) / 24.0
    for i in range(n):
        run = 0
        for j in range(k):
            run = run + 1 if lost[i, j] else 0
            if run >= e.consecutive:
                relapsed[i] = True
                when[i] = (visits[j] - e.from_h) / 24.0
                break
    return responder, relapsed, when


def patient_values(arm: ArmData, e: Endpoint, end_h: float, missing: str = "locf") -> PatientValues:
    """Per-patient values of endpoint `e` in `arm` (after dropout: see trial/dropout.py)."""
    t = arm.times
    y = arm.measures[e.measure]
    if arm.gone_h is not None:
        seen = observed(y, t, arm.gone_h)
        if e.kind in ("relapse", "time_to_relapse"):
            return _relapse_values(seen, t, e, end_h, arm.gone_h)
        y = carried_forward(y, t, arm.gone_h) if missing == "locf" else seen
        first = e.window_h[0] if e.window_h is not None else e.at_h  # the first assessment the endpoint reads
        y = y[~np.isnan(y[:, index_of(t, first)])]
    base = y[:, 0] if e.base_h is None else y[:, index_of(t, e.base_h)]
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
        peak = np.nanmax(y[:, i0:i1 + 1], axis=1) if y.size else np.zeros(0)
        v = peak if e.kind == "peak" else peak - y[:, i0]
        return PatientValues(e.kind, v, base)
    return _relapse_values(y, t, e, end_h, None)


def _relapse_values(y: np.ndarray, t: np.ndarray, e: Endpoint, end_h: float,
                    gone_h: np.ndarray | None) -> PatientValues:
    """Relapse or time to relapse among responders at `from`."""
    base = y[:, 0]
    responder, relapsed, when = _relapse(y, t, e, end_h, gone_h)
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
    dropouts: dict[str, int] | None = None  # arm -> patients gone before the end (None: no dropout)


def with_dropout(spec: TrialSpec, arms: dict[str, ArmData], seed: int) -> dict[str, ArmData]:
    """Arms with each patient's dropout time, for the arms that have dropout."""
    out = dict(arms)
    for i, arm in enumerate(spec.arms):
        if arm.dropout_fraction > 0 and arm.name in arms:
            data = arms[arm.name]
            gone = dropout_times(arm.dropout_fraction, arm.dropout_by_h, data.patients, seed, i)
            out[arm.name] = dataclasses.replace(data, gone_h=gone)
    return out


def analyse(spec: TrialSpec, arms: dict[str, ArmData], seed: int) -> Analysis:
    """All endpoints of all arms, then every requested comparison for every endpoint."""
    arms = with_dropout(spec, arms, seed)
    values = {name: {e.name: patient_values(data, e, spec.end_h, spec.missing) for e in spec.endpoints}
              for name, data in arms.items()}
    estimates = {name: {k: arm_estimate(v) for k, v in eps.items()} for name, eps in values.items()}
    comps = []
    for a, b in spec.comparisons:
        for e in spec.endpoints:
            comps.append((a, b, e.name, compare(values[a][e.name], values[b][e.name], e, seed, (a, b))))
    dropouts = None
    if any(a.dropout_fraction > 0 for a in spec.arms):
        dropouts = {name: int(np.sum(d.gone_h < spec.end_h)) if d.gone_h is not None else 0
                    for name, d in arms.items()}
    return Analysis(estimates, comps, dropouts)
