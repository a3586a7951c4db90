"""Dropout: who leaves an arm and when, and what the endpoints see of them afterwards.

An arm's `dropout: {fraction, by}` is a constant hazard h = -ln(1 - fraction)/by, so `fraction` of
its patients have left by `by` (missing completely at random: leaving does not depend on the
score). Each patient's dropout time is drawn from its own stream (trial seed, arm, patient id),
so it does not depend on chunking, workers or the other arms. The simulated course is kept whole
in patients.parquet; only the analysis loses the assessments after a patient has left:

- `missing: locf` (default): an assessment after dropout takes the last one before it (last
  observation carried forward, over the endpoint times, which include time zero);
- `missing: observed`: the patient is left out of an endpoint assessed after dropout.

Relapse endpoints always stop following a patient at dropout: visits after it cannot count, and
time to relapse is censored there (carrying a score forward cannot make a relapse).
"""

from __future__ import annotations

import numpy as np

DROPOUT_STREAM = 0xD809  # tag that separates the dropout draws from every other random stream


def dropout_times(fraction: float, by_h: float | None, patients: np.ndarray, seed: int, arm_index: int) -> np.ndarray:
    """Dropout time in hours per patient (inf for patients who stay)."""
    out = np.full(patients.size, np.inf)
    if fraction <= 0.0 or by_h is None:
        return out
    rate = -np.log1p(-fraction) / by_h
    for i, pid in enumerate(patients):
        u = np.random.default_rng([seed, DROPOUT_STREAM, arm_index, int(pid)]).random()
        out[i] = -np.log1p(-u) / rate
    return out


def observed(y: np.ndarray, times: np.ndarray, gone_h: np.ndarray) -> np.ndarray:
    """The assessments a trial has: NaN after each patient's dropout."""
    out = np.array(y, dtype=float, copy=True)
    out[times[None, :] > gone_h[:, None]] = np.nan
    return out


def carried_forward(y: np.ndarray, times: np.ndarray, gone_h: np.ndarray) -> np.ndarray:
    """Last observation carried forward: each assessment after dropout takes the last one before it."""
    out = np.array(y, dtype=float, copy=True)
    last = np.searchsorted(times, gone_h, side="right") - 1  # index of the last assessment kept
    for i in np.flatnonzero(last < times.size - 1):
        k = max(int(last[i]), 0)
        out[i, k + 1:] = out[i, k]
    return out
