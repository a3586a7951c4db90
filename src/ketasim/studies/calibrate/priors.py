"""Free parameters and their priors: the assumptions the training targets can inform.

Candidates are the model's assumption parameters (flag A, so each has a documented plausible
range), excluding covariates, hypothesis switches, parameters whose typical value is zero
(experimental perturbations and knock-outs, which only experiments set) and parameters whose
between-patient variability is on the logit scale. A one-at-a-time screen moves each candidate from 10% to 90%
of its range (in the prior's coordinate) and measures how far the observables move in units of their
likelihood SD; the most informative `k` become free. The prior is uniform on the documented range,
in log space for positive ranges (a scale parameter), linear otherwise.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ketasim.model.description import Model, Param
from ketasim.studies.calibrate.forward import ClinicalForward
from ketasim.studies.calibrate.observables import Observable


@dataclass(frozen=True)
class Prior:
    """Uniform prior of one free parameter on [low, high] (internal units), log-scaled if positive."""

    name: str
    low: float
    high: float
    log: bool

    def to_z(self, x: np.ndarray) -> np.ndarray:
        """Parameter value → sampling coordinate."""
        return np.log(x) if self.log else np.asarray(x, float)

    def from_z(self, z: np.ndarray) -> np.ndarray:
        """Sampling coordinate → parameter value."""
        return np.exp(z) if self.log else np.asarray(z, float)

    @property
    def z_bounds(self) -> tuple[float, float]:
        """Bounds of the sampling coordinate."""
        return (float(np.log(self.low)), float(np.log(self.high))) if self.log else (self.low, self.high)


def prior_of(p: Param) -> Prior:
    """The prior of parameter `p` from its documented range (converted to internal units)."""
    assert p.low is not None and p.high is not None
    lo, hi = p.internal(p.low), p.internal(p.high)
    lo, hi = min(lo, hi), max(lo, hi)
    return Prior(p.name, lo, hi, log=lo > 0)


def candidates(model: Model) -> list[Param]:
    """Assumption parameters with a usable range that a calibration may free."""
    out = []
    for p in model.params:
        if p.flag != "A" or p.covariate or p.name.startswith("hyp_") or p.low is None or p.high is None:
            continue
        if p.value == 0.0:  # a perturbation or knock-out: absent unless an experiment sets it
            continue
        if p.iiv > 0 and p.iiv_scale == "logit":
            continue
        pr = prior_of(p)
        if pr.low < pr.high and pr.low <= p.internal_value <= pr.high:
            out.append(p)
    return out


def screen(hypothesis: str, observables: list[Observable], n_patients: int = 8,
           seed: int = 20240601) -> list[tuple[str, float]]:
    """(parameter, sensitivity) for every candidate, most informative first.

    Sensitivity = sum over observables of |obs(90%) - obs(10%)| / SD; a run that fails at either
    point is reported as infinitely sensitive (its range reaches an inadmissible region).
    """
    probe = ClinicalForward(hypothesis, [], observables, n_patients, seed)
    cands = candidates(probe.model)
    fwd = ClinicalForward(hypothesis, [p.name for p in cands], observables, n_patients, seed)
    base = fwd.typical
    k = len(cands)
    theta = np.repeat(base[None, :], 2 * k, axis=0)
    for j, p in enumerate(cands):
        lo, hi = prior_of(p).z_bounds
        pr = prior_of(p)
        theta[2 * j, j] = pr.from_z(np.asarray(lo + 0.1 * (hi - lo)))
        theta[2 * j + 1, j] = pr.from_z(np.asarray(lo + 0.9 * (hi - lo)))
    obs = fwd.simulate(theta)
    sd = np.array([o.sd for o in observables])
    sens = np.abs(obs[1::2] - obs[0::2]) / sd
    score = np.where(np.isnan(sens).any(axis=1), np.inf, np.nansum(sens, axis=1))
    ranked = sorted(zip([p.name for p in cands], score.tolist(), strict=True), key=lambda x: -x[1])
    return ranked


def choose_free(ranked: list[tuple[str, float]], k: int) -> list[str]:
    """The `k` most informative parameters whose whole range integrates (finite sensitivity)."""
    return [name for name, s in ranked if np.isfinite(s) and s > 0][:k]
