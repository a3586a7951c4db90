"""Virtual patients: covariates drawn reproducibly per patient, then model parameters.

Each patient's draws come from `ketasim.runtime.patients.patient_rng(seed, patient)`, in a fixed order
(a fixed number of uniforms first, so adding a covariate never shifts the others), so a patient
is the same whether simulated alone, in a chunk, resumed, or on another worker.

Defaults (used when the spec leaves a field out; "A" = assumption with the stated range):

| covariate | default | source |
|---|---|---|
| weight (human) | normal 80 kg, SD 15, truncated 45-150 kg | adult trial populations (A) |
| weight (mouse / rat) | 0.025 kg SD 0.003 (0.015-0.045) / 0.30 kg SD 0.04 (0.15-0.60) | adults (A) |
| age (human) | 45 years SD 12, truncated 18-75 | adult TRD trials (A) |
| age (mouse / rat) | 10 weeks SD 2 (6-30 weeks) | young adults (A) |
| female fraction | 0.5 | (A) |
| CYP2B6 poor metaboliser (*6/*6) | 0.1 | A; *6 allele 0.15-0.5 by ancestry: *6/*6 0.02-0.25 |
| BDNF Val66Met carrier | 0.35 | A; Met carriers about 30% in European, about 70% in East Asian ancestry |
| baseline severity (if `baseline` omitted) | see DEFAULT_BASELINE (MADRS) | A |
| placebo responsiveness PLACEBO_RESP | log-normal, median 1, SD(log) 0.4 | A (range 0.2-0.6) |
| synapse deficit SYN_DEFICIT | by diagnosis (trd 0.25, mdd 0.2, bipolar 0.2, healthy 0), SD 0.08, truncated 0-0.5 | A |
| baseline SBP / DBP | 125 mmHg SD 12 (95-170) / 78 mmHg SD 8 (55-105) | adult population surveys (A) |
| monoaminergic responsiveness ETA_MONO | normal, SD 2.5 (logit scale) | A (range 1-4; docs/antidepressants.md) |
| prior failed antidepressant trials | trd 2.5 SD 1 (2-8), mdd 0, bipolar 1 SD 1 (0-8), rounded | A; TRD >= 2 |
| GABA_DEFICIT (ei_setpoint variant) | depressed 0.2 SD 0.1 (0-0.5), healthy 0 | A; lower MRS GABA (Godfrey 2018) |
| INFLAM (inflammation variant) | 27%: 1.0 SD 0.3 (0.5-2); others 0.2 SD 0.1 (0-0.5) | share CRP > 3 mg/L (Osimo 2019) |

The baseline score is drawn on the spec's scale, truncated to the inclusion bounds and rounded
to a whole number: it is what the rater wrote at time zero. The model's baseline severity
MADRS0 is that score converted to the MADRS metric (ketasim.layers.symptoms.scales linking).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
from scipy.special import ndtr, ndtri

from ketasim.layers.symptoms.scales import SCALES
from ketasim.model.description import Model
from ketasim.runtime.patients import (  # noqa: F401  (defaults re-exported)
    DEFAULT_BASELINE,
    DEFAULT_GABA_DEFICIT,
    INFLAM_HIGH,
    INFLAM_HIGH_SHARE,
    INFLAM_LOW,
    MONO_ETA_SD,
    default_age,
    default_weight,
    individual_parameters,
    patient_rng,
)
from ketasim.runtime.regimen import Dose, DoseEvent, dose_events

SYN_DEFICIT_TYPICAL = {"trd": 0.25, "mdd": 0.2, "bipolar": 0.2, "healthy": 0.0}
SYN_DEFICIT_SD = 0.08
PLACEBO_RESP_SD_LOG = 0.4
SBP0 = (125.0, 12.0, 95.0, 170.0)
DBP0 = (78.0, 8.0, 55.0, 105.0)
#: uniforms drawn first for every patient (slots reserved for future covariates)
_N_UNIFORMS = 16


def truncated_normal(u: float, mean: float, sd: float, low: float, high: float) -> float:
    """Inverse-CDF draw from a normal truncated to [low, high], from one uniform `u` in (0, 1)."""
    if sd <= 0:
        return float(min(max(mean, low), high))
    a, b = ndtr((low - mean) / sd), ndtr((high - mean) / sd)
    q = a + u * (b - a)
    return float(min(max(mean + sd * ndtri(min(max(q, 1e-300), 1 - 1e-16)), low), high))


@dataclass
class Patient:
    """One virtual patient: who they are, what they get, and their parameter vector."""

    id: int
    arm: str
    covariates: dict[str, float | str]  # table columns (weight_kg, age_year, sex, ...)
    model_covariates: dict[str, float]  # model covariate parameters (WT, FEMALE, ...)
    baseline_scale: str
    baseline_score: float  # recorded at time zero on baseline_scale (whole number)
    params: np.ndarray
    events: list[DoseEvent]
    rater_seed: int
    extra: dict[str, float] = field(default_factory=dict)

    def rater_rng(self) -> np.random.Generator:
        """The stream of this patient's rater noise (independent of the model's size)."""
        return np.random.default_rng(self.rater_seed)

    def item_rng(self) -> np.random.Generator:
        """A second rater stream (MADRS items, QIDS-SR16, scale discordance): the first one's draws are unchanged."""
        return np.random.default_rng([self.rater_seed, 1])


