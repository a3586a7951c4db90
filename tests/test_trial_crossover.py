"""Crossover designs: the period-adjusted within-patient analysis on known data, McNemar's test,
spec errors naming their field, and a small crossover end to end."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from ketasim.model.errors import UserError
from ketasim.runtime.spec import parse_spec
from ketasim.studies.trial import run as trial_run
from ketasim.studies.trial.crossover import _paired_means, _paired_proportions


def test_period_effect_is_removed_by_equal_weighting_of_sequences() -> None:
    rng = np.random.default_rng(1)
    effect, period2 = -5.0, 3.0  # A - B, and what period 2 adds to everyone
    noise = rng.normal(0, 1, (2, 40))
    ab = (effect + noise[0]) - (0.0 + period2)  # A in period 1, B in period 2: A - B
    ba = (effect + period2 + noise[1]) - 0.0  # B in period 1, A in period 2
    c = _paired_means([ab, ba])
    assert c.difference == pytest.approx(effect + (noise[0].mean() + noise[1].mean()) / 2)
    assert c.low < effect < c.high and c.p_value < 1e-6
    unbalanced = [ab[:10], ba]  # a pooled mean would carry 30/50 of the period effect (+1.8)
    assert abs(_paired_means(unbalanced).difference - effect) < 0.8
    assert abs(np.concatenate(unbalanced).mean() - effect) > 1.2


def test_mcnemar_exact_and_paired_interval() -> None:
    a = np.array([True] * 6 + [False] * 1 + [True] * 3 + [False] * 10)
    b = np.array([False] * 6 + [True] * 1 + [True] * 3 + [False] * 10)
    c = _paired_proportions(a, b)
    assert c.difference == pytest.approx(5 / 20)
    assert c.p_value == pytest.approx(0.125)  # binomial(1 of 7, 1/2), two-sided: 16/128
    assert c.low < c.difference < c.high


def _crossover(**over: object) -> dict:
    spec = {
        "ketasim": 1, "name": "xo", "seed": 3, "layers": "exposure", "population": {"size": 6},
        "crossover": {"periods": ["0 h", "12 h"], "sequences": {"kp": ["ketamine", "none"], "pk": ["none", "ketamine"]},
                      "compare": [["ketamine", "none"]]},
        "arms": [
            {"name": "kp", "regimen": [{"drug": "ketamine", "route": "iv", "dose": "0.5 mg/kg", "duration": "40 min",
                                        "at": ["0 h"]}]},
            {"name": "pk", "regimen": [{"drug": "ketamine", "route": "iv", "dose": "0.5 mg/kg", "duration": "40 min",
                                        "at": ["12 h"]}]},
        ],
        "endpoints": [{"name": "c1h", "kind": "value", "measure": "plasma_ketamine", "at": "1 h"},
                      {"name": "peak", "kind": "peak", "measure": "plasma_ketamine", "window": ["0 h", "2 h"]}],
    }
    spec.update(over)
    return spec


@pytest.mark.parametrize(("change", "field"), [
    ({"sequences": {"kp": ["ketamine", "none"]}}, "crossover.sequences"),
    ({"sequences": {"kp": ["ketamine"], "pk": ["none", "ketamine"]}}, "crossover.sequences.kp"),
    ({"sequences": {"kp": ["ketamine", "none"], "pk": ["none", "ketamine"], "zz": ["a", "b"]}},
     "crossover.sequences.zz"),
    ({"compare": [["ketamine", "saline"]]}, "crossover.compare[0][1]"),
    ({"periods": ["0 h"]}, "crossover.periods"),
    ({"periods": ["12 h", "0 h"]}, "crossover.periods[1]"),
])
def test_bad_crossover_names_the_field(change: dict, field: str) -> None:
    spec = _crossover()
    spec["crossover"] = {**spec["crossover"], **change}
    with pytest.raises(UserError) as err:
        parse_spec(spec)
    assert str(err.value).startswith(field)


def test_endpoint_outside_a_period_or_of_a_relapse_kind_is_refused() -> None:
    with pytest.raises(UserError, match=r"^endpoints\[0\].*shortest period"):
        parse_spec(_crossover(endpoints=[{"name": "late", "kind": "value", "measure": "plasma_ketamine",
                                          "at": "13 h"}]))
    with pytest.raises(UserError, match=r"^endpoints\[0\]\.kind"):
        parse_spec(_crossover(duration="20 h", endpoints=[{"name": "r", "kind": "relapse", "measure": "MADRS",
                                                           "from": "1 h", "at": "2 h"}]))


def test_crossover_end_to_end(tmp_path: Path) -> None:
    s = trial_run.run_trial(parse_spec(_crossover()), tmp_path / "xo")
    assert set(s["arms"]["kp"]["endpoints"]) == {"c1h_period1", "peak_period1", "c1h_period2", "peak_period2"}
    co = s["crossover"]
    assert co["sequences"] == {"kp": ["ketamine", "none"], "pk": ["none", "ketamine"]}
    k, n = co["treatments"]["ketamine"]["c1h"], co["treatments"]["none"]["c1h"]
    assert k["n"] == 6 and n["n"] == 6
    assert 0 < n["value"] < 5 < 50 < k["value"]  # ng/mL 1 h into a period; 12 h is a short washout (carry-over)
    comp = next(c for c in co["comparisons"] if c["endpoint"] == "c1h")
    assert comp["difference"] == pytest.approx(k["value"] - n["value"], rel=1e-3)
    assert comp["p_value"] < 0.01
    assert "Crossover" in (tmp_path / "xo" / "report.html").read_text()
