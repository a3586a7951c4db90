"""What a fast-engine driver is given and returns for one chunk of patients.

`stop_schedule` turns a chunk's dose plan into the times the integrator must stop at (dose
breakpoints, the end, and every output time when the continuous output is not used) and
applies the doses at t = 0; `ChunkRecord` holds the states at the output times and the
bookkeeping. Both drivers (NumPy and numba) use them, so breakpoints are handled one way.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass
class ChunkRecord:
    """What one chunk's integration writes: states at the output times and the bookkeeping."""

    out: np.ndarray  # (m, n_times, n_recorded): one contiguous record per patient and time
    failed: np.ndarray
    messages: list[str]
    steps: np.ndarray
    rejected: np.ndarray

    @classmethod
    def empty(cls, m: int, n_times: int, n_recorded: int) -> ChunkRecord:
        """A record of m patients, nothing integrated yet."""
        return cls(np.empty((m, n_times, n_recorded)), np.zeros(m, dtype=bool), [""] * m,
                   np.zeros(m, dtype=np.int64), np.zeros(m, dtype=np.int64))

    def fail(self, i: int, t: float, why: str) -> None:
        """Mark patient i failed at time t: the message, and NaN from its next output time on (by the caller)."""
        self.failed[i] = True
        self.messages[i] = f"fast engine failed at t = {t:.6g} h: {why}"


@dataclass(frozen=True)
class StopSchedule:
    """Where the integrator stops, which plan entry applies at each stop (-1: none), and the start."""

    stops: np.ndarray
    stop_plan: np.ndarray
    y0: np.ndarray  # the initial states after the doses at t = 0 (n_states, m)
    u0: np.ndarray | None  # the input rates from t = 0 (n_inputs, m); None: no dose at t = 0
    k0: int  # the output times at or before t = 0


def stop_schedule(plan_t: np.ndarray, jumps: np.ndarray, rates: np.ndarray, t_out: np.ndarray, y: np.ndarray,
                  dense: bool) -> StopSchedule:
    """The stops of a chunk (dose breakpoints after 0, the end; all output times when not `dense`)."""
    t_end = float(t_out[-1])
    stops = np.unique(np.concatenate([plan_t[(plan_t > 0) & (plan_t <= t_end)], [t_end],
                                      [] if dense else t_out[t_out > 0]]))
    stop_plan = np.full(stops.size, -1, dtype=np.intp)
    u0 = None
    for k, tb in enumerate(plan_t):
        if tb == 0:  # doses at t = 0 act on the initial state
            y = y + jumps[k]
            u0 = rates[k].copy()
        elif tb <= t_end:
            stop_plan[np.searchsorted(stops, tb)] = k
    return StopSchedule(stops, stop_plan, y, u0, int(np.searchsorted(t_out, 0.0, side="right")))
