"""Readouts of simulated time series: peaks, troughs, crossings, areas and half-lives."""

from __future__ import annotations

import math

import numpy as np


def first_time(t: np.ndarray, cond: np.ndarray, after: float = -math.inf) -> float:
    """First time >= `after` at which `cond` holds (NaN if never)."""
    ok = np.asarray(cond, bool) & (t >= after)
    return float(t[np.argmax(ok)]) if ok.any() else math.nan


def last_time(t: np.ndarray, cond: np.ndarray) -> float:
    """Last time at which `cond` holds (NaN if never)."""
    ok = np.asarray(cond, bool)
    return float(t[len(t) - 1 - np.argmax(ok[::-1])]) if ok.any() else math.nan


def crossing_down(t: np.ndarray, y: np.ndarray, level: float, after: float) -> float:
    """First time after `after` at which y falls to `level` (linear interpolation; NaN if never)."""
    idx = np.nonzero((t >= after) & (y <= level))[0]
    if idx.size == 0:
        return math.nan
    i = int(idx[0])
    if i == 0 or t[i - 1] < after:
        return float(t[i])
    y0, y1 = y[i - 1], y[i]
    return float(t[i - 1] + (t[i] - t[i - 1]) * (y0 - level) / (y0 - y1)) if y0 != y1 else float(t[i])


def peak(t: np.ndarray, y: np.ndarray, lo: float = -math.inf, hi: float = math.inf) -> tuple[float, float]:
    """(time, value) of the maximum of y within [lo, hi]."""
    m = (t >= lo) & (t <= hi)
    i = int(np.argmax(np.where(m, y, -np.inf)))
    return float(t[i]), float(y[i])


def trough(t: np.ndarray, y: np.ndarray, lo: float = -math.inf, hi: float = math.inf) -> tuple[float, float]:
    """(time, value) of the minimum of y within [lo, hi]."""
    m = (t >= lo) & (t <= hi)
    i = int(np.argmin(np.where(m, y, np.inf)))
    return float(t[i]), float(y[i])


def signed_extreme(t: np.ndarray, y: np.ndarray, base: float, lo: float, hi: float) -> float:
    """The largest deviation of y from `base` within [lo, hi], with its sign."""
    m = (t >= lo) & (t <= hi)
    d = y[m] - base
    return float(d[np.argmax(np.abs(d))])


def auc(t: np.ndarray, y: np.ndarray) -> float:
    """Trapezoidal area under y(t)."""
    return float(np.trapezoid(y, t))


def loglinear_half_life(t: np.ndarray, y: np.ndarray, lo: float, hi: float) -> float:
    """Half-life from a log-linear regression of y over [lo, hi] (same time unit as t)."""
    m = (t >= lo) & (t <= hi) & (y > 0)
    if m.sum() < 3:
        return math.nan
    slope = np.polyfit(t[m], np.log(y[m]), 1)[0]
    return float(math.log(2) / -slope) if slope < 0 else math.inf
