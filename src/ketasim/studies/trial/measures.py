"""Measures: which model outputs a trial can report, and what a rater records from them.

Concentration measures (ng/mL) are model outputs of the same name (`plasma_ketamine`, ...).
Scores (MADRS, HDRS17, HAMD6, BDI, QIDS_SR16, CADSS) are continuous model outputs that a rater
records as bounded whole numbers with rater noise (ketasim.layers.symptoms.scales); HDRS17, HAMD6,
BDI and QIDS_SR16 also carry the patient's between-scale discordance (drawn once per patient;
none on the baseline scale, whose entry score defines the patient's severity).
The MADRS items MADRS_item1..10 are ten whole numbers 0-6 that sum to the recorded MADRS total
(scales.record_items); suicidal_ideation is the recorded item 10. SBP/DBP are model outputs in
mmHg, read as whole mmHg (no extra noise). At time zero the baseline scale shows the baseline
score drawn for the patient (what was written at entry). The rater stream of the original scales
(`Patient.rater_rng`) draws as before; items, QIDS-SR16 and discordance use `Patient.item_rng`.
"""

from __future__ import annotations

import numpy as np

from ketasim.layers.exposure.comparators import LIBRARY
from ketasim.layers.symptoms.scales import ITEM_MEASURES, MADRS_ITEMS, SCALES, record_items
from ketasim.model.description import Model
from ketasim.model.errors import UserError
from ketasim.runtime.spec import CONCENTRATION_MEASURES, MEASURES, SCORE_MEASURES, VITAL_MEASURES, TrialSpec
from ketasim.studies.trial.population import Patient

UNITS = {**{m: "points" for m in SCORE_MEASURES}, **{m: "mmHg" for m in VITAL_MEASURES}}


def measure_unit(measure: str) -> str:
    """Unit of a measure's values: points, mmHg or ng/mL."""
    return UNITS.get(measure, "ng/mL")


_LABELS = {
    "MADRS": "MADRS total score (0-60)",
    "HDRS17": "HDRS-17 total score (0-52)",
    "HAMD6": "HAM-D6 total score (0-22)",
    "BDI": "BDI total score (0-63)",
    "CADSS": "CADSS dissociation score (0-92)",
    "suicidal_ideation": "suicidal thoughts, MADRS item 10 (0-6)",
    "QIDS_SR16": "QIDS-SR16 total score (0-27)",
    **{m: f"MADRS item {i + 1}, {MADRS_ITEMS[i]} (0-6)" for i, m in enumerate(ITEM_MEASURES)},
    "SBP": "systolic blood pressure",
    "DBP": "diastolic blood pressure",
}
_ANALYTE_LABELS = {"ketamine": "ketamine (S + R)", "s_ketamine": "S-ketamine", "r_ketamine": "R-ketamine",
                   "norketamine": "norketamine", "hnk": "hydroxynorketamines (all)", "2r6r_hnk": "(2R,6R)-HNK",
                   "dhnk": "dehydronorketamine"}


def measure_label(measure: str, unit: bool = True) -> str:
    """What a clinician calls a measure, with its unit: "MADRS total score (0-60), points"."""
    if measure in _LABELS:
        text = _LABELS[measure]
    else:
        site, _, analyte = measure.partition("_")
        text = f"{site} {_ANALYTE_LABELS.get(analyte, analyte.replace('_', ' '))} concentration"
    return f"{text}, {measure_unit(measure)}" if unit else text


def is_score(measure: str) -> bool:
    """Rated scales (whole-number scores with a baseline): analysed by ANCOVA on baseline."""
    return measure in SCORE_MEASURES


def comparator_measures() -> list[str]:
    """plasma_/brain_ concentrations of comparator drugs (an extension of the contract's list)."""
    return [f"{site}_{d}" for d in sorted(LIBRARY) for site in ("plasma", "brain")]


def available_measures(model: Model) -> list[str]:
    """Measures this model can report: the contract's list first, then comparator concentrations."""
    names = [m for m in MEASURES if m in model.outputs]
    names += [m for m in comparator_measures() if m in model.outputs]
    return names


def check_available(spec: TrialSpec, available: list[str]) -> None:
    """UserError naming the first endpoint whose measure this model cannot report yet."""
    for e in spec.endpoints:
        if e.measure in available:
            continue
        missing = sorted({x.measure for x in spec.endpoints if x.measure not in available},
                         key=[*MEASURES, *comparator_measures()].index)
        clinical = [m for m in missing if m in SCORE_MEASURES + VITAL_MEASURES]
        why = ("the clinical (symptom and vital-sign) layers are not in this model yet"
               if clinical else "the drug it measures is not in any arm's regimen")
        if clinical and spec.layers == "exposure":
            why = "the spec sets `layers: exposure`; remove it to build the clinical layers"
        raise UserError(f"{e.path}.measure",
                        f"{e.measure} is not available: {why}; not available: {', '.join(missing)}; "
                        f"available: {', '.join(available) or 'none'}")


#: recorded through the second rater stream (the first keeps its draws for the original scales)
_SECOND_STREAM = ("QIDS_SR16",)
_FROM_ITEMS = (*ITEM_MEASURES, "suicidal_ideation")


def _score(patient: Patient, m: str, v: np.ndarray, rng: np.random.Generator,
           item_rng: np.random.Generator) -> np.ndarray:
    """One scale as recorded: latent + the patient's scale discordance + visit noise, whole and bounded."""
    scale = SCALES[m]
    if scale.patient_sd > 0:  # drawn for every patient (fixed order); not on the scale that defined severity
        b = item_rng.normal(0.0, scale.patient_sd)
        v = v + (0.0 if m == patient.baseline_scale else b)
    rec = scale.record(v, item_rng if m in _SECOND_STREAM else rng)
    if m == patient.baseline_scale:
        rec[0] = patient.baseline_score  # grid starts at time zero
    return rec


def record(patient: Patient, outputs: dict[str, np.ndarray], measures: list[str]) -> dict[str, np.ndarray]:
    """What is written down for one patient at every grid time, measure by measure."""
    rng, item_rng = patient.rater_rng(), patient.item_rng()
    out: dict[str, np.ndarray] = {}
    for m in sorted(measures):  # fixed order of rater draws
        v = np.asarray(outputs[m], dtype=float)
        if m in _FROM_ITEMS:
            continue
        if m in SCALES:
            out[m] = _score(patient, m, v, rng, item_rng)
        elif m in VITAL_MEASURES:
            out[m] = np.rint(v)
        else:
            out[m] = v
    if any(m in _FROM_ITEMS for m in measures):
        total = out["MADRS"] if "MADRS" in out else _score(patient, "MADRS", outputs["MADRS"], item_rng, item_rng)
        latent = np.column_stack([np.asarray(outputs[m], dtype=float) for m in ITEM_MEASURES])
        items = record_items(latent, total, item_rng)
        out.update({m: items[:, i] for i, m in enumerate(ITEM_MEASURES)})
        out["suicidal_ideation"] = items[:, -1]
    return {m: out[m] for m in measures}


__all__ = ["CONCENTRATION_MEASURES", "available_measures", "check_available", "record", "measure_label", "measure_unit"]
