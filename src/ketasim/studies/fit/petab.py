"""PEtab v1 export of a data-fitting problem, so pyPESTO/AMICI users can reproduce a fit.

Files (PEtab v1, tab-separated): model.xml (SBML L3V2 from engines.sbml.to_sbml, with the first
subject's dose events), conditions.tsv (one condition per subject: body weight WT, each dose
amount `dose<k>_umol` and dose time `dose_time_<n>`), observables.tsv (one observable per model
output, with the combined error model as noiseFormula), measurements.tsv, parameters.tsv (the
estimated parameters, log scale, bounds and nominal values in the SBML's internal units) and
problem.yaml. Subjects must share the event structure (number of doses, infusion lengths and
routes); amounts, times and weights may differ.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import yaml

from ketasim.model.description import Model
from ketasim.model.errors import UserError
from ketasim.runtime.engines.sbml import event_times, sbml_output_ids, to_sbml
from ketasim.studies.fit.data import Dataset
from ketasim.studies.fit.params import FitParam
from ketasim.studies.fit.residual import ErrorModel

CONDITION_COLS = ["conditionId", "conditionName"]
OBSERVABLE_COLS = ["observableId", "observableName", "observableFormula", "observableTransformation",
                   "noiseFormula", "noiseDistribution"]
MEASUREMENT_COLS = ["observableId", "simulationConditionId", "measurement", "time"]
PARAMETER_COLS = ["parameterId", "parameterName", "parameterScale", "lowerBound", "upperBound", "nominalValue",
                  "estimate"]
FILES = {"sbml": "model.xml", "conditions": "conditions.tsv", "observables": "observables.tsv",
         "measurements": "measurements.tsv", "parameters": "parameters.tsv", "yaml": "problem.yaml"}


def _structure(events: list) -> tuple:
    return tuple((e.duration_h, e.targets) for e in events)


def _cond_id(sid: str) -> str:
    return "subject_" + "".join(ch if ch.isalnum() else "_" for ch in sid)


def petab_tables(model: Model, data: Dataset, params: list[FitParam], errors: dict[str, ErrorModel]
                 ) -> tuple[str, dict[str, pd.DataFrame]]:
    """The SBML document and the four PEtab tables (conditions, observables, measurements, parameters)."""
    events = [s.events() for s in data.subjects]
    ref = events[0]
    for s, ev in zip(data.subjects, events, strict=True):
        if _structure(ev) != _structure(ref) or len(event_times(ev)) != len(event_times(ref)):
            raise UserError("petab", f"subject {s.id} has a different dose schedule (number of doses, infusion "
                                       "length or route) than the first subject; PEtab export needs one schedule "
                                       "structure: export those subjects separately")
    sbml = to_sbml(model, ref)
    out_ids = sbml_output_ids(model)
    conds = []
    for s, ev in zip(data.subjects, events, strict=True):
        row = {"conditionId": _cond_id(s.id), "conditionName": f"subject {s.id}"}
        if "WT" in model.param_index:
            row["WT"] = model.param("WT").internal(s.weight_kg)
        for k, e in enumerate(ev, start=1):
            row[f"dose{k}_umol"] = e.amount_umol
        for n, t in enumerate(event_times(ev), start=1):
            row[f"dose_time_{n}"] = t
        conds.append(row)
    obs = []
    for o in data.output_names:
        e, sid = errors[o], out_ids[o]
        obs.append({"observableId": f"obs_{sid}", "observableName": model.outputs[o].description,
                    "observableFormula": sid, "observableTransformation": "lin",
                    "noiseFormula": f"sqrt({e.add!r}^2 + ({e.prop!r}*{sid})^2)", "noiseDistribution": "normal"})
    meas = [{"observableId": f"obs_{out_ids[o]}", "simulationConditionId": _cond_id(s.id), "measurement": float(y),
             "time": float(t)} for s in data.subjects for t, o, y in zip(s.times_h, s.outputs, s.values, strict=True)]
    pars = [{"parameterId": p.name, "parameterName": model.param(p.name).description, "parameterScale": "log",
             "lowerBound": p.internal(p.low), "upperBound": p.internal(p.high), "nominalValue": p.internal(p.nominal),
             "estimate": 1} for p in params]
    return sbml, {
        "conditions": pd.DataFrame(conds),
        "observables": pd.DataFrame(obs, columns=OBSERVABLE_COLS),
        "measurements": pd.DataFrame(meas, columns=MEASUREMENT_COLS),
        "parameters": pd.DataFrame(pars, columns=PARAMETER_COLS),
    }


def write_petab(directory: Path, model: Model, data: Dataset, params: list[FitParam],
                errors: dict[str, ErrorModel]) -> list[Path]:
    """Write the PEtab v1 problem into `directory` (created); returns the files written."""
    sbml, tables = petab_tables(model, data, params, errors)
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    (directory / FILES["sbml"]).write_text(sbml, encoding="utf-8")
    written.append(directory / FILES["sbml"])
    for key, df in tables.items():
        path = directory / FILES[key]
        df.to_csv(path, sep="\t", index=False)
        written.append(path)
    problem = {"format_version": 1, "parameter_file": FILES["parameters"],
               "problems": [{"sbml_files": [FILES["sbml"]], "condition_files": [FILES["conditions"]],
                             "measurement_files": [FILES["measurements"]],
                             "observable_files": [FILES["observables"]]}]}
    (directory / FILES["yaml"]).write_text(yaml.safe_dump(problem, sort_keys=False), encoding="utf-8")
    written.append(directory / FILES["yaml"])
    return written
