"""Trial observation grids follow what is measured; long grids get smaller chunks and batches."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from ketasim.runtime.spec import load_spec, parse_spec
from ketasim.studies.trial import grid as tgrid
from ketasim.studies.trial.run import CHUNK, trial_model
from ketasim.studies.trial.simulate import ENGINE_BUDGET_BYTES, batch_size, engine_bytes_per_patient_time

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"


def spec(background: bool = True, window: list[str] | None = None, daily_arm_doses: int = 0) -> dict:
    """60 weeks: weekly sprays in one arm, optionally a daily SSRI as background or as the arm's own doses."""
    regimen = [{"drug": "esketamine", "route": "intranasal", "dose": "28 mg", "start": "0 d", "every": "1 week",
                "count": 60}]
    if daily_arm_doses:
        regimen.append({"drug": "ssri", "route": "oral", "dose": "20 mg", "start": "0 d", "every": "1 d",
                        "count": daily_arm_doses})
    endpoints = [{"name": "m4", "kind": "change", "measure": "MADRS", "at": "4 week"}]
    if window:
        endpoints.append({"name": "cadss", "kind": "peak", "measure": "CADSS", "window": window})
    population: dict = {"size": 4, "diagnosis": "trd", "baseline": {"scale": "MADRS", "mean": 32, "sd": 5}}
    if background:
        population["background"] = [{"drug": "ssri", "route": "oral", "dose": "20 mg", "start": "0 d",
                                     "every": "1 d", "count": 420}]
    return {"ketasim": 1, "name": "long", "seed": 1, "duration": "60 week", "population": population,
            "arms": [{"name": "a", "regimen": regimen}, {"name": "b", "regimen": []}], "endpoints": endpoints,
            "compare": [["a", "b"]]}


@pytest.mark.parametrize("name, size", [("zarate2006_memantine", 2801), ("murrough2013_six_infusions", 432),
                                        ("murrough2013_vs_midazolam", 67), ("standard_infusion_exposure", 124)])
def test_example_grids_are_unchanged(name: str, size: int) -> None:
    """The examples' grids (and so their rater draws and summaries) are those of before the change."""
    assert tgrid.observation_grid(load_spec(EXAMPLES / f"{name}.yaml")).size == size


def test_background_doses_add_no_fine_points() -> None:
    with_bg = tgrid.observation_grid(parse_spec(spec(background=True)))
    without = tgrid.observation_grid(parse_spec(spec(background=False)))
    assert np.array_equal(with_bg, without)
    day_10 = 240.0 + 5 / 60
    assert not np.isclose(with_bg, day_10).any()  # no 5-min point after the background dose on day 10


def test_a_window_gets_fine_points_from_any_dose_inside_it() -> None:
    g = tgrid.observation_grid(parse_spec(spec(window=["10 d", "10.5 d"])))
    inside = g[(g >= 240.0) & (g <= 252.0)]
    assert inside.size > 30 and np.isclose(inside, 240.0 + 5 / 60).any()  # the day-10 background dose


def test_many_own_doses_are_detailed_only_up_to_the_limit() -> None:
    g = tgrid.observation_grid(parse_spec(spec(background=False, daily_arm_doses=400)))
    assert g.size < 300 * tgrid.MAX_DETAILED_DOSES // 2  # not 50 points for each of 460 dose times
    assert np.isclose(g, 5 / 60).any()  # the first doses are detailed
    assert not np.isclose(g, 24.0 * 300 + 5 / 60).any()  # a late daily dose is not


def test_long_course_example_is_bounded() -> None:
    s = load_spec(ROOT / "docs" / "specs" / "long_course_esketamine_ssri.yaml")
    g = tgrid.observation_grid(s)
    assert g.size < 6000  # 22,765 before background doses stopped multiplying the grid
    assert tgrid.chunk_size_for(g.size, CHUNK) * g.size <= tgrid.ROWS_PER_CHUNK
    model = trial_model(s)
    per = engine_bytes_per_patient_time(model)
    assert 1 <= batch_size(model, g.size) and batch_size(model, g.size) * per * g.size <= ENGINE_BUDGET_BYTES


def test_short_trials_keep_one_batch_and_the_default_chunk() -> None:
    assert tgrid.chunk_size_for(124, CHUNK) == CHUNK
    model = trial_model(load_spec(EXAMPLES / "zarate2006_memantine.yaml"))
    assert batch_size(model, 2801) >= 32  # the example's 32 patients stay one batch
