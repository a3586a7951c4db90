"""Property-based fuzz of the trial-spec parser and the `trial` command: any input gives a spec or a
one-line UserError (exit 2), never an internal error, a hang or a huge allocation."""

from __future__ import annotations

import copy
import math
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ketasim.apps.cli.main import main
from ketasim.model.errors import UserError
from ketasim.runtime.spec import TrialSpec, parse_spec

VALID: dict[str, Any] = {
    "ketasim": 1, "name": "fuzz", "seed": 3, "layers": "exposure",
    "population": {"size": 4, "species": "human", "weight": {"mean": "80 kg", "sd": "10 kg"}},
    "arms": [{"name": "a", "regimen": [{"drug": "ketamine", "route": "iv", "dose": "0.5 mg/kg",
                                        "duration": "40 min", "at": ["0 h"]}]},
             {"name": "b", "allocation": 2, "regimen": [{"drug": "esketamine", "route": "intranasal",
                                                        "dose": "28 mg", "sprays": 3, "start": "0 d",
                                                        "every": "3.5 d", "count": 2}]}],
    "endpoints": [{"name": "p", "kind": "peak", "measure": "plasma_ketamine", "window": ["0 h", "4 h"]},
                  {"name": "v", "kind": "value", "measure": "plasma_ketamine", "at": "7 d"}],
    "compare": [["a", "b"]],
}

NUMBERS = st.one_of(st.integers(min_value=-10**30, max_value=10**30),
                    st.floats(allow_nan=True, allow_infinity=True), st.booleans(), st.none())
UNITS = st.sampled_from(["mg", "mg/kg", "ug/kg", "h", "d", "min", "s", "ns", "year", "kg", "g", "mL", "ng/mL",
                         "", "furlong", "mg/kg/h", "1/h", "%"])
QUANTITIES = st.builds(lambda x, u: f"{x} {u}".strip(),
                       st.one_of(st.floats(allow_nan=True, allow_infinity=True), st.integers(-10**400, 10**400),
                                 st.sampled_from(["1e308", "1e-320", "-0", ".5", "1e999", "nan", "inf", "0x10"])),
                       UNITS)
TEXT = st.text(max_size=30)
LEAVES = st.one_of(NUMBERS, QUANTITIES, TEXT, st.lists(QUANTITIES, max_size=4),
                   st.dictionaries(TEXT, NUMBERS, max_size=3))


def _paths(obj: Any, prefix: tuple = ()) -> list[tuple]:
    out = [prefix]
    if isinstance(obj, dict):
        for k, v in obj.items():
            out += _paths(v, (*prefix, k))
    elif isinstance(obj, list):
        for i, v in enumerate(obj):
            out += _paths(v, (*prefix, i))
    return out


PATHS = [p for p in _paths(VALID) if p]


@st.composite
def mutated_specs(draw: st.DrawFn) -> Any:
    """The valid spec with 1-3 values replaced, deleted or added (or, rarely, not a mapping at all)."""
    if draw(st.integers(0, 30)) == 0:
        return draw(LEAVES)
    spec = copy.deepcopy(VALID)
    for _ in range(draw(st.integers(1, 3))):
        path = draw(st.sampled_from(PATHS))
        parent = spec
        try:
            for key in path[:-1]:
                parent = parent[key]
            action = draw(st.sampled_from(["replace", "replace", "replace", "delete", "add"]))
            if action == "replace":
                parent[path[-1]] = draw(LEAVES)
            elif action == "delete" and isinstance(parent, dict):
                parent.pop(path[-1], None)
            elif isinstance(parent, dict):
                parent[draw(TEXT)] = draw(LEAVES)
        except (KeyError, IndexError, TypeError):
            continue  # an earlier mutation changed the shape: keep what we have
    return spec


FUZZ = settings(max_examples=600, deadline=None, suppress_health_check=list(HealthCheck), database=None)


@FUZZ
@given(mutated_specs())
def test_spec_parser_gives_a_spec_or_a_user_error(data: Any) -> None:
    try:
        spec = parse_spec(data)
    except UserError as exc:
        assert exc.field is not None and "\n" not in str(exc)
        return
    assert isinstance(spec, TrialSpec)
    assert math.isfinite(spec.end_h) and spec.end_h > 0 and spec.population.size >= 1
    for arm in spec.arms:
        for d in arm.doses:
            assert all(math.isfinite(t) for t in d.times_h)


@pytest.fixture(scope="module")
def stubbed(tmp_path_factory: pytest.TempPathFactory):
    """The trial command with run_trial replaced: the fuzz checks parsing and error mapping, not simulation."""
    from ketasim.studies.trial import run as trial_run

    real = trial_run.run_trial
    trial_run.run_trial = lambda spec, out, **kw: {"arms": {a.name: {"size": a.size} for a in spec.arms}}
    yield tmp_path_factory.mktemp("cli")
    trial_run.run_trial = real


FLAGS = st.lists(st.sampled_from([["--chunk-size", "0"], ["--chunk-size", "x"], ["--replicates", "-1"],
                                  ["--workers", "0"], ["--workers", "2", "--scheduler", "tcp://x:1"],
                                  ["--allow-failures", "nan"], ["--allow-failures", "1.5"], ["--allow-large"],
                                  ["--resume"], ["--bogus"], ["--replicates", "1e9"], []]), max_size=2)


@settings(max_examples=120, deadline=None, suppress_health_check=list(HealthCheck), database=None)
@given(text=st.one_of(st.builds(lambda d: yaml.safe_dump(d, allow_unicode=True), mutated_specs()),
                      st.text(max_size=200), st.binary(max_size=100).map(lambda b: b.decode("latin-1"))),
       flags=FLAGS)
def test_trial_command_never_fails_internally(stubbed: Path, capsys: pytest.CaptureFixture, text: str,
                                              flags: list[list[str]]) -> None:
    path = stubbed / "spec.yaml"
    path.write_text(text, encoding="utf-8", errors="surrogateescape")
    argv = ["trial", str(path), "--out", str(stubbed / "out"), "--quiet", *[f for group in flags for f in group]]
    with pytest.raises(SystemExit) as info:
        main(argv)
    err = capsys.readouterr().err
    assert info.value.code in (0, 2), err
    assert "internal error" not in err
    if info.value.code == 2:
        assert len([ln for ln in err.splitlines() if ln.strip()]) == 1, err