def draw_covariates(population, rng: np.random.Generator) -> tuple[dict[str, float | str], dict[str, float], float]:
    """Draw one patient's covariates: (table columns, model covariates, recorded baseline score)."""
    u = rng.random(_N_UNIFORMS)
    w, a = population.weight, population.age
    weight = truncated_normal(u[0], w.mean, w.sd, w.low, w.high)
    age = truncated_normal(u[1], a.mean, a.sd, a.low, a.high)
    female = 1.0 if u[2] < population.female_fraction else 0.0
    pm = 1.0 if u[3] < population.cyp2b6_pm_fraction else 0.0
    met = 1.0 if u[4] < population.val66met_fraction else 0.0
    b = population.baseline
    scale = SCALES[b.scale]
    low, high = float(np.ceil(b.low)), float(np.floor(b.high))
    score = float(np.clip(np.rint(truncated_normal(u[5], b.mean, b.sd, b.low, b.high)), low, high))
    madrs0 = float(scale.to_madrs(score))
    placebo = float(np.exp(PLACEBO_RESP_SD_LOG * ndtri(u[6])))
    diag = population.diagnosis
    syn = truncated_normal(u[7], SYN_DEFICIT_TYPICAL[diag], SYN_DEFICIT_SD if diag != "healthy" else 0.0, 0.0, 0.5)
    sbp0 = truncated_normal(u[8], *SBP0)
    dbp0 = truncated_normal(u[9], *DBP0)
    pf = population.prior_failures
    failures = float(np.rint(truncated_normal(u[10], pf.mean, pf.sd, pf.low, pf.high)))
    eta_mono = float(MONO_ETA_SD * ndtri(u[11]))
    gaba = truncated_normal(u[12], *DEFAULT_GABA_DEFICIT[diag]) if diag != "healthy" else 0.0
    inflam = truncated_normal(u[14], *(INFLAM_HIGH if u[13] < INFLAM_HIGH_SHARE[diag] else INFLAM_LOW)) \
        if diag != "healthy" else 0.0
    table: dict[str, float | str] = {
        "weight_kg": weight,
        "age_year": age,
        "sex": "F" if female else "M",
        "cyp2b6_pm": int(pm),
        "val66met": int(met),
        "diagnosis": diag,
        "baseline_scale": b.scale,
        "baseline_score": score,
        "madrs0": madrs0,
        "placebo_resp": placebo,
        "syn_deficit": syn,
        "sbp0_mmhg": sbp0,
        "dbp0_mmhg": dbp0,
        "prior_failures": int(failures),
        "mono_eta": eta_mono,
        "gaba_deficit": gaba,
        "inflammation": inflam,
    }
    model_cov = {
        "WT": weight, "FEMALE": female, "CYP2B6_PM": pm, "AGE": age, "MADRS0": madrs0,
        "DIAG_BIPOLAR": 1.0 if diag == "bipolar" else 0.0, "DIAG_HEALTHY": 1.0 if diag == "healthy" else 0.0,
        "PLACEBO_RESP": placebo, "SYN_DEFICIT": syn, "VAL66MET": met, "SBP0": sbp0, "DBP0": dbp0,
        "PRIOR_FAILURES": failures, "ETA_MONO": eta_mono, "GABA_DEFICIT": gaba, "INFLAM": inflam,
    }
    return table, model_cov, score


def make_patient(model: Model, population, seed: int, patient_id: int, arm: str, doses: tuple[Dose, ...],
                 overrides: Mapping[str, float] | None = None,
                 typical: Mapping[str, float] | None = None) -> Patient:
    """Draw patient `patient_id` of a trial: covariates, rater stream, then random effects."""
    rng = patient_rng(seed, patient_id)
    table, model_cov, score = draw_covariates(population, rng)
    rater_seed = int(rng.integers(0, 2**63 - 1))
    known = {k: v for k, v in model_cov.items() if k in model.param_index}
    params = individual_parameters(model, rng, known, overrides, typical)
    events = [ev for d in doses for ev in dose_events(d, float(table["weight_kg"]))]
    return Patient(patient_id, arm, table, known, population.baseline.scale, score, params, events, rater_seed)
