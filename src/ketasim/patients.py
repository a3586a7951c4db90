"""Virtual patients: covariates and between-patient variability, drawn reproducibly.

Each patient's random numbers come from its own stream, seeded by (trial seed, patient number),
so a patient is the same whether simulated alone, in a chunk, or on another Dask worker.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
from scipy.special import expit, logit

from .model.description import Model


def patient_rng(seed: int, patient: int) -> np.random.Generator:
    """The random stream of one patient of a trial."""
    return np.random.default_rng(np.random.SeedSequence([int(seed) & 0xFFFFFFFF, int(patient)]))


def individual_parameters(
    model: Model,
    rng: np.random.Generator | None,
    covariates: Mapping[str, float] | None = None,
    overrides: Mapping[str, float] | None = None,
) -> np.ndarray:
    """One patient's internal parameter vector: typical values, random effects, covariates.

    `rng=None` gives the typical patient (no random effects). Random effects are drawn for
    every parameter with `iiv > 0`, in the model's parameter order.
    """
    p = np.array(model.default_parameters, dtype=float)
    for i, par in enumerate(model.params):
        if par.iiv <= 0 or rng is None:
            continue
        eta = rng.normal(0.0, par.iiv)
        if par.iiv_scale == "log":
            p[i] *= np.exp(eta)
        elif par.iiv_scale == "logit":
            p[i] = float(expit(logit(np.clip(p[i], 1e-9, 1 - 1e-9)) + eta))
        elif par.iiv_scale == "normal":
            p[i] += eta
        else:
            raise ValueError(f"parameter {par.name}: unknown iiv_scale {par.iiv_scale!r}")
    for source in (covariates or {}), (overrides or {}):
        for name, value in source.items():
            if name in model.param_index:
                p[model.param_index[name]] = float(value)
    return p
