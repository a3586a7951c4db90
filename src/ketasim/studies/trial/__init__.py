"""Virtual clinical trials: population, simulation, endpoints, statistics, outputs.

`run_trial(load_spec(path), out_dir)` is what `ketasim trial` calls. Attributes are imported
lazily so that checking a spec does not pay for pandas, pyarrow and the statistics stack.
"""

from __future__ import annotations

from typing import Any

__all__ = ["run_trial", "simulate_patients", "trial_model"]


def __getattr__(name: str) -> Any:
    if name in ("run_trial", "trial_model"):
        from ketasim.studies.trial import run

        return getattr(run, name)
    if name == "simulate_patients":
        from ketasim.studies.trial.simulate import simulate_patients

        return simulate_patients
    raise AttributeError(name)
