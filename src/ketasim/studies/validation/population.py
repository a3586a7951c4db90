"""Virtual populations for the clinical targets: covariates, random effects, arms, rater noise.

A population is a fixed set of virtual patients (covariates drawn from the population's
distribution, random effects from the model's `iiv`), simulated under several arms (regimens).
The same patients receive every arm, as in a crossover; an arm's patients are simulated together
by the batched fast engine (engines/fast.py, within 1e-4 of the reference solver). Rater noise is
drawn independently per arm and visit. Patient streams come from `patients.patient_rng`, so results are reproducible.

The covariate distributions below are assumptions for validation (flag A): they describe the
typical trial populations of the targets (TRD baseline MADRS 32 +/- 5, parameters.md section 12).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from ketasim.layers.symptoms.scales import SCALES
from ketasim.model.errors import SolverError
from ketasim.runtime.engines.fast import simulate_batch
from ketasim.runtime.patients import (
    DEFAULT_GABA_DEFICIT,
    INFLAM_HIGH,
    INFLAM_HIGH_SHARE,
    INFLAM_LOW,
    MONO_ETA_SD,
    default_prior_failures,
    individual_parameters,
    patient_rng,
)
from ketasim.runtime.regimen import Dose
from ketasim.studies.validation.core import (
    Context,
    MissingOutputError,
    SimulationError,
    events_for,
    stable_hash,
    to_internal,
)

#: (mean, sd, low, high) of baseline MADRS and synapse deficit per diagnosis (assumptions, A)
DIAGNOSES: dict[str, dict[str, Any]] = {
    "trd": {"MADRS0": (32.0, 5.0, 22.0, 50.0), "SYN_DEFICIT": (0.25, 0.08, 0.0, 0.5), "DIAG_BIPOLAR": 0.0},
    "mdd": {"MADRS0": (30.0, 5.0, 20.0, 50.0), "SYN_DEFICIT": (0.2, 0.08, 0.0, 0.5), "DIAG_BIPOLAR": 0.0},
    "bipolar": {"MADRS0": (32.0, 5.0, 22.0, 50.0), "SYN_DEFICIT": (0.25, 0.08, 0.0, 0.5), "DIAG_BIPOLAR": 1.0},
}

def _normal(rng: np.random.Generator, mean: float, sd: float, lo: float, hi: float) -> float:
    return float(np.clip(rng.normal(mean, sd), lo, hi))


def prior_failures(diagnosis: str, seed: int, patient: int) -> float:
    """Prior failed adequate antidepressant trials of one patient, from its own stream (so the other
    covariates and random effects are those they always were); defaults of runtime.patients."""
    d = default_prior_failures(diagnosis)
    if d.sd <= 0:
        return float(d.mean)
    rng = np.random.default_rng([int(seed) & 0xFFFFFFFF, int(patient), 1414])
    return float(np.rint(np.clip(rng.normal(d.mean, d.sd), d.low, d.high)))


def mono_eta(seed: int, patient: int) -> float:
    """A patient's deviation of monoaminergic responsiveness (ETA_MONO), from its own stream."""
    return float(MONO_ETA_SD * np.random.default_rng([int(seed) & 0xFFFFFFFF, int(patient), 1415]).normal())


def biology(diagnosis: str, seed: int, patient: int) -> dict[str, float]:
    """GABA_DEFICIT and INFLAM of one patient, from its own stream (the other draws stay as they were);
    distributions of runtime.patients (they act only in the ei_setpoint and inflammation variants)."""
    u = np.random.default_rng([int(seed) & 0xFFFFFFFF, int(patient), 1416]).random(3)
    low_high = INFLAM_HIGH if u[1] < INFLAM_HIGH_SHARE[diagnosis] else INFLAM_LOW
    return {"GABA_DEFICIT": _normal_u(u[0], *DEFAULT_GABA_DEFICIT[diagnosis]),
            "INFLAM": _normal_u(u[2], *low_high)}


def _normal_u(u: float, mean: float, sd: float, lo: float, hi: float) -> float:
    from ketasim.studies.trial.population import truncated_normal

    return truncated_normal(u, mean, sd, lo, hi) if sd > 0 else float(mean)


def sample_covariates(diagnosis: str, rng: np.random.Generator) -> dict[str, float]:
    """One patient's covariates in published units (weight kg, age year, pressures mmHg)."""
    spec = DIAGNOSES[diagnosis]
    cov = {
        "WT": _normal(rng, 80.0, 15.0, 45.0, 140.0),
        "FEMALE": float(rng.random() < 0.55),
        "AGE": _normal(rng, 45.0, 12.0, 18.0, 75.0),
        "CYP2B6_PM": float(rng.random() < 0.06),
        "VAL66MET": float(rng.random() < 0.3),
        "SBP0": _normal(rng, 125.0, 12.0, 95.0, 160.0),
        "DBP0": _normal(rng, 78.0, 8.0, 55.0, 100.0),
        "PLACEBO_RESP": float(np.exp(rng.normal(0.0, 0.35))),
        "MADRS0": _normal(rng, *spec["MADRS0"]),
        "SYN_DEFICIT": _normal(rng, *spec["SYN_DEFICIT"]),
        "DIAG_BIPOLAR": spec["DIAG_BIPOLAR"],
        "DIAG_HEALTHY": 0.0,
    }
    return cov


