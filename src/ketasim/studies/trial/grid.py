"""The observation grid shared by every patient of a trial.

Minutes during and after each dose (every 5 min from the dose to 2 h after its end), then
every 30 min to 6 h, hourly to 24 h after the dose, then daily to the end of the trial; plus
every endpoint time (at, from, window bounds) and every relapse visit. Times are in hours from
time zero, rounded to 1e-9 h so that the same instant is never listed twice.
"""

from __future__ import annotations

import numpy as np

from ketasim.runtime.spec import Endpoint, TrialSpec

_DIGITS = 9


def relapse_visits(e: Endpoint, end_h: float) -> np.ndarray:
    """Assessment times of a relapse endpoint after `from`: every visit_interval, and its end."""
    assert e.from_h is not None
    stop = e.at_h if e.at_h is not None else end_h
    n = int(np.floor((stop - e.from_h) / e.visit_interval_h + 1e-9))
    visits = e.from_h + e.visit_interval_h * np.arange(1, n + 1)
    return np.round(np.unique(np.append(visits, stop)), _DIGITS)


def observation_grid(spec: TrialSpec) -> np.ndarray:
    """Sorted unique observation times (h) from 0 to the trial's end."""
    end = spec.end_h
    pts: list[np.ndarray] = [np.array([0.0, end]), np.arange(0.0, end + 1e-9, 24.0)]
    for arm in spec.arms:
        for d in arm.doses:
            for t in d.times_h:
                for k in range(d.sprays):
                    s = t + k * d.spray_interval_h
                    e = s + d.duration_h
                    pts.append(np.arange(s, e + 2.0 + 1e-9, 5.0 / 60.0))
                    pts.append(e + np.arange(2.0, 6.0 + 1e-9, 0.5))
                    pts.append(e + np.arange(6.0, 24.0 + 1e-9, 1.0))
                    pts.append(np.array([e]))
    for ep in spec.endpoints:
        pts.append(np.array(ep.times()))
        if ep.kind in ("relapse", "time_to_relapse"):
            pts.append(relapse_visits(ep, end))
    grid = np.round(np.concatenate(pts), _DIGITS)
    grid = np.unique(grid[(grid >= 0) & (grid <= round(end, _DIGITS))])
    return grid


def index_of(grid: np.ndarray, t: float) -> int:
    """Position of time `t` on the grid (it must be there: endpoint times always are)."""
    i = int(np.searchsorted(grid, round(t, _DIGITS) - 1e-7))
    if i >= grid.size or abs(grid[i] - t) > 1e-6:
        raise KeyError(f"time {t} h is not on the observation grid")
    return i
