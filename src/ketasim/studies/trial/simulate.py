"""Simulating a group of patients: the ONE place where an engine is chosen.

`simulate_patients(model, patients, grid)` returns, per patient, the model outputs on the grid
or the SolverError that stopped it. The default engine is the batched fast engine
(engines/fast.py, checked against the reference solver to 1e-4 in tests/test_fast_engine.py);
`engine="reference"` runs the SciPy Radau reference one patient at a time.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

import numpy as np

from ketasim.model.description import Model
from ketasim.model.errors import SolverError
from ketasim.runtime.engines.fast import resolve_backend, simulate_batch
from ketasim.runtime.engines.reference import simulate_reference
from ketasim.studies.trial.population import Patient

Engine = Literal["fast", "reference"]


def simulate_patients(model: Model, patients: Sequence[Patient], grid: np.ndarray,
                      outputs: Sequence[str] | None = None,
                      engine: Engine = "fast", run_size: int | None = None
                      ) -> list[dict[str, np.ndarray] | SolverError]:
    """Outputs (name -> values on `grid`) of each patient, or its SolverError.

    `run_size` (patients in the whole run, e.g. a trial cut into chunks) picks the fast engine's
    backend once for every chunk (`engines.fast.resolve_backend`), so a run's results do not
    depend on how it is chunked.
    """
    if not patients:
        return []
    names = list(outputs) if outputs is not None else list(model.outputs)
    if engine == "reference":
        return [_one_reference(model, p, grid, names) for p in patients]
    if engine != "fast":
        raise ValueError(f"engine must be 'fast' or 'reference', got {engine!r}")
    params = np.stack([np.asarray(p.params, dtype=float) for p in patients], axis=1)
    backend = resolve_backend("auto", len(patients) if run_size is None else run_size)
    batch = simulate_batch(model, [p.events for p in patients], params, grid,
                           keep_states=False, output_names=names, backend=backend)
    results: list[dict[str, np.ndarray] | SolverError] = []
    for i in range(len(patients)):
        if batch.failed[i]:
            results.append(SolverError(f"patient {patients[i].id}: {batch.messages[i]}"))
        else:
            results.append({n: np.array(batch.outputs[n][i], dtype=float) for n in names})
    return results


def _one_reference(model: Model, p: Patient, grid: np.ndarray,
                   names: list[str]) -> dict[str, np.ndarray] | SolverError:
    try:
        traj = simulate_reference(model, p.events, p.params, grid)
    except SolverError as exc:
        return exc
    return {n: np.asarray(traj.outputs[n], dtype=float) for n in names}
