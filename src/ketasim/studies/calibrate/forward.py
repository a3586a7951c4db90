"""The calibration's forward model: every particle's virtual trial arms in one batched run.

A fixed virtual TRD population (covariates and random effects drawn once, common random
numbers for every particle) receives three single-session arms: ketamine 0.5 mg/kg IV over
40 min, midazolam 0.045 mg/kg IV (active placebo) and saline. A particle replaces the typical
values of the free parameters; each patient keeps its own random effect
(`runtime.patients.individual_parameters(typical=...)`). Observables use the latent scores with the rater noise
of the scale integrated analytically (expected response rates, effect sizes including rater
variance), so the likelihood is smooth in the parameters.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from scipy.special import ndtr

from ketasim.layers.symptoms.scales import SCALES
from ketasim.model.description import Model
from ketasim.runtime.build import build_model
from ketasim.runtime.engines.fast import resolve_backend, simulate_batch
from ketasim.runtime.patients import individual_parameters, patient_rng
from ketasim.studies.calibrate.observables import Observable
from ketasim.studies.validation.clinical import KET_MID, MIDAZOLAM
from ketasim.studies.validation.core import events_for, stable_hash, to_internal
from ketasim.studies.validation.pk import TE, standard
from ketasim.studies.validation.population import sample_covariates

ARMS = ("ketamine", "midazolam", "saline")
#: observation times (h): every 5 min for the first 3 h (blood pressure), then 24 h, 72 h, day 7
GRID = np.unique(np.concatenate([np.linspace(0.0, 3.0, 37), [TE, 24.0, 72.0, 168.0]]))
OUTPUTS = ("MADRS", "SBP")


class ClinicalForward:
    """Observables of the clinical training targets for a batch of parameter sets."""

    def __init__(self, hypothesis: str, free: Sequence[str], observables: Sequence[Observable],
                 n_patients: int = 40, seed: int = 20240601) -> None:
        self.model: Model = build_model("human", KET_MID, hypothesis)
        self.free = list(free)
        self.observables = list(observables)
        idx = self.model.param_index
        unknown = [f for f in self.free if f not in idx]
        if unknown:
            raise KeyError(f"unknown parameters {unknown}")
        self.free_index = np.array([idx[f] for f in self.free], dtype=int)
        self.typical = np.array(self.model.default_parameters)[self.free_index]
        self.n = n_patients
        self.base = stable_hash(seed, "calibration", "trd")
        covs = [sample_covariates("trd", patient_rng(self.base, i)) for i in range(n_patients)]
        self.covariates = [to_internal(self.model, c, strict=False) for c in covs]
        self.patients = self._patients(self.typical)  # (n_params, n_patients) at the typical values
        doses = {"ketamine": [standard()], "midazolam": [MIDAZOLAM], "saline": []}
        self.events = [[events_for(doses[a], c["WT"]) for c in covs] for a in ARMS]
        self.rater_sd = SCALES["MADRS"].rater_sd
        self.i24, self.i72, self.i168 = (int(np.argmin(np.abs(GRID - h))) for h in (24.0, 72.0, 168.0))
        self.early = GRID <= 3.0 + 1e-9

    def _patients(self, values: np.ndarray) -> np.ndarray:
        """Every patient's parameters when the free parameters' typical values are `values`."""
        typical = dict(zip(self.free, values.tolist(), strict=True))
        cols = []
        for i, cov in enumerate(self.covariates):
            rng = patient_rng(self.base, i)
            sample_covariates("trd", rng)  # the same draws as at set-up, so the random effects match
            cols.append(individual_parameters(self.model, rng, cov, typical=typical))
        return np.stack(cols, axis=1)

    def parameters(self, theta: np.ndarray) -> np.ndarray:
        """Patient parameter matrix (n_params, n_arms * n_particles * n_patients) for particles `theta`."""
        per = np.concatenate([self._patients(row) for row in theta], axis=1)  # particle-major
        return np.tile(per, (1, len(ARMS)))

    def simulate(self, theta: np.ndarray) -> np.ndarray:
        """Observables (n_particles, n_observables); NaN rows for particles whose patients failed.

        A batch the engine cannot finish at all (e.g. a division by zero at the edge of a range)
        is split in halves until the particles that cause it are isolated and marked failed.
        """
        theta = np.atleast_2d(np.asarray(theta, float))
        try:
            return self._simulate(theta)
        except (ArithmeticError, ValueError, FloatingPointError):
            if len(theta) == 1:
                return np.full((1, len(self.observables)), np.nan)
            half = len(theta) // 2
            return np.vstack([self.simulate(theta[:half]), self.simulate(theta[half:])])

    def _simulate(self, theta: np.ndarray) -> np.ndarray:
        k = theta.shape[0]
        events = [ev for arm in self.events for _ in range(k) for ev in arm]
        # numba whatever the batch size: a half-ensemble (8 walkers x 3 arms x 40 patients) is below
        # "auto"'s size threshold, and a calibration runs thousands of batches (one backend for all)
        batch = simulate_batch(self.model, events, self.parameters(theta), GRID, keep_states=False,
                               output_names=list(OUTPUTS), backend=resolve_backend("auto", None))
        shape = (len(ARMS), k, self.n, len(GRID))
        madrs = np.asarray(batch.outputs["MADRS"], float).reshape(shape)
        sbp = np.asarray(batch.outputs["SBP"], float).reshape(shape)
        failed = np.asarray(batch.failed, bool).reshape(shape[:3]).any(axis=(0, 2))
        with np.errstate(invalid="ignore", divide="ignore"):
            values = self._summaries(madrs, sbp)
        out = np.column_stack([values[o.name] for o in self.observables])
        out[failed | ~np.isfinite(out).all(axis=1)] = np.nan
        return out

    def _response(self, m: np.ndarray, i: int) -> np.ndarray:
        """Expected response rate at grid index i: P(recorded <= half the recorded baseline)."""
        z = (0.5 * m[..., 0] - m[..., i]) / (self.rater_sd * np.sqrt(1.25))
        return ndtr(z).mean(axis=-1)

    def _summaries(self, madrs: np.ndarray, sbp: np.ndarray) -> dict[str, np.ndarray]:
        ket, mid, sal = madrs
        d_ket, d_sal = ket[..., self.i24] - ket[..., 0], sal[..., self.i24] - sal[..., 0]
        var = 0.5 * (d_ket.var(axis=-1, ddof=1) + d_sal.var(axis=-1, ddof=1)) + 2 * self.rater_sd ** 2
        return {
            "clin-response-vs-midazolam-24h.response_ketamine": self._response(ket, self.i24),
            "clin-response-vs-midazolam-24h.response_midazolam": self._response(mid, self.i24),
            "clin-response-vs-midazolam-24h.madrs_change_ketamine": d_ket.mean(axis=-1),
            "clin-response-vs-midazolam-24h.madrs_change_midazolam":
                (mid[..., self.i24] - mid[..., 0]).mean(axis=-1),
            "clin-peak-effect-size.hedges_g_day1": (d_ket.mean(axis=-1) - d_sal.mean(axis=-1)) / np.sqrt(var),
            "clin-pooled-response-timecourse.response_72h": self._response(ket, self.i72),
            "clin-pooled-response-timecourse.response_7d": self._response(ket, self.i168),
            "clin-blood-pressure-transient.iv_sbp_peak_rise":
                (sbp[0][..., self.early].max(axis=-1) - sbp[0][..., 0]).mean(axis=-1),
        }
