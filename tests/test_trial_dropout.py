"""Dropout: the hazard gives the fraction asked for, LOCF and observed-case analyses on known data,
relapse censored at dropout, spec errors, and a small trial end to end."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from ketasim.model.errors import UserError
from ketasim.runtime.spec import parse_spec
from ketasim.studies.trial import endpoints as ep
from ketasim.studies.trial import run as trial_run
from ketasim.studies.trial.dropout import carried_forward, dropout_times, observed


def small_exposure_spec(size: int) -> dict:
    return {
        "ketasim": 1, "name": "small exposure", "seed": 11, "layers": "exposure",
        "population": {"size": size},
        "arms": [
            {"name": "iv", "regimen": [{"drug": "ketamine", "route": "iv", "dose": "0.5 mg/kg",
                                        "duration": "40 min", "at": ["0 h"]}]},
            {"name": "nasal", "regimen": [{"drug": "esketamine", "route": "intranasal", "dose": "28 mg",
                                           "sprays": 3, "spray_interval": "5 min", "at": ["0 h"]}]},
        ],
        "endpoints": [
            {"name": "peak", "kind": "peak", "measure": "plasma_ketamine", "window": ["0 h", "2 h"]},
            {"name": "k6h", "kind": "value", "measure": "plasma_ketamine", "at": "6 h"},
        ],
        "compare": [["iv", "nasal"]],
    }


def test_constant_hazard_gives_the_fraction_by_the_time_asked() -> None:
    gone = dropout_times(0.2, 100.0, np.arange(20000), seed=5, arm_index=0)
    assert np.mean(gone <= 100.0) == pytest.approx(0.2, abs=0.01)
    assert np.mean(gone <= 200.0) == pytest.approx(1 - 0.8**2, abs=0.01)  # constant hazard: 36% by twice
    again = dropout_times(0.2, 100.0, np.arange(20000)[::-1], seed=5, arm_index=0)
    assert np.array_equal(gone, again[::-1])  # per patient, not per position: chunking cannot change it
    assert not np.array_equal(gone, dropout_times(0.2, 100.0, np.arange(20000), seed=5, arm_index=1))
    assert np.all(np.isinf(dropout_times(0.0, None, np.arange(5), 5, 0)))


def test_locf_and_observed_on_known_scores() -> None:
    times = np.array([0.0, 24.0, 48.0, 72.0])
    y = np.array([[30.0, 20.0, 15.0, 10.0], [30.0, 25.0, 20.0, 15.0]])
    gone = np.array([30.0, np.inf])
    assert carried_forward(y, times, gone).tolist() == [[30, 20, 20, 20], [30, 25, 20, 15]]
    seen = observed(y, times, gone)
    assert np.isnan(seen[0, 2:]).all() and seen[1].tolist() == [30, 25, 20, 15]
    assert y[0, 3] == 10.0  # inputs untouched


def _spec(**extra: object) -> dict:
    return {"ketasim": 1, "name": "d", "seed": 1, "population": {"size": 4},
            "arms": [{"name": "a", "regimen": []}],
            "endpoints": [{"name": "c", "kind": "change", "measure": "MADRS", "at": "3 d"}], **extra}


def test_endpoints_with_dropout_on_synthetic_scores() -> None:
    spec = parse_spec(_spec(arms=[{"name": "a", "regimen": [], "dropout": {"fraction": 0.5, "by": "1 d"}}],
                            endpoints=[{"name": "c", "kind": "change", "measure": "MADRS", "at": "3 d"},
                                       {"name": "r", "kind": "relapse", "measure": "MADRS", "from": "1 d",
                                        "at": "3 d"},
                                       {"name": "t", "kind": "time_to_relapse", "measure": "MADRS", "from": "1 d",
                                        "at": "3 d"}]))
    times = np.array([0.0, 24.0, 48.0, 72.0])
    y = np.array([[30.0, 10.0, 30.0, 30.0], [30.0, 10.0, 30.0, 30.0]])  # both respond at day 1, relapse at day 2
    arm = ep.ArmData("a", np.array([0, 1]), times, {"MADRS": y}, gone_h=np.array([30.0, np.inf]))
    locf = ep.patient_values(arm, spec.endpoints[0], spec.end_h, "locf")
    assert locf.values.tolist() == [-20.0, 0.0]  # the dropout keeps its day-1 score
    obs = ep.patient_values(arm, spec.endpoints[0], spec.end_h, "observed")
    assert obs.values.tolist() == [0.0]  # left out
    rel = ep.patient_values(arm, spec.endpoints[1], spec.end_h, "locf")
    assert rel.values.tolist() == [False, True]  # the dropout cannot relapse after leaving
    ttr = ep.patient_values(arm, spec.endpoints[2], spec.end_h, "locf")
    assert ttr.events.tolist() == [False, True]
    assert ttr.values[0] == pytest.approx(6 / 24)  # censored at dropout, 6 h after `from`


@pytest.mark.parametrize(("arm_extra", "top", "field"), [
    ({"dropout": {"fraction": 1.0, "by": "1 d"}}, {}, "arms[0].dropout.fraction"),
    ({"dropout": {"fraction": 0.1, "by": "9 d"}}, {}, "arms[0].dropout.by"),
    ({"dropout": {"fraction": 0.1, "by": "-1 d"}}, {}, "arms[0].dropout.by"),
    ({"dropout": {"fraction": 0.1}}, {}, "arms[0].dropout.by"),
    ({}, {"missing": "mmrm"}, "missing"),
])
def test_bad_dropout_names_the_field(arm_extra: dict, top: dict, field: str) -> None:
    with pytest.raises(UserError) as err:
        parse_spec(_spec(arms=[{"name": "a", "regimen": [], **arm_extra}], **top))
    assert str(err.value).startswith(field)
    assert "\n" not in str(err.value)


def test_trial_with_dropout_end_to_end(tmp_path: Path) -> None:
    base = small_exposure_spec(16)
    base["arms"][1]["dropout"] = {"fraction": 0.5, "by": "6 h"}
    locf = trial_run.run_trial(parse_spec(base), tmp_path / "locf")
    assert "dropouts" not in locf["arms"]["iv"] or locf["arms"]["iv"]["dropouts"] == 0
    gone = locf["arms"]["nasal"]["dropouts"]
    assert 1 <= gone <= 7  # half of 8 expected gone by 6 h
    assert locf["arms"]["nasal"]["endpoints"]["k6h"]["n"] == 8  # LOCF keeps everyone
    obs = trial_run.run_trial(parse_spec({**base, "missing": "observed"}), tmp_path / "obs")
    assert obs["arms"]["nasal"]["endpoints"]["k6h"]["n"] == 8 - obs["arms"]["nasal"]["dropouts"]
    # carried-forward early concentrations are higher than the 6-h ones
    assert locf["arms"]["nasal"]["endpoints"]["k6h"]["value"] > obs["arms"]["nasal"]["endpoints"]["k6h"]["value"]
    again = trial_run.run_trial(parse_spec(base), tmp_path / "again")
    assert json.dumps(again) == json.dumps(locf)
    assert "dropped out" in (tmp_path / "locf" / "report.html").read_text()


def test_trial_visits_schedule_relapse_assessments_and_dropout_carry_forward() -> None:
    from ketasim.studies.trial.grid import observation_grid, relapse_visits

    spec = parse_spec(_spec(
        duration="10 d",
        visits=["0 d", {"start": "1 d", "every": "2 d", "until": "9 d"}],
        endpoints=[{"name": "r", "kind": "relapse", "measure": "MADRS", "from": "1 d", "at": "10 d",
                    "rule": {"score_at_least": 22, "consecutive": 2}},
                   {"name": "own", "kind": "relapse", "measure": "MADRS", "from": "1 d", "at": "10 d",
                    "rule": {"score_at_least": 22, "consecutive": 2, "every": "1 d"}}]))
    assert spec.visits_h == (0.0, 24.0, 72.0, 120.0, 168.0, 216.0)
    assert relapse_visits(spec.endpoints[0], spec.end_h).tolist() == [72.0, 120.0, 168.0, 216.0, 240.0]
    assert len(relapse_visits(spec.endpoints[1], spec.end_h)) == 9  # its own `every` wins
    assert set(spec.visits_h) <= set(observation_grid(spec).tolist())


@pytest.mark.parametrize(("visits", "field"), [
    ([{"start": "0 d", "every": "0 d", "until": "2 d"}], "visits[0].every"),
    ([{"start": "2 d", "every": "1 d", "until": "1 d"}], "visits[0].until"),
    (["20 d"], "visits"),
    ([{"start": "0 d", "every": "0.1 min", "until": "3 d"}], "visits[0].every"),
])
def test_bad_visits_name_the_field(visits: list, field: str) -> None:
    with pytest.raises(UserError) as err:
        parse_spec(_spec(visits=visits))
    assert str(err.value).startswith(field)