class Population:
    """A fixed set of virtual patients for one model (covering every drug any arm uses)."""

    def __init__(self, ctx: Context, diagnosis: str, pairs: frozenset[tuple[str, str]], n: int,
                 failures: float | None = None) -> None:
        if diagnosis not in DIAGNOSES:
            raise ValueError(f"unknown population {diagnosis!r}")
        self.ctx = ctx
        self.diagnosis = diagnosis
        self.model = ctx.model("human", pairs)
        if "MADRS" not in self.model.outputs:  # every population target reads the recorded MADRS
            raise MissingOutputError("MADRS")
        self.n = n
        seed = stable_hash(ctx.seed, diagnosis)
        self.failures = failures
        self.covariates: list[dict[str, float]] = []
        self.params: list[np.ndarray] = []
        typical = ctx.values_for(self.model, "human")
        for i in range(n):
            rng = patient_rng(seed, i)
            cov = sample_covariates(diagnosis, rng)
            cov["PRIOR_FAILURES"] = prior_failures(diagnosis, seed, i) if failures is None else float(failures)
            cov["ETA_MONO"] = mono_eta(seed, i)
            cov.update(biology(diagnosis, seed, i))
            self.covariates.append(cov)
            self.params.append(individual_parameters(self.model, rng, to_internal(self.model, cov, strict=False),
                                                     typical=typical))
        self._arms: dict[Any, Arm] = {}
        self._failed: dict[Any, Exception] = {}

    def covariate(self, name: str) -> np.ndarray:
        return np.array([c[name] for c in self.covariates])

    def arm(self, key: str, doses: Sequence[Dose], times: Sequence[float],
            overrides: Mapping[str, float] | None = None) -> Arm:
        """All patients under `doses` (cached by key, doses, times and overrides)."""
        overrides = dict(overrides or {})
        ck = (key, tuple(doses), tuple(times), tuple(sorted(overrides.items())))
        if ck in self._arms:
            return self._arms[ck]
        if ck in self._failed:
            raise self._failed[ck]
        values = to_internal(self.model, overrides, strict=True)
        t = np.asarray(times, float)
        self.ctx.say(f"population {self.diagnosis}, arm {key}: {self.n} patients")
        params = np.stack([p0.copy() for p0 in self.params], axis=1)
        for name, v in values.items():
            params[self.model.param_index[name], :] = v
        names = [n for n in self.model.outputs if not (n.endswith("_nM") or n.startswith("brain_"))]
        try:
            batch = simulate_batch(self.model, [events_for(doses, c["WT"]) for c in self.covariates], params, t,
                                   keep_states=False, output_names=names)
            if batch.failed.any():
                i = int(np.flatnonzero(batch.failed)[0])
                raise SolverError(f"patient {i}: {batch.messages[i]}")
        except Exception as exc:  # remember a failed arm: every target that needs it fails the same way
            err = SimulationError(f"simulation of arm {key} failed: {type(exc).__name__}: {exc}")
            self._failed[ck] = err
            raise err from exc
        series = {n: np.asarray(batch.outputs[n], dtype=float) for n in names}
        arm = Arm(key, t, series, self)
        self._arms[ck] = arm
        return arm


@dataclass
class Arm:
    """Every patient of a population under one regimen: latent outputs (n_patients, n_times)."""

    key: str
    t: np.ndarray
    outputs: dict[str, np.ndarray]
    population: Population

    def out(self, name: str) -> np.ndarray:
        if name not in self.outputs:
            raise MissingOutputError(name)
        return self.outputs[name]

    def index(self, t_h: float) -> int:
        """Grid index of time t_h (which must be on the grid)."""
        i = int(np.argmin(np.abs(self.t - t_h)))
        if abs(self.t[i] - t_h) > 1e-6:
            raise ValueError(f"time {t_h} h is not on the simulated grid")
        return i

    def at(self, name: str, t_h: float) -> np.ndarray:
        return self.out(name)[:, self.index(t_h)]

    def recorded(self, scale: str) -> np.ndarray:
        """What raters record on `scale` at every grid time: latent + rater noise, rounded, bounded."""
        latent = self.out(scale)
        s = SCALES[scale]
        seed = self.population.ctx.seed
        rows = []
        for i in range(latent.shape[0]):
            key = (self.population.diagnosis, self.key, scale) if self.population.failures is None else (
                self.population.diagnosis, self.key, scale, self.population.failures)
            rng = np.random.default_rng([seed & 0xFFFFFFFF, stable_hash(*key), i])
            rows.append(s.record(latent[i], rng))
        return np.vstack(rows)


def population(ctx: Context, diagnosis: str, pairs: frozenset[tuple[str, str]], n: int | None = None,
               failures: float | None = None) -> Population:
    """The virtual population `diagnosis` of this run for a model covering `pairs` (made once, then cached);
    `failures` fixes every patient's prior failed antidepressant trials (default: the diagnosis' distribution)."""
    size = ctx.n_patients if n is None else n
    key = ("population", diagnosis, pairs, size) if failures is None else ("population", diagnosis, pairs, size,
                                                                            failures)
    return ctx.cached(key, lambda: Population(ctx, diagnosis, pairs, size, failures))
