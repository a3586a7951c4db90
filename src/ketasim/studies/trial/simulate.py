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

#: the fast engine's working arrays for one batch stay under this many bytes: a chunk on a long
#: grid is simulated in several batches (docs/scaling.md, "Memory model")
ENGINE_BUDGET_BYTES = 512 * 2**20


def engine_bytes_per_patient_time(model: Model) -> int:
    """Bytes the fast engine holds per patient and output time: recorded and dense states, every output and let."""
    return 8 * (2 * len(model.states) + len(model.outputs) + len(model.lets))


def batch_size(model: Model, n_times: int) -> int:
    """Patients per fast-engine batch on a grid of `n_times`, within ENGINE_BUDGET_BYTES (at least 1)."""
    return max(1, ENGINE_BUDGET_BYTES // (engine_bytes_per_patient_time(model) * max(n_times, 1)))


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
    backend = resolve_backend("auto", len(patients) if run_size is None else run_size)
    size = batch_size(model, len(grid))
    results: list[dict[str, np.ndarray] | SolverError] = []
    for start in range(0, len(patients), size):  # one batch unless the grid is long
        group = patients[start:start + size]
        params = np.stack([np.asarray(p.params, dtype=float) for p in group], axis=1)
        batch = simulate_batch(model, [p.events for p in group], params, grid,
                               keep_states=False, output_names=names, backend=backend)
        for i, p in enumerate(group):
            if batch.failed[i]:
                results.append(SolverError(f"patient {p.id}: {batch.messages[i]}"))
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
