"""Score measures through the trial machinery with the real clinical layer.

It exercises the plumbing (covariates in, rated scores out, ANCOVA, response) and the sign
of the effect with 20 patients per arm (the calibrated sizes are in the example tests).
"""

from __future__ import annotations

import json
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
            {"name": "chg", "kind": "change", "measure": "MADRS", "at": "24 h"},
            {"name": "resp", "kind": "response", "measure": "MADRS", "at": "24 h"},
            {"name": "cadss", "kind": "peak", "measure": "CADSS", "window": ["0 h", "2 h"]},
            {"name": "sbp", "kind": "peak_change", "measure": "SBP", "window": ["0 h", "2 h"]},
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
    assert comps["sbp"]["test"] == "welch"
    ket, mdz = (summary["arms"][a]["endpoints"] for a in ("ketamine", "midazolam"))
    assert ket["chg"]["value"] < mdz["chg"]["value"] < 0  # ketamine improves within a day
    assert ket["resp"]["unit"] == "fraction" and ket["chg"]["unit"] == "points" and ket["sbp"]["unit"] == "mmHg"
    assert ket["cadss"]["value"] > 10 and mdz["cadss"]["value"] < 3
    assert json.loads((tmp_path / "out" / "summary.json").read_text()) == summary
