"""NONMEM-style dosing datasets: doses, schedules and observation times; malformed rows named."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from ketasim.model.errors import UserError
from ketasim.runtime.build import build_model
from ketasim.runtime.engines.reference import simulate_reference
from ketasim.runtime.nonmem import load_nonmem
from ketasim.runtime.regimen import Dose, dose_events

GOOD = """# ketamine infusion and esketamine devices
ID,TIME,AMT,RATE,CMT,EVID,DRUG,WT,DV,MDV,ADDL,II,STUDY,DUR
1,0,35,52.5,1,1,ketamine,70,.,1,0,0,7,.
1,0.667,0,0,1,0,ketamine,70,185,0,0,0,7,.
1,24,0,0,1,0,ketamine,70,.,1,0,0,7,.
2,0,28,0,3,1,esketamine,80,.,1,2,0.0833,7,.
2,1,0,0,1,0,esketamine,80,.,1,0,0,7,.
3,0,50,-2,1,1,ketamine,60,.,1,0,0,7,0.5
3,2,0,0,1,0,ketamine,60,12.5,0,0,0,7,.
"""


def write(tmp_path: Path, text: str, name: str = "doses.csv") -> Path:
    p = tmp_path / name
    p.write_text(text)
    return p


def test_reads_doses_schedules_and_observations(tmp_path: Path) -> None:
    subjects = load_nonmem(write(tmp_path, GOOD))
    assert list(subjects) == [1, 2, 3]
    s1, s2, s3 = subjects[1], subjects[2], subjects[3]
    (d1,) = s1.doses
    assert (d1.drug, d1.route, d1.amount_mg, d1.times_h) == ("ketamine", "iv", 35.0, (0.0,))
    assert d1.duration_h == pytest.approx(40 / 60)
    assert s1.observation_times_h == (0.667, 24.0) and s1.observations == ((0.667, 185.0),)
    assert s1.weight_kg == 70 and s1.covariates == {"STUDY": 7.0}
    (d2,) = s2.doses
    assert (d2.route, d2.drug, d2.duration_h) == ("intranasal", "esketamine", 0.0)
    assert d2.times_h == pytest.approx((0.0, 0.0833, 0.1666))  # ADDL = 2 more devices every II
    (d3,) = s3.doses
    assert d3.duration_h == 0.5  # RATE = -2: duration from DUR


def test_imported_infusion_simulates_like_the_same_regimen(tmp_path: Path) -> None:
    (dose,) = load_nonmem(write(tmp_path, GOOD))[1].doses
    model = build_model("human", frozenset({("ketamine", "iv")}), layers="exposure")
    times = np.array([0.0, 0.5, 40 / 60, 2.0])
    a = simulate_reference(model, dose_events(dose, 70.0), model.default_parameters, times)
    ref = Dose("ketamine", "iv", (0.0,), mg_per_kg=0.5, duration_h=40 / 60)
    b = simulate_reference(model, dose_events(ref, 70.0), model.default_parameters, times)
    assert np.allclose(a.outputs["plasma_ketamine"], b.outputs["plasma_ketamine"], rtol=1e-6)


@pytest.mark.parametrize(
    ("edit", "where", "words"),
    [
        (lambda t: t.replace(",RATE,", ",RAET,"), "doses.csv row 2, column RATE", None),  # RATE optional
        (lambda t: t.replace("ID,TIME,AMT,RATE,CMT,EVID", "ID,TIME,AMT,RATE,CMT,EVENT"), "row 2, column EVID",
         "required column EVID is missing"),
        (lambda t: t.replace("1,0,35,52.5,1,1", "1,0,-35,52.5,1,1"), "row 3, column AMT", "positive amount"),
        (lambda t: t.replace("1,0,35,52.5,1,1", "1,0,35,52.5,9,1"), "row 3, column CMT", "unknown compartment 9"),
        (lambda t: t.replace("1,24,0,0,1,0", "1,zero,0,0,1,0"), "row 5, column TIME", "not a number"),
        (lambda t: t.replace("1,24,0,0,1,0", "1,0.5,0,0,1,0"), "row 5, column TIME", "time decreases within ID 1"),
        (lambda t: t.replace("1,24,0,0,1,0", "1,24,0,0,1,2"), "row 5, column EVID", "EVID 2 is not supported"),
        (lambda t: t.replace("1,0,35,52.5,1,1", "1,0,35,-1,1,1"), "row 3, column RATE", "RATE = -1"),
        (lambda t: t.replace("7,0.5", "7,."), "row 8, column DUR", "needs the infusion duration"),
        (lambda t: t.replace("1,0,35,52.5,1,1", "1,0,35,52.5,2,1"), "row 3, column RATE", "infusion"),
        (lambda t: t.replace("1,0,35,52.5,1,1,ketamine", "1,0,35,52.5,1,1,ketamene"), "row 3, column DRUG",
         "unknown drug"),
        (lambda t: t.replace("1,0.667,0,0,1,0,ketamine,70", "1,0.667,0,0,1,0,ketamine,0"), "row 4, column WT",
         "positive"),
        (lambda t: t.replace("1,24,0,0,1,0,ketamine,70", "1,24,0,0,1,0,ketamine,71"), "row 5, column WT",
         "time-varying"),
        (lambda t: t.replace("2,0,28,0,3,1,esketamine,80,.,1,2,0.0833", "2,0,28,0,3,1,esketamine,80,.,1,2,0"),
         "row 6, column II", "ADDL > 0 needs"),
        (lambda t: t.replace("1,0,35,52.5,1,1", "1,-1,35,52.5,1,1"), "row 3, column TIME", "cannot be negative"),
    ],
)
def test_malformed_dataset_names_row_and_column(tmp_path: Path, edit, where: str, words: str | None) -> None:
    text = edit(GOOD)
    if words is None:  # a renamed optional column is simply not used: RATE defaults to bolus
        subjects = load_nonmem(write(tmp_path, text.replace("3,0,50,-2", "3,0,50,0")))
        assert subjects[1].doses[0].duration_h == 0.0
        return
    with pytest.raises(UserError) as info:
        load_nonmem(write(tmp_path, text))
    assert where in info.value.field, str(info.value)
    assert words in info.value.message, str(info.value)
    assert "\n" not in str(info.value)


def test_empty_and_missing_files(tmp_path: Path) -> None:
    with pytest.raises(UserError, match="empty"):
        load_nonmem(write(tmp_path, "# nothing\n"))
    with pytest.raises(UserError, match="no rows"):
        load_nonmem(write(tmp_path, "ID,TIME,AMT,CMT,EVID\n"))
    with pytest.raises(UserError, match="no such file"):
        load_nonmem(tmp_path / "absent.csv")
