"""Joint admissibility of the parameter ranges: joint draws over every range integrate and stay physiological."""

from __future__ import annotations

import numpy as np

from ketasim.studies import admissible as ad
from ketasim.studies.sensitivity import ParamRange, Setup, default_ranges


def test_joint_draws_are_admissible() -> None:
    res = ad.check_ranges(24, seed=11, days=2.0)
    assert len(res.ranges) > 200  # every eligible parameter is drawn
    assert res.n_ok >= 22, res.summary()


def test_an_impossible_range_is_caught() -> None:
    """A trapped fraction above 1 (the non-trapped part negative) fails the check."""
    ranges = [ParamRange("f_trap_K", 1.2, 1.7, "user") if r.name == "f_trap_K" else r
              for r in default_ranges(Setup().model())]
    res = ad.check_ranges(8, seed=11, days=2.0, ranges=ranges)
    assert res.n_ok <= 4, res.summary()


def test_judge_rules() -> None:
    t = 5
    ok = {name: np.full((1, t), 0.5) for name in (*ad.CONCENTRATIONS, *ad.BANDS)}
    ok["MADRS"], ok["CADSS"], ok["spine_density"] = np.full((1, t), 30.0), np.zeros((1, t)), np.full((1, t), 90.0)
    assert ad.judge(ok, np.array([False]), 32.0) == [""]
    assert ad.judge(ok, np.array([True]), 32.0)[0].startswith("solver")
    for name, value, why in (("MADRS", 40.0, "MADRS"), ("CADSS", 93.0, "band"), ("plasma_ketamine", -1.0, "negative"),
                             ("spine_density", np.nan, "non-finite")):
        bad = {k: v.copy() for k, v in ok.items()}
        bad[name][0, 2] = value
        assert ad.judge(bad, np.array([False]), 32.0)[0].startswith(why), name
