"""The forward-model interface every engine implements (in the spirit of PINTS' ForwardModel).

An engine maps a model, the doses, one parameter vector per patient and the output times to a
`Result`: `engine.simulate(model, doses, parameters, times)`. `doses` is one list of
`DoseEvent`s shared by every patient or one list per patient; `parameters` is one vector
(n_params,) or a matrix (n_params, n_patients) in the model's internal units. Implementations:
`ReferenceEngine` (SciPy, engines/reference.py), `FastEngine` with backend "numpy" or "numba"
(engines/fast.py) and `RoadRunnerEngine` (libRoadRunner on the SBML export,
engines/roadrunner_engine.py); `make_engine` (engines/registry.py) builds one by name.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Protocol, runtime_checkable

import numpy as np

from ketasim.model.description import Model
from ketasim.model.errors import SolverError
from ketasim.runtime.engines.dosing import output_grid
from ketasim.runtime.engines.result import Result, Trajectory
from ketasim.runtime.regimen import DoseEvent

Doses = Sequence[DoseEvent] | Sequence[Sequence[DoseEvent]]

@runtime_checkable
class Engine(Protocol):
    """Simulates patients of a model under doses: model + doses + parameters + times -> Result."""

    name: str

    def simulate(self, model: Model, doses: Doses, parameters: np.ndarray | Sequence[float],
                 times: Sequence[float] | np.ndarray) -> Result:
        """Simulate every patient (columns of `parameters`) from t = 0 through `times` (hours)."""
        ...


def parameter_matrix(model: Model, parameters: np.ndarray | Sequence[float] | Sequence[Sequence[float]]
                     ) -> np.ndarray:
    """`parameters` as a float matrix (n_params, n_patients); ValueError when its shape does not fit."""
    p = np.asarray(parameters, dtype=float)
    if p.ndim == 1:
        p = p[:, None]
    if p.ndim != 2 or p.shape[0] != len(model.params):
        raise ValueError(f"params must have shape ({len(model.params)}, n_patients), got {p.shape}")
    return p


def doses_per_patient(doses: Doses, n_patients: int) -> tuple[list[list[DoseEvent]], bool]:
    """One list of dose events per patient, and whether all patients share one list."""
    given = list(doses)
    shared = not given or isinstance(given[0], DoseEvent)
    if shared:
        return [given] * n_patients, True  # type: ignore[list-item]
    if len(given) != n_patients:
        raise ValueError(f"events: got {len(given)} lists for {n_patients} patients")
    return [list(e) for e in given], False  # type: ignore[arg-type]


def one_patient_at_a_time(model: Model, doses: Doses, parameters: np.ndarray | Sequence[float],
                          times: Sequence[float] | np.ndarray,
                          one: Callable[[list[DoseEvent], np.ndarray, np.ndarray], Trajectory]) -> Result:
    """A `Result` from a one-patient solver; a patient whose solver fails is marked failed, not raised."""
    p = parameter_matrix(model, parameters)
    t_out = output_grid(times)
    per, _ = doses_per_patient(doses, p.shape[1])
    runs: list[Trajectory | str] = []
    for i in range(p.shape[1]):
        try:
            runs.append(one(per[i], p[:, i], t_out))
        except SolverError as exc:
            runs.append(str(exc))
    return Result.from_trajectories(model, t_out, runs)
