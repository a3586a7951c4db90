"""Clinical contacts: the care part of the placebo response (layers/symptoms/care.py)."""

from __future__ import annotations

import numpy as np
import pytest

from ketasim.runtime.build import build_model
from ketasim.runtime.engines.dosing import make_plan
from ketasim.runtime.engines.reference import simulate_reference
from ketasim.runtime.regimen import CONTACT, SESSION, Dose, contact_times, dose_events
from mech_helpers import STANDARD, run

DAY = 24.0
PAIRS = frozenset({("ketamine", "iv")})
#: how much a single dose at time zero may move a symptom output (no contact: only solver round-off)
SINGLE_DOSE_TOL = 1e-6


def _placebo(doses: list[Dose], days: float = 35.0, pl_care: float | None = None) -> dict[str, np.ndarray]:
    """A typical patient's outputs under `doses` (vehicles, contacts) on a daily grid."""
    model = build_model("human", PAIRS)
    events = [e for d in doses for e in dose_events(d, 70.0)]
    p = model.with_params(**({} if pl_care is None else {"pl_care": pl_care}))
    t = np.arange(0.0, days * DAY + 1, DAY)
    return simulate_reference(model, events, p, t, rtol=1e-8).outputs


def _vehicle(n: int) -> Dose:
    """A saline infusion at time zero and `n` more, twice weekly."""
    return Dose("placebo", "iv", tuple(DAY * d for d in (0, 3, 7, 10, 14, 17, 21, 24, 28)[: n + 1]))


def test_more_contacts_more_improvement_saturating() -> None:
    madrs, care = [], []
    for n in (0, 2, 4, 8):
        o = _placebo([_vehicle(n)])
        madrs.append(o["MADRS"][28])
        care.append(o["care"])
    assert all(c.min() >= 0.0 for c in care)  # contacts only add care
    assert care[0].max() == 0.0  # the session at time zero is where the placebo response starts
    gain = -np.diff(madrs)  # improvement from 0 -> 2 -> 4 -> 8 contacts
    assert np.all(gain > 0.3)
    assert gain[2] / 4 < gain[0] / 2  # saturating: less per contact when there are many


def test_vehicle_sessions_differ_from_none_and_decay() -> None:
    with_sessions, without = _placebo([_vehicle(8)], days=56), _placebo([_vehicle(0)], days=56)
    assert without["MADRS"][28] - with_sessions["MADRS"][28] > 2.0
    assert with_sessions["care"][56] < 0.8 * with_sessions["care"][35]  # decays once the sessions stop
    off = _placebo([_vehicle(8)], days=56, pl_care=0.0)
    assert np.allclose(off["MADRS"], without["MADRS"], atol=1e-9)


def test_a_single_dose_is_unchanged() -> None:
    base, no_care = run("human", STANDARD), run("human", STANDARD, overrides=(("pl_care", 0.0),))
    assert np.abs(base.o["care"]).max() == 0.0
    for name in ("MADRS", "HDRS17", "placebo_effect", "antidepressant_effect"):
        assert np.abs(base.o[name] - no_care.o[name]).max() < SINGLE_DOSE_TOL


def test_what_counts_as_a_contact() -> None:
    week = tuple(DAY * 7 * w for w in range(4))
    assert contact_times(Dose("ssri", "oral", week, amount_mg=20.0)) == []  # taken at home
    assert contact_times(Dose("placebo", "oral", week)) == []
    spray = Dose("esketamine", "intranasal", week, amount_mg=28.0, sprays=3)
    assert contact_times(spray) == list(week[1:])  # one per session, not per spray; none at time zero
    assert contact_times(Dose("ketamine", "iv", (0.0, 1.5, 48.0, 50.0), mg_per_kg=0.5)) == [48.0]  # same visit
    assert contact_times(Dose(CONTACT, SESSION, (DAY, 2 * DAY), duration_h=0.5)) == [DAY, 2 * DAY]
    assert contact_times(Dose("psychotherapy", SESSION, (DAY,), duration_h=1.0)) == [DAY]
    assert dose_events(Dose(CONTACT, SESSION, (DAY,), duration_h=0.5), 70.0)[0].targets == ((CONTACT, "1"),)


def test_items_at_the_same_time_are_one_visit_and_exposure_models_ignore_contacts() -> None:
    model = build_model("human", PAIRS)
    both = [Dose("ketamine", "iv", (DAY,), mg_per_kg=0.5), Dose("placebo", "intranasal", (DAY,))]
    plan = make_plan(model, [e for d in both for e in dose_events(d, 70.0)], np.array(model.with_params()))
    assert plan.jumps[:, model.state_index["c_in"]].max() == pytest.approx(1.0)
    exposure = build_model("human", PAIRS, layers="exposure")
    assert make_plan(exposure, dose_events(both[1], 70.0), np.array(exposure.with_params())).times.size == 1



def _trial(regimen: list[dict]) -> dict:
    """A one-arm spec: the same patients (same seed) under `regimen` for two weeks."""
    return {
        "ketasim": 1, "name": "contacts", "seed": 3,
        "population": {"size": 16, "species": "human", "diagnosis": "trd"},
        "arms": [{"name": "a", "regimen": regimen}],
        "endpoints": [{"name": "chg", "kind": "change", "measure": "MADRS", "at": "13 d"}],
    }


def test_contact_items_and_vehicle_sessions_reach_a_trial(tmp_path) -> None:
    import pandas as pd

    from ketasim.runtime.spec import parse_spec
    from ketasim.studies.trial.run import run_trial

    first = {"drug": "placebo", "route": "intranasal", "at": ["0 d"]}
    specs = {"none": [first], "visit": [first, {"intervention": "contact", "start": "7 d", "every": "7 d", "count": 1}],
             "sprays": [{**first, "at": ["0 d", "3 d", "7 d", "10 d"]}]}
    end = {}
    for key, regimen in specs.items():
        spec = parse_spec(_trial(regimen))
        run_trial(spec, tmp_path / key)
        df = pd.read_parquet(tmp_path / key / "patients.parquet")
        end[key] = df[df["time_h"] == df["time_h"].max()].sort_values("patient")["HDRS17"].to_numpy(float)
    visit = parse_spec(_trial(specs["visit"])).arms[0].doses[1]
    assert visit.drug == CONTACT and visit.times_h == (7 * DAY,)
    # the same patients (recorded scores carry rater noise): more contacts, lower scores on average
    assert end["sprays"].mean() < end["visit"].mean() < end["none"].mean(), {k: v.mean() for k, v in end.items()}
