"""Residual error model of data fits: combined additive + proportional, per model output.

    y = f + eps,  eps ~ Normal(0, sd^2),  sd = sqrt(add^2 + (prop * f)^2)

-2 log-likelihood = sum((y - f)^2 / sd^2 + log(2 pi sd^2)). Defaults (override with --error-add and
--error-prop): proportional errors of the published population PK models (parameters.md 3.1,
Fanta et al. 2015: 23.6% for the parent, 14.3% for norketamine), 20% (assumed) for other
outputs; additive 1 unit of the output (1 ng/mL, about an assay's lower limit; assumed).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

FANTA = "Fanta et al. 2015, Eur J Clin Pharmacol 71:441 (parameters.md 3.1)"
#: output -> (proportional error, source)
PROPORTIONAL = {
    "plasma_ketamine": (0.236, FANTA + ", parent"),
    "plasma_norketamine": (0.143, FANTA + ", norketamine"),
}
DEFAULT_PROP = (0.20, "assumed")
DEFAULT_ADD = (1.0, "assumed: 1 unit of the output (1 ng/mL for concentrations)")


@dataclass(frozen=True)
class ErrorModel:
    """Additive (output units) and proportional (fraction) residual SD of one output."""

    output: str
    add: float
    prop: float
    source: str

    def sd(self, f: np.ndarray) -> np.ndarray:
        return np.sqrt(self.add**2 + (self.prop * f) ** 2)


def error_models(outputs: list[str], add: float | None = None, prop: float | None = None) -> dict[str, ErrorModel]:
    """The error model of each output: published defaults, or the user's error_add/error_prop."""
    out = {}
    for name in outputs:
        p, p_src = PROPORTIONAL.get(name, DEFAULT_PROP)
        a, a_src = DEFAULT_ADD
        if prop is not None:
            p, p_src = prop, "user (error_prop)"
        if add is not None:
            a, a_src = add, "user (error_add)"
        out[name] = ErrorModel(name, float(a), float(p), f"proportional: {p_src}; additive: {a_src}")
    return out


def minus_two_log_lik(y: np.ndarray, f: np.ndarray, sd: np.ndarray) -> np.ndarray:
    """-2 log-likelihood summed over the last axis (NaN predictions count as +inf)."""
    val = ((y - f) / sd) ** 2 + np.log(2 * math.pi * sd**2)
    return np.where(np.isfinite(val), val, np.inf).sum(axis=-1)


def augmented_residuals(y: np.ndarray, f: np.ndarray, sd: np.ndarray, add: np.ndarray) -> np.ndarray:
    """Residuals whose sum of squares is -2 log-likelihood minus a constant (for least squares).

    [(y - f)/sd, sqrt(1 + log(sd^2/add^2))]: the second block carries the log-variance term of the
    likelihood (sd >= add, so the root is real); concatenated on the last axis.
    """
    r1 = (y - f) / sd
    r2 = np.sqrt(1.0 + np.log(sd**2 / add**2))
    return np.concatenate([r1, r2], axis=-1)
