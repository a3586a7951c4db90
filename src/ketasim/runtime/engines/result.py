"""What every engine returns: one patient's `Trajectory` and the batch `Result` of many patients.

Kept apart from the engines so that each engine (and each caller) imports the result types
without importing another engine.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from ketasim.model.description import Model


@dataclass(frozen=True)
class Trajectory:
    """States and outputs of one patient at the requested times (hours)."""

    times_h: np.ndarray
    states: np.ndarray  # (n_states, n_times)
    outputs: dict[str, np.ndarray]
    dosed_umol: float

    def state(self, model: Model, name: str) -> np.ndarray:
        """The values of state `name` at the output times."""
        return self.states[model.state_index[name]]


@dataclass(frozen=True)
class Result:
    """Results of a batch: states (n_states, n_patients, n_times), outputs (n_patients, n_times).

    `failed[i]` is True when patient i's integration failed; `messages[i]` says why (empty
    when it did not); that patient's values are NaN from the failure on. `steps` and `rejected`
    count the integrator's steps per patient (zero for engines that do not report them).
    """

    times_h: np.ndarray
    states: np.ndarray
    outputs: dict[str, np.ndarray]
    failed: np.ndarray
    messages: list[str]
    dosed_umol: np.ndarray
    steps: np.ndarray = field(repr=False)  # accepted steps per patient
    rejected: np.ndarray = field(repr=False)  # rejected steps per patient

    @property
    def n_patients(self) -> int:
        """How many patients the batch holds."""
        return int(self.failed.size)

    def trajectory(self, i: int) -> Trajectory:
        """Patient i's results as a `Trajectory` (needs the states: keep_states=True)."""
        if self.states.shape[1] != self.failed.size:
            raise ValueError("states were not kept (keep_states=False)")
        return Trajectory(self.times_h, self.states[:, i, :],
                          {k: v[i] for k, v in self.outputs.items()}, float(self.dosed_umol[i]))

    @classmethod
    def from_trajectories(cls, model: Model, times_h: np.ndarray, runs: Sequence[Trajectory | str]) -> Result:
        """Stack one-patient runs into a batch; a string in `runs` is a failed patient's message."""
        m, nt = len(runs), times_h.size
        states = np.full((len(model.states), m, nt), np.nan)
        outputs = {k: np.full((m, nt), np.nan) for k in model.outputs}
        failed = np.zeros(m, dtype=bool)
        messages = [""] * m
        dosed = np.full(m, np.nan)
        for i, run in enumerate(runs):
            if isinstance(run, str):
                failed[i], messages[i] = True, run
                continue
            states[:, i, :] = run.states
            for k, v in run.outputs.items():
                outputs[k][i] = v
            dosed[i] = run.dosed_umol
        zeros = np.zeros(m, dtype=np.int64)
        return cls(np.asarray(times_h, dtype=float), states, outputs, failed, messages, dosed, zeros, zeros.copy())


#: the fast engine's historical name for `Result`
BatchResult = Result
