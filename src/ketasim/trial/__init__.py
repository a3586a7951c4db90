"""Virtual clinical trials: population, simulation, endpoints, statistics, outputs.

`run_trial(load_spec(path), out_dir)` is what `ketasim trial` calls.
"""

from .run import run_trial, trial_model
from .simulate import simulate_patients

__all__ = ["run_trial", "simulate_patients", "trial_model"]
