"""A trial's size checked against the limits, and its memory and time estimated, before any work.

Everything here is computed from the spec alone (no model is built, no grid is allocated), so a
trial far too big for the machine is refused in milliseconds with the estimate in the message.
"""

from __future__ import annotations

from dataclasses import dataclass

from ketasim.runtime import limits as lim
from ketasim.runtime.spec import TrialSpec

#: a run is announced (estimate printed) above this much memory or time
BIG_BYTES = 2e9
BIG_S = 300.0
#: measures a chunk stores: every output of the full model, or the concentrations of the exposure layer
_MEASURES = {"all": 40, "exposure": 16}


def grid_points(spec: TrialSpec) -> int:
    """Observation times of the trial, counted without building the grid (an upper bound)."""
    n = int(spec.end_h // 24.0) + 2
    for arm in spec.arms:
        for d in arm.doses:
            per_dose = int(d.duration_h * 12) + 24 + 8 + 18 + 1  # 5-min, 30-min, hourly, end of dose
            n += len(d.times_h) * d.sprays * per_dose
    for e in spec.endpoints:
        n += 3
        if e.kind in ("relapse", "time_to_relapse") and e.from_h is not None:
            stop = e.at_h if e.at_h is not None else spec.end_h
            n += int((stop - e.from_h) / e.visit_interval_h) + 1
    return n


def dose_times(spec: TrialSpec) -> int:
    """Dose events (administrations x sprays) of the busiest arm."""
    return max((sum(len(d.times_h) * d.sprays for d in arm.doses) for arm in spec.arms), default=0)


def _busiest_arm(spec: TrialSpec) -> str:
    counts = [sum(len(d.times_h) * d.sprays for d in arm.doses) for arm in spec.arms]
    return f"arms[{counts.index(max(counts))}].regimen" if counts else "arms"


@dataclass(frozen=True)
class Plan:
    """The estimate of a run and whether it is big enough to announce."""

    estimate: lim.Estimate
    big: bool


def plan_run(spec: TrialSpec, replicates: int, chunk_size: int, workers: int | None,
             allow_large: bool) -> Plan:
    """Check the trial against the limits (UserError naming the field) and estimate its cost."""
    patients = spec.population.size
    lim.check_trial_size(patients, replicates, spec.end_h, dose_times(spec), allow_large, _busiest_arm(spec))
    points = min(grid_points(spec), 10**12)
    estimate = lim.estimate_run(patients, replicates, points, _MEASURES.get(spec.layers, 40), chunk_size,
                                spec.end_h, dose_times(spec), workers or 1)
    lim.check_memory(estimate)
    return Plan(estimate, estimate.memory_bytes > BIG_BYTES or estimate.wall_s > BIG_S)
