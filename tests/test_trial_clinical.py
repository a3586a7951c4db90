"""Score measures through the trial machinery with the real clinical layer.

It exercises the plumbing (covariates in, rated scores out, ANCOVA, response) and the sign
of the effect with 20 patients per arm (the calibrated sizes are in the example tests).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pandas as pd

from ketasim.runtime.spec import parse_spec
from ketasim.studies.trial import run as trial_run


def test_scores_are_rated_and_analysed(tmp_path: Path) -> None:
    """The real clinical layer's scores are rated (whole, bounded) and analysed by the right tests."""
    spec = parse_spec({
        "ketasim": 1, "name": "toy clinical", "seed": 5,
        "population": {"size": 40, "baseline": {"scale": "MADRS", "mean": 32, "sd": 5, "min": 22, "max": 60}},
        "arms": [
            {"name": "ketamine", "regimen": [{"drug": "ketamine", "route": "iv", "dose": "0.5 mg/kg",
                                              "duration": "40 min", "at": ["0 h"]}]},
            {"name": "midazolam", "regimen": [{"drug": "midazolam", "route": "iv", "dose": "0.045 mg/kg",
                                               "duration": "40 min", "at": ["0 h"]}]},
        ],
        "endpoints": [
            {"name": "chg", "kind": "change", "measure": "MADRS", "at": "24 h",
             "published": {"ketamine": -16.5, "midazolam": -8.8, "ketamine - midazolam": -7.95,
                           "source": "Murrough et al. 2013, Am J Psychiatry 170:1134"}},
            {"name": "resp", "kind": "response", "measure": "MADRS", "at": "24 h",
             "published": {"ketamine": 0.99, "source": "an implausible value", "note": "flagged"}},
            {"name": "cadss", "kind": "peak", "measure": "CADSS", "window": ["0 h", "2 h"]},
            {"name": "sbp", "kind": "peak_change", "measure": "SBP", "window": ["0 h", "2 h"]},
            {"name": "ket", "kind": "peak", "measure": "plasma_ketamine", "window": ["0 h", "2 h"]},
        ],
        "compare": [["ketamine", "midazolam"]],
    })
    summary = trial_run.run_trial(spec, tmp_path / "out")
    assert {"MADRS", "CADSS", "SBP"} <= set(summary["measures"])
    df = pd.read_parquet(tmp_path / "out" / "patients.parquet")
    for m, hi in (("MADRS", 60), ("CADSS", 92)):
        assert np.all(df[m] == np.rint(df[m])) and df[m].between(0, hi).all()
    base = df[df["time_h"] == 0]
    assert (base["MADRS"] == base["baseline_score"]).all()  # the entry score is the time-zero score
    assert base["baseline_score"].between(22, 60).all()
    comps = {c["endpoint"]: c for c in summary["comparisons"]}
    assert comps["chg"]["test"] == "ancova" and comps["resp"]["test"] == "fisher"
    assert comps["sbp"]["test"] in ("welch", "not applicable")
    # plasma ketamine is 0 in every midazolam patient: a p-value against a constant means nothing
    assert comps["ket"]["p_value"] is None and comps["ket"]["test"] == "not applicable"
    assert "midazolam" in comps["ket"]["note"] and comps["ket"]["difference"] > 50
    assert "note" not in comps["chg"] and comps["chg"]["p_value"] is not None
    ket, mdz = (summary["arms"][a]["endpoints"] for a in ("ketamine", "midazolam"))
    assert ket["chg"]["value"] < mdz["chg"]["value"] < 0  # ketamine improves within a day
    assert ket["resp"]["unit"] == "fraction" and ket["chg"]["unit"] == "points" and ket["sbp"]["unit"] == "mmHg"
    assert ket["cadss"]["value"] > 10 and mdz["cadss"]["value"] < 3
    assert json.loads((tmp_path / "out" / "summary.json").read_text()) == summary
    # published values beside the prediction, flagged against the 95% CI of the mean
    pub = ket["chg"]["published"]
    assert pub["value"] == -16.5 and pub["source"].startswith("Murrough")
    lo, hi = ket["chg"]["ci95"]
    assert pub["within_ci95"] == (lo <= -16.5 <= hi)
    assert ket["resp"]["published"] == {"value": 0.99, "source": "an implausible value", "note": "flagged",
                                        "within_ci95": False}
    assert "published" not in mdz["resp"] and "published" not in ket["cadss"]
    assert comps["chg"]["published"]["value"] == -7.95 and "published" not in comps["resp"]
    page = (tmp_path / "out" / "report.html").read_text()
    assert "Prediction beside the published result" in page and "OUTSIDE 95% CI" in page
    assert "an implausible value" in page and "95% CI of the mean" in page
    assert "Change in MADRS total score (0-60) from baseline to 24 h" in page  # words, not internal names
    assert "negative: larger improvement with ketamine" in page  # the sign of every difference
    comparisons = page.split("<h2>Comparisons")[1].split("<img")[0]
    assert "not applicable" in comparisons and not re.search(r"\de-\d", comparisons)  # no p = 1e-40
    assert page.count("<img") == 4  # published-vs-predicted, VPC, mean bands, sample patients


