"""PEtab v1 export: the column sets of the spec and every id resolvable in the SBML model."""

from __future__ import annotations

from pathlib import Path

import libsbml
import numpy as np
import pandas as pd
import pytest
import yaml

from ketasim.apps.cli.main import main
from ketasim.runtime.build import build_model
from ketasim.runtime.regimen import Dose
from ketasim.studies.fit.data import Dataset, Subject
from ketasim.studies.fit.params import parse_params
from ketasim.studies.fit.petab import write_petab
from ketasim.studies.fit.residual import error_models

TIMES = np.array([0.5, 1.0, 4.0])


def _problem(tmp_path: Path, route_second: str = "iv") -> tuple[Path, list[Path]]:
    model = build_model("human", frozenset({("ketamine", "iv"), ("ketamine", route_second)}), "default", "exposure")
    doses = [Dose("ketamine", "iv", (0.0,), mg_per_kg=0.5, duration_h=40 / 60),
             Dose("ketamine", route_second, (0.0,), mg_per_kg=0.25,
                  duration_h=40 / 60 if route_second == "iv" else 0.0)]
    subs = tuple(Subject(f"s{i}", (d,), w, TIMES, ("plasma_ketamine", "plasma_norketamine", "plasma_ketamine"),
                         np.array([100.0, 30.0, 10.0])) for i, (d, w) in enumerate(zip(doses, (70.0, 82.0),
                                                                                        strict=True)))
    data = Dataset(subs)
    params = parse_params(model, ["CL_K_S", "V1_K=5:100"])
    out = tmp_path / "petab"
    return out, write_petab(out, model, data, params, error_models(data.output_names))


def test_petab_tables_follow_the_v1_spec(tmp_path: Path) -> None:
    out, files = _problem(tmp_path)
    assert {f.name for f in files} == {"model.xml", "conditions.tsv", "observables.tsv", "measurements.tsv",
                                       "parameters.tsv", "problem.yaml"}
    prob = yaml.safe_load((out / "problem.yaml").read_text())
    assert prob["format_version"] == 1 and prob["parameter_file"] == "parameters.tsv"
    for key in ("sbml_files", "condition_files", "measurement_files", "observable_files"):
        for name in prob["problems"][0][key]:
            assert (out / name).exists()
    cond = pd.read_csv(out / "conditions.tsv", sep="\t")
    obs = pd.read_csv(out / "observables.tsv", sep="\t")
    meas = pd.read_csv(out / "measurements.tsv", sep="\t")
    par = pd.read_csv(out / "parameters.tsv", sep="\t")
    assert list(obs.columns) == ["observableId", "observableName", "observableFormula", "observableTransformation",
                                 "noiseFormula", "noiseDistribution"]
    assert list(meas.columns) == ["observableId", "simulationConditionId", "measurement", "time"]
    assert list(par.columns) == ["parameterId", "parameterName", "parameterScale", "lowerBound", "upperBound",
                                 "nominalValue", "estimate"]
    assert list(cond.columns[:2]) == ["conditionId", "conditionName"]
    assert set(obs["observableTransformation"]) == {"lin"} and set(obs["noiseDistribution"]) == {"normal"}
    assert set(par["parameterScale"]) == {"log"} and set(par["estimate"]) == {1}
    assert (par["lowerBound"] < par["nominalValue"]).all() and (par["nominalValue"] < par["upperBound"]).all()
    assert len(meas) == 6 and set(meas["simulationConditionId"]) <= set(cond["conditionId"])
    assert set(meas["observableId"]) <= set(obs["observableId"])
    # the second subject's dose differs: amount and weight are condition columns
    assert cond["dose1_umol"].nunique() == 2 and list(cond["WT"]) == [70.0, 82.0]

    doc = libsbml.readSBMLFromFile(str(out / "model.xml"))
    assert doc.getNumErrors(libsbml.LIBSBML_SEV_ERROR) == 0
    sm = doc.getModel()
    sbml_params = {sm.getParameter(i).getId() for i in range(sm.getNumParameters())}
    assert set(par["parameterId"]) <= sbml_params  # every estimated parameter exists in the SBML
    assert set(cond.columns[2:]) <= sbml_params  # every condition column overrides an SBML parameter
    assert set(obs["observableFormula"]) <= sbml_params
    for formula, oid in zip(obs["noiseFormula"], obs["observableFormula"], strict=True):
        assert formula.startswith("sqrt(") and oid in formula


def test_petab_rejects_mixed_schedules(tmp_path: Path) -> None:
    from ketasim.model.errors import UserError

    with pytest.raises(UserError) as exc:
        _problem(tmp_path, route_second="im")
    assert exc.value.field == "petab"


def test_petab_only_writes_the_problem_without_fitting(tmp_path: Path) -> None:
    csv = tmp_path / "obs.csv"
    csv.write_text("id,time_h,output,value\n1,1,plasma_ketamine,80\n1,4,plasma_ketamine,20\n")
    with pytest.raises(SystemExit) as exc:
        main(["fit", "--data", str(csv), "--param", "CL_K_R", "--petab", str(tmp_path / "pe"), "--petab-only",
              "--out", str(tmp_path / "o")])
    assert exc.value.code == 0
    assert (tmp_path / "pe" / "measurements.tsv").exists() and not (tmp_path / "o" / "fit.json").exists()


def test_petab_problem_reproduces_ketasim_predictions(tmp_path: Path) -> None:
    """Simulating model.xml under the second subject's condition (libRoadRunner) gives ketasim's prediction."""
    import roadrunner

    from ketasim.studies.fit.datafit import DataProblem

    model = build_model("human", frozenset({("ketamine", "iv")}), "default", "exposure")
    doses = [Dose("ketamine", "iv", (0.0,), mg_per_kg=0.5, duration_h=40 / 60),
             Dose("ketamine", "iv", (0.5,), amount_mg=20.0, duration_h=40 / 60)]
    subs = tuple(Subject(f"s{i}", (d,), w, TIMES, ("plasma_ketamine",) * 3, np.ones(3))
                 for i, (d, w) in enumerate(zip(doses, (70.0, 82.0), strict=True)))
    data = Dataset(subs)
    params = parse_params(model, ["CL_K_S"])
    out = tmp_path / "pe"
    write_petab(out, model, data, params, error_models(data.output_names))
    cond = pd.read_csv(out / "conditions.tsv", sep="\t").set_index("conditionId").loc["subject_s1"]
    obs = pd.read_csv(out / "observables.tsv", sep="\t")
    rr = roadrunner.RoadRunner(str(out / "model.xml"))
    rr.integrator.relative_tolerance = 1e-9
    rr.integrator.absolute_tolerance = 1e-12
    for inp in model.inputs:
        rr[f"u_{inp}"] = 0.0
    for col, value in cond.items():
        if col != "conditionName":
            rr[col] = float(value)
    rr.reset()
    res = np.asarray(rr.simulate(times=[0.0, *TIMES.tolist()], selections=[obs["observableFormula"][0]]))
    expected = DataProblem(model, data, params, error_models(data.output_names)).predict(
        np.log([[params[0].nominal]]))[0][3:]
    np.testing.assert_allclose(res[1:, 0], expected, rtol=2e-3)
