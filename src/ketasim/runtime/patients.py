"""Virtual patients: covariates and between-patient variability, drawn reproducibly.

Each patient's random numbers come from its own stream, seeded by (trial seed, patient number),
so a patient is the same whether simulated alone, in a chunk, or on another Dask worker.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from ketasim.model.description import Model


@dataclass(frozen=True)
class Distribution:
    """Normal distribution truncated to [low, high], in internal units."""

    mean: float
    sd: float
    low: float
    high: float



#: diagnosis -> MADRS baseline (mean, sd, min, max) when the spec gives none (A)
DEFAULT_BASELINE: dict[str, tuple[float, float, float, float]] = {
    "trd": (32.0, 5.0, 22.0, 60.0),
    "mdd": (28.0, 5.0, 20.0, 60.0),
    "bipolar": (30.0, 5.0, 20.0, 60.0),
    "healthy": (2.0, 2.0, 0.0, 8.0),
}


#: diagnosis -> failed adequate antidepressant trials in the current episode (mean, sd, min, max),
#: drawn as a rounded truncated normal (A): MDD trials enrol patients without a failed trial
#: (STAR*D level 1); TRD means 2 or more (esketamine trials: about 60% had 2, the rest 3 or more)
DEFAULT_PRIOR_FAILURES: dict[str, tuple[float, float, float, float]] = {
    "trd": (2.5, 1.0, 2.0, 8.0),
    "mdd": (0.0, 0.0, 0.0, 0.0),
    "bipolar": (1.0, 1.0, 0.0, 8.0),
    "healthy": (0.0, 0.0, 0.0, 0.0),
}


#: SD of ETA_MONO, the between-patient deviation of monoaminergic responsiveness (logit scale; A,
#: range 1-4): wide, so that a minority responds well beyond placebo (Stone et al. 2022, BMJ)
MONO_ETA_SD = 2.5


#: diagnosis -> interneuron (SST/GABA) function lost, GABA_DEFICIT (mean, sd, min, max), drawn as a
#: truncated normal (A): cortical GABA by MRS is lower in depression with wide overlap (Godfrey et al.
#: 2018, J Psychiatr Res 105:33: SMD about -0.4), so the loss varies from none to about half
DEFAULT_GABA_DEFICIT: dict[str, tuple[float, float, float, float]] = {
    "trd": (0.2, 0.1, 0.0, 0.5),
    "mdd": (0.2, 0.1, 0.0, 0.5),
    "bipolar": (0.2, 0.1, 0.0, 0.5),
    "healthy": (0.0, 0.0, 0.0, 0.0),
}

#: share of depressed patients in the high-inflammation subgroup (CRP > 3 mg/L: 27%, Osimo et al. 2019,
#: Psychol Med 49:1958); INFLAM is then truncated normal 1.0 SD 0.3 (0.5-2), otherwise 0.2 SD 0.1 (0-0.5) (A)
INFLAM_HIGH_SHARE: dict[str, float] = {"trd": 0.27, "mdd": 0.27, "bipolar": 0.27, "healthy": 0.0}
INFLAM_HIGH = (1.0, 0.3, 0.5, 2.0)
INFLAM_LOW = (0.2, 0.1, 0.0, 0.5)


def default_prior_failures(diagnosis: str) -> Distribution:
    """Default distribution of prior failed adequate antidepressant trials for a diagnosis."""
    return Distribution(*DEFAULT_PRIOR_FAILURES[diagnosis])


def default_weight(species: str) -> Distribution:
    """Default body-weight distribution (kg) of a species."""
    return {
        "human": Distribution(80.0, 15.0, 45.0, 150.0),
        "mouse": Distribution(0.025, 0.003, 0.015, 0.045),
        "rat": Distribution(0.30, 0.04, 0.15, 0.60),
    }[species]


def default_age(species: str) -> Distribution:
    """Default age distribution (years) of a species."""
    week = 7.0 / 365.25
    if species == "human":
        return Distribution(45.0, 12.0, 18.0, 75.0)
    return Distribution(10 * week, 2 * week, 6 * week, 30 * week)


def patient_rng(seed: int, patient: int) -> np.random.Generator:
    """The random stream of one patient of a trial."""
    return np.random.default_rng(np.random.SeedSequence([int(seed) & 0xFFFFFFFF, int(patient)]))


def individual_parameters(
    model: Model,
    rng: np.random.Generator | None,
    covariates: Mapping[str, float] | None = None,
    overrides: Mapping[str, float] | None = None,
    typical: Mapping[str, float] | None = None,
) -> np.ndarray:
    """One patient's internal parameter vector: typical values, random effects, covariates.

    `rng=None` gives the typical patient (no random effects). Random effects are drawn for
    every parameter with `iiv > 0`, in the model's parameter order. `typical` replaces typical
    values before the random effects act (a posterior draw: the patient keeps its own deviation);
    `overrides` replace final values (a clamped parameter: no deviation). Both in internal units.
    """
    p = np.array(model.default_parameters, dtype=float)
    for name, value in (typical or {}).items():
        p[model.param_index[name]] = float(value)
    for i, par in enumerate(model.params):
        if par.iiv <= 0 or rng is None:
            continue
        eta = rng.normal(0.0, par.iiv)
        if par.iiv_scale == "log":
            p[i] *= np.exp(eta)
        elif par.iiv_scale == "logit":
            from scipy.special import expit, logit  # (here: its import costs every command a fraction of a second)

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
