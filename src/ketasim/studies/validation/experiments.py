"""Shared experimental set-ups: rodent dosing, stressed animals, typical patients, behaviour readout.

Rodent behaviour is read from `antidepressant_effect` (0..1) in stressed animals (SYN_DEFICIT 0.25,
the interface's typical deficit); molecular time courses use naive animals (SYN_DEFICIT 0).
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from ketasim.runtime.regimen import Dose
from ketasim.studies.validation.core import Context, Sim, grid

STRESSED = {"SYN_DEFICIT": 0.25}
NAIVE = {"SYN_DEFICIT": 0.0}
#: the typical TRD patient (published units)
TYPICAL_TRD = {"WT": 70.0, "MADRS0": 32.0, "SYN_DEFICIT": 0.25, "DIAG_BIPOLAR": 0.0, "DIAG_HEALTHY": 0.0,
               "PLACEBO_RESP": 1.0, "AGE": 45.0, "SBP0": 125.0, "DBP0": 78.0}
RODENT_GRID = grid((0.0, 6.0, 361), (6.0, 96.0, 91), extra=[0.5, 1.0, 24.0, 48.0, 72.0])


def rodent(ctx: Context, species: str, mg_per_kg: float, times: tuple[float, ...] = RODENT_GRID,
           overrides: Mapping[str, float] | None = None, covariates: Mapping[str, float] | None = None,
           drug: str = "ketamine", route: str = "ip") -> Sim:
    """One rodent given `mg_per_kg` of `drug` by `route` at time zero (0 mg/kg: vehicle)."""
    doses = [Dose(drug, route, (0.0,), mg_per_kg=mg_per_kg)] if mg_per_kg > 0 else []
    return ctx.run(species, doses, times, overrides=overrides, covariates=covariates)


def behaviour(sim: Sim, lo: float = 0.5, hi: float = 24.0) -> float:
    """Antidepressant-like behavioural effect: the maximum of antidepressant_effect in [lo, hi] h."""
    y = sim.out("antidepressant_effect")
    m = (sim.t >= lo) & (sim.t <= hi)
    return float(np.max(y[m]))


def ratio(a: float, b: float) -> float:
    """a / b, NaN when b is not positive (no control effect to compare with)."""
    return a / b if b > 1e-9 else float("nan")
