"""The observation grid shared by every patient of a trial: fine only where a measure needs it.

After a dose session: every 5 min from the dose to 2 h after its end, every 30 min to 6 h,
hourly to 24 h (DETAIL_H). Daily points from 0 to the end of the trial, every endpoint time (at,
from, window bounds) and every relapse visit. Which doses get the fine points:
- the arms' own doses, the first MAX_DETAILED_DOSES dose times of the trial (a year of daily
  doses in an arm does not multiply the grid: after those, only doses that need it, below);
- background treatments (population.background, e.g. a daily oral antidepressant) only when
  their fine points would fall inside an endpoint window;
- any dose whose fine points fall inside an endpoint window (peak endpoints read every point
  there).
Times are in hours from time zero, rounded to 1e-9 h so that the same instant is never listed
twice. docs/scaling.md gives the grid sizes and memory this leads to.
"""

from __future__ import annotations

import math

import numpy as np

from ketasim.runtime.spec import Endpoint, TrialSpec

_DIGITS = 9


def relapse_visits(e: Endpoint, end_h: float) -> np.ndarray:
    """Assessment times of a relapse endpoint after `from`: every visit_interval, and its end."""
    assert e.from_h is not None
    stop = e.at_h if e.at_h is not None else end_h
    if e.visits_h is not None:  # the trial's visit schedule
        after = [v for v in e.visits_h if e.from_h < v <= stop]
        return np.round(np.unique(np.append(after, stop)), _DIGITS)
    n = int(np.floor((stop - e.from_h) / e.visit_interval_h + 1e-9))
    visits = e.from_h + e.visit_interval_h * np.arange(1, n + 1)
    return np.round(np.unique(np.append(visits, stop)), _DIGITS)


#: dose times (over all arms, earliest first) that get the fine grid regardless of endpoints
MAX_DETAILED_DOSES = 120
#: the fine grid spans from a dose to this long after its end (h)
DETAIL_H = 24.0


def _detail(start_h: float, end_h: float) -> list[np.ndarray]:
    """The fine points after one administration from `start_h` whose infusion ends at `end_h`."""
    return [np.arange(start_h, end_h + 2.0 + 1e-9, 5.0 / 60.0), end_h + np.arange(2.0, 6.0 + 1e-9, 0.5),
            end_h + np.arange(6.0, DETAIL_H + 1e-9, 1.0), np.array([end_h])]


def _sessions(spec: TrialSpec) -> list[tuple[float, float, bool]]:
    """(start h, end of infusion h, background?) of every administration of every arm, sprays included."""
    background = set(spec.population.background)
    out = set()
    for arm in spec.arms:
        for d in arm.doses:
            for t in d.times_h:
                for k in range(d.sprays):
                    s = t + k * d.spray_interval_h
                    out.add((s, s + d.duration_h, d in background))
    return sorted(out)


def observation_grid(spec: TrialSpec) -> np.ndarray:
    """Sorted unique observation times (h) from 0 to the trial's end."""
    end = spec.end_h
    pts: list[np.ndarray] = [np.array([0.0, end]), np.arange(0.0, end + 1e-9, 24.0)]
    windows = [e.window_h for e in spec.endpoints if e.window_h is not None]
    sessions = _sessions(spec)
    own_times = sorted({s for s, _, bg in sessions if not bg})
    cutoff = own_times[MAX_DETAILED_DOSES - 1] if len(own_times) > MAX_DETAILED_DOSES else math.inf
    for s, e, bg in sessions:
        needed = any(lo <= e + DETAIL_H and s <= hi for lo, hi in windows)
        if needed or (not bg and s <= cutoff):
            pts += _detail(s, e)
    if spec.visits_h is not None:
        pts.append(np.array(spec.visits_h))
    for ep in spec.endpoints:
        pts.append(np.array(ep.times()))
        if ep.kind in ("relapse", "time_to_relapse"):
            pts.append(relapse_visits(ep, end))
    grid = np.round(np.concatenate(pts), _DIGITS)
    grid = np.unique(grid[(grid >= 0) & (grid <= round(end, _DIGITS))])
    return grid


#: rows (patients x grid times) of one chunk table by default: a chunk's table, its Parquet bytes
#: and the engine's arrays then fit in a few hundred MB whatever the trial's length
ROWS_PER_CHUNK = 400_000


def chunk_size_for(n_times: int, largest: int) -> int:
    """Default patients per chunk on a grid of `n_times`: `largest`, fewer on long grids (docs/scaling.md)."""
    return max(1, min(largest, ROWS_PER_CHUNK // max(n_times, 1)))


def index_of(grid: np.ndarray, t: float) -> int:
    """Position of time `t` on the grid (it must be there: endpoint times always are)."""
    i = int(np.searchsorted(grid, round(t, _DIGITS) - 1e-7))
    if i >= grid.size or abs(grid[i] - t) > 1e-6:
        raise KeyError(f"time {t} h is not on the observation grid")
    return i
