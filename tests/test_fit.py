"""ketasim fit: recovery of known PK parameters from simulated data, refits to targets, bad input."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from ketasim.apps.cli.main import main
from ketasim.runtime.build import build_model
from ketasim.runtime.regimen import Dose
from ketasim.studies.fit.data import Dataset, Subject
from ketasim.studies.fit.datafit import DataProblem
from ketasim.studies.fit.params import parse_params
from ketasim.studies.fit.residual import error_models

TRUTH = {"CL_K_S": 105.0, "V1_K": 25.0}
TIMES = np.array([0.25, 0.5, 0.67, 1.0, 1.5, 2.0, 3.0, 4.0, 6.0, 8.0, 12.0, 24.0])


def simulated_csv(path: Path, n: int = 20, seed: int = 1) -> Path:
    """Noisy plasma esketamine of `n` subjects (0.25 mg/kg over 40 min), simulated at TRUTH."""
    model = build_model("human", frozenset({("esketamine", "iv")}), "default", "exposure")
    rng = np.random.default_rng(seed)
    dose = Dose("esketamine", "iv", (0.0,), mg_per_kg=0.25, duration_h=40 / 60)
    weights = rng.uniform(55, 95, n)
    subs = tuple(Subject(str(i), (dose,), float(w), TIMES, ("plasma_ketamine",) * TIMES.size, np.zeros(TIMES.size))
                 for i, w in enumerate(weights))
    params = parse_params(model, list(TRUTH))
    prob = DataProblem(model, Dataset(subs), params, error_models(["plasma_ketamine"]))
    f = prob.predict(np.log([TRUTH[p.name] for p in params])[None, :])[0]
    y = f + prob.sd(f) * rng.standard_normal(f.size)
    rows = ["id,time_h,output,value,weight_kg"]
    k = 0
    for i, w in enumerate(weights):
        for t in TIMES:
            rows.append(f"{i},{t},plasma_ketamine,{y[k]:.6g},{w:.4g}")
            k += 1
    path.write_text("\n".join(rows) + "\n")
    return path


def run(args: list[str]) -> int:
    with pytest.raises(SystemExit) as exc:
        main(args)
    return int(exc.value.code)


def test_fit_recovers_clearance_and_volume(tmp_path: Path) -> None:
    csv = simulated_csv(tmp_path / "obs.csv")
    out = tmp_path / "fit1"
    code = run(["fit", "--data", str(csv), "--param", "CL_K_S", "--param", "V1_K", "--drug", "esketamine",
                "--dose", "0.25 mg/kg", "--starts", "3", "--petab", str(tmp_path / "petab"), "--out", str(out)])
    assert code == 0
    doc = json.loads((out / "fit.json").read_text())
    est = {e["name"]: e for e in doc["estimates"]}
    for name, true in TRUTH.items():
        e = est[name]
        assert e["ci_low"] < true < e["ci_high"], (name, e)
        assert e["ci_high"] / e["ci_low"] < 3.0  # informative intervals, not the bounds
    # the optimum moved away from the nominal start (17.8 L) to the truth's neighbourhood
    assert abs(est["V1_K"]["estimate"] - 25.0) < abs(17.8 - 25.0)
    assert doc["n_converged"] >= 1 and doc["objective_name"] == "-2 log-likelihood"
    assert len(doc["observations"]) == 20 * TIMES.size
    assert (out / "fit.png").stat().st_size > 5000 and (out / "estimates.txt").exists()
    assert (tmp_path / "petab" / "problem.yaml").exists()


def test_refit_to_pk_target_restores_score(tmp_path: Path) -> None:
    out = tmp_path / "fit2"
    code = run(["fit", "--targets", "pk-hum-ket-clearance", "--param", "CL_K_S=20:200", "--start", "CL_K_S=40",
                "--out", str(out)])
    assert code == 0
    doc = json.loads((out / "fit.json").read_text())
    before, after = doc["details"]["before"], doc["details"]["after"]
    assert before["passed"] == 0 and before["objective"] > 0  # the perturbed clearance fails the target
    assert after["passed"] == 1 and after["objective"] == 0.0
    assert 45.0 < doc["estimates"][0]["estimate"] < 200.0


@pytest.mark.parametrize("args, field", [
    (["--param", "CL_K_S"], "--targets/--data/--nonmem"),
    (["--targets", "pk-hum-ket-clearance", "--param", "NOPE"], "--param"),
    (["--targets", "pk-hum-ket-clearance", "--param", "CL_K_S=5"], "--param"),
    (["--targets", "pk-hum-ket-clearance", "--param", "CL_K_S", "--start", "V1_K=3"], "--start"),
    (["--targets", "no-such-target", "--param", "CL_K_S"], "--targets"),  # fit has no --only
])
def test_bad_input_names_the_option(tmp_path: Path, capsys: pytest.CaptureFixture[str], args: list[str],
                                    field: str) -> None:
    out = tmp_path / "never"
    assert run(["fit", *args, "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert field in err and len(err.strip().splitlines()) == 1
    assert not out.exists()


def test_bad_data_file_names_row_and_column(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text("id,time_h,output,value\n1,0.5,plasma_ketamine,abc\n")
    assert run(["fit", "--data", str(bad), "--param", "CL_K_S", "--out", str(tmp_path / "o")]) == 2
    assert "row 2, column value" in capsys.readouterr().err


def test_nonmem_dataset_fit_recovers_clearance(tmp_path: Path) -> None:
    """DV of a NONMEM-style dataset (noise-free, 3 subjects) gives back the clearance that made it.

    Constant (additive-only) error: with a prediction-dependent SD the log-variance term of the
    likelihood pulls noise-free fits towards smaller predictions, by design of the likelihood.
    """
    model = build_model("human", frozenset({("ketamine", "iv")}), "default", "exposure")
    times = np.array([0.5, 1.0, 2.0, 4.0, 8.0])
    regimens = [(70.0, 35.0), (90.0, 45.0), (60.0, 30.0)]
    subs = tuple(Subject(str(i + 1), (Dose("ketamine", "iv", (0.0,), amount_mg=mg, duration_h=40 / 60),), w, times,
                         ("plasma_ketamine",) * times.size, np.zeros(times.size)) for i, (w, mg) in enumerate(regimens))
    params = parse_params(model, ["CL_K_R"])
    prob = DataProblem(model, Dataset(subs), params, error_models(["plasma_ketamine"]))
    y = prob.predict(np.log([[70.0]]))[0]
    rows = ["ID,TIME,AMT,RATE,CMT,EVID,DV,WT"]
    k = 0
    for i, (w, mg) in enumerate(regimens):
        rows.append(f"{i + 1},0,{mg},{mg / (40 / 60):.10g},1,1,.,{w}")
        for t in times:
            rows.append(f"{i + 1},{t},.,.,1,0,{y[k]:.10g},{w}")
            k += 1
    path = tmp_path / "nm.csv"
    path.write_text("\n".join(rows) + "\n")
    out = tmp_path / "fitnm"
    assert run(["fit", "--nonmem", str(path), "--param", "CL_K_R", "--starts", "2", "--error-prop", "0",
                "--out", str(out)]) == 0
    est = json.loads((out / "fit.json").read_text())["estimates"][0]
    assert est["estimate"] == pytest.approx(70.0, rel=0.01)
    assert est["ci_low"] < 70.0 < est["ci_high"]
