"""Exact simulation of linear compartmental models with bolus and zero-order inputs.

dx/dt = A x + b(t), where b(t) is piecewise constant (zero-order infusions). Between two
breakpoints the solution is x(t + h) = E x(t) + f with [[E, f], [0, 1]] = expm([[A, b], [0, 0]] h),
so the concentration-time curve is exact at every output time (no step-size error). Matrices
are cached per (step, input), so a fine uniform grid costs a handful of matrix exponentials.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from scipy.linalg import expm


@dataclass(frozen=True)
class Bolus:
    """`amount` (mg) put into state `state` at `time_h`."""

    time_h: float
    state: int
    amount: float


@dataclass(frozen=True)
class Infusion:
    """`amount` (mg) put into state `state` at a constant rate from `start_h` over `duration_h`."""

    start_h: float
    duration_h: float
    state: int
    amount: float


@dataclass
class LinearSystem:
    """A linear compartmental model: `a` (n x n, 1/h); states are amounts (mg)."""

    a: np.ndarray
    _cache: dict = field(default_factory=dict, repr=False)

    def _step(self, h: float, b: tuple[float, ...]) -> tuple[np.ndarray, np.ndarray]:
        key = (round(h, 12), b)
        hit = self._cache.get(key)
        if hit is None:
            n = self.a.shape[0]
            m = np.zeros((n + 1, n + 1))
            m[:n, :n] = self.a
            m[:n, n] = b
            e = expm(m * h)
            hit = (e[:n, :n], e[:n, n])
            self._cache[key] = hit
        return hit

    def simulate(self, inputs: Sequence[Bolus | Infusion], times_h: np.ndarray) -> np.ndarray:
        """State amounts at `times_h` (sorted, starting at 0 or later); shape (len(times), n)."""
        n = self.a.shape[0]
        breaks = {0.0}
        for u in inputs:
            if isinstance(u, Bolus):
                breaks.add(u.time_h)
            else:
                breaks.update((u.start_h, u.start_h + u.duration_h))
        grid = np.unique(np.concatenate([np.asarray(times_h, float), sorted(breaks)]))
        x = np.zeros(n)
        out = {}
        t_prev = 0.0
        for t in grid:
            if t > t_prev:
                b = np.zeros(n)
                mid = 0.5 * (t_prev + t)
                for u in inputs:
                    if isinstance(u, Infusion) and u.start_h <= mid < u.start_h + u.duration_h:
                        b[u.state] += u.amount / u.duration_h
                e, f = self._step(t - t_prev, tuple(b))
                x = e @ x + f
            for u in inputs:  # boluses at t enter after the value just before t is recorded
                if isinstance(u, Bolus) and u.time_h == t:
                    x = x.copy()
                    x[u.state] += u.amount
            out[float(t)] = x.copy()
            t_prev = t
        return np.array([out[float(t)] for t in times_h])


def grid_h(t_end_h: float = 24.0, fine_to_h: float = 4.0, fine_step_h: float = 1.0 / 60.0,
           step_h: float = 0.05) -> np.ndarray:
    """Output times: every minute for the first `fine_to_h` hours, then every 3 min."""
    return np.unique(np.concatenate([np.arange(0.0, fine_to_h, fine_step_h),
                                     np.arange(fine_to_h, t_end_h + step_h / 2, step_h), [t_end_h]]))


@dataclass(frozen=True)
class Exposure:
    """Cmax (ng/mL), Tmax (h) and AUC from 0 to the end of the grid (ng*h/mL, linear trapezoids)."""

    cmax: float
    tmax_h: float
    auc: float


def exposure(t: np.ndarray, c: np.ndarray, t_end_h: float = 24.0) -> Exposure:
    """Cmax, Tmax and AUC(0-t_end) of a concentration-time curve (same rules for every model)."""
    t = np.asarray(t, float)
    c = np.asarray(c, float)
    keep = t <= t_end_h + 1e-12
    t, c = t[keep], c[keep]
    i = int(np.argmax(c))
    return Exposure(float(c[i]), float(t[i]), float(np.trapezoid(c, t)))


def lognormal(rng: np.random.Generator, variance: float) -> float:
    """exp(eta), eta ~ N(0, variance): the multiplier of an exponential random effect."""
    return float(np.exp(rng.normal(0.0, np.sqrt(variance)))) if variance > 0 else 1.0