def test_placebo_spray_arm_and_relapse_rule_run(tmp_path: Path) -> None:
    """A vehicle arm (placebo sprays, no drug) runs beside esketamine; a relapse rule is reported in words."""
    spray = {"route": "intranasal", "sprays": 3, "spray_interval": "5 min", "at": ["0 d", "3 d"]}
    spec = parse_spec({
        "ketasim": 1, "name": "sprays", "seed": 3, "duration": "6 d",
        "population": {"size": 8, "baseline": {"scale": "MADRS", "mean": 32, "sd": 5, "min": 22, "max": 60}},
        "arms": [
            {"name": "esketamine", "regimen": [{"drug": "esketamine", "dose": "28 mg", **spray}]},
            {"name": "placebo", "regimen": [{"drug": "placebo", **spray}]},
        ],
        "endpoints": [
            {"name": "chg", "kind": "change", "measure": "MADRS", "at": "24 h"},
            {"name": "esk", "kind": "peak", "measure": "plasma_s_ketamine", "window": ["72 h", "74 h"]},
            {"name": "rl", "kind": "relapse", "measure": "MADRS", "from": "1 d", "at": "6 d",
             "rule": {"score_at_least": 22, "consecutive": 2, "every": "1 d"}},
        ],
        "compare": [["esketamine", "placebo"]],
    })
    summary = trial_run.run_trial(spec, tmp_path / "out")
    esk, pl = (summary["arms"][a]["endpoints"] for a in ("esketamine", "placebo"))
    assert esk["esk"]["value"] > 20 and pl["esk"]["value"] == 0  # the second session doses the drug, not the vehicle
    assert pl["chg"]["value"] is not None and esk["rl"]["unit"] == "fraction"
    page = (tmp_path / "out" / "report.html").read_text()
    assert "placebo intranasal (vehicle, no drug) × 3 sprays 5 min apart at 0 d, 3 d" in page
    assert "relapse = MADRS ≥ 22 at 2 consecutive visit(s) 24 h apart" in page


def test_randomised_withdrawal_design(tmp_path: Path) -> None:
    """Everyone induced (the same items in both arms), then the drug or a vehicle after T (docs/designs.md)."""
    induction = {"drug": "ketamine", "route": "iv", "dose": "0.5 mg/kg", "duration": "40 min", "at": ["0 d", "3 d"]}
    spec = parse_spec({
        "ketasim": 1, "name": "withdrawal", "seed": 11, "duration": "14 d",
        "population": {"size": 8, "baseline": {"scale": "MADRS", "mean": 32, "sd": 5, "min": 22, "max": 60}},
        "arms": [
            {"name": "continue", "regimen": [induction, {**induction, "at": ["7 d", "10 d"]}]},
            {"name": "stop", "regimen": [induction, {"drug": "placebo", "route": "iv", "duration": "40 min",
                                                     "at": ["7 d", "10 d"]}]},
        ],
        "endpoints": [
            {"name": "response_7d", "kind": "response", "measure": "MADRS", "at": "7 d"},
            {"name": "ket_before", "kind": "peak", "measure": "plasma_ketamine", "window": ["72 h", "74 h"]},
            {"name": "ket_after", "kind": "peak", "measure": "plasma_ketamine", "window": ["240 h", "242 h"]},
            {"name": "relapse", "kind": "relapse", "measure": "MADRS", "from": "7 d", "at": "14 d",
             "rule": {"score_at_least": 22, "consecutive": 2, "every": "1 d"}},
        ],
        "compare": [["continue", "stop"]],
    })
    summary = trial_run.run_trial(spec, tmp_path / "out")
    cont, stop = (summary["arms"][a]["endpoints"] for a in ("continue", "stop"))
    assert cont["ket_before"]["value"] > 50 and stop["ket_before"]["value"] > 50  # both induced
    assert cont["ket_after"]["value"] > 50 and stop["ket_after"]["value"] < 0.01  # withdrawn after T (washed out)
    for arm in (cont, stop):  # the withdrawal population: responders at T
        assert arm["relapse"]["n"] == round(arm["response_7d"]["value"] * arm["response_7d"]["n"])
