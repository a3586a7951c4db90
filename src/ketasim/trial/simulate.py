"""Simulating a group of patients: the ONE place where an engine is chosen.

`simulate_patients(model, patients, grid)` returns, per patient, the model outputs on the grid
or the SolverError that stopped it. Today it runs the SciPy reference solver one patient at a
time; a faster batched engine (or Dask workers) can replace the body without touching callers.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ..engines.reference import simulate_reference
from ..errors import SolverError
from ..model.description import Model
from .population import Patient


def simulate_patients(model: Model, patients: Sequence[Patient], grid: np.ndarray,
                      outputs: Sequence[str] | None = None) -> list[dict[str, np.ndarray] | SolverError]:
    """Outputs (name -> values on `grid`) of each patient, or its SolverError."""
    results: list[dict[str, np.ndarray] | SolverError] = []
    for p in patients:
        try:
            traj = simulate_reference(model, p.events, p.params, grid)
        except SolverError as exc:
            results.append(exc)
            continue
        names = list(outputs) if outputs is not None else list(traj.outputs)
        results.append({n: np.asarray(traj.outputs[n], dtype=float) for n in names})
    return results
