"""Validation scorecard: target coverage, JSON contract, PK evaluators, clean failures, CLI errors."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from ketasim.apps.cli.main import main
from ketasim.runtime.regimen import Dose
from ketasim.studies.validation import EVALUATORS, load_targets, run_validation
from ketasim.studies.validation import evaluators as _registered  # noqa: F401
from ketasim.studies.validation.clinical import km_median
from ketasim.studies.validation.core import Checks, Context, Outcome
from ketasim.studies.validation.scorecard import evaluate, markdown
from ketasim.studies.validation.stats import hedges_g, paired_significant, pearson
from ketasim.studies.validation.targets import Target, targets_text

LAYERS = {"pk", "targets", "circuit", "signalling", "synapse", "clinical", "biomarker"}

#: PK targets the current exposure model meets (checked against published ranges below)
PASSING_PK = ["pk-hum-ket-cmax-standard", "pk-hum-ket-clearance", "pk-hum-metabolite-tmax",
              "pk-hum-hnk-persistence", "pk-hum-enantiomer-clearance", "pk-2r6r-hnk-origin",
              "pk-hum-oral-bioavailability", "pk-mouse-halflife"]


def test_every_target_has_exactly_one_evaluator() -> None:
    ids = [t.id for t in load_targets()]
    assert len(ids) == len(set(ids)) >= 55
    assert set(ids) == set(EVALUATORS), (set(ids) ^ set(EVALUATORS))


def test_targets_copy_is_complete() -> None:
    text = targets_text()
    assert text.count("\n- id: ") == len(load_targets())
    for t in load_targets():
        assert t.layer in LAYERS and t.tolerance and t.source, t.id
        assert t.expected_text()


def test_cli_json_contract(tmp_path, capsys) -> None:
    out = tmp_path / "card.json"
    with pytest.raises(SystemExit) as exc:
        main(["validate", "--only", "pk-hum-ket-cmax-standard,pk-hum-ket-clearance", "--json", str(out)])
    assert exc.value.code == 0
    data = json.loads(out.read_text())
    assert data["hypothesis"] == "default"
    assert isinstance(data["passed"], int) and data["total"] == 2
    assert data["passed"] == sum(t["passed"] for t in data["targets"])
    for t in data["targets"]:
        assert {"id", "expected", "simulated", "passed", "layer", "detail"} <= set(t)
        assert isinstance(t["passed"], bool) and isinstance(t["simulated"], dict)
    stdout = capsys.readouterr().out
    assert "pk-hum-ket-clearance" in stdout
    assert f"scorecard: {data['passed']}/2 targets passed" in stdout


@pytest.mark.parametrize("target_id", PASSING_PK)
def test_pk_evaluators_pass_on_exposure_model(target_id: str) -> None:
    card = run_validation(only=target_id)
    (r,) = card.results
    assert r.id == target_id
    assert r.passed, r.detail


def test_cmax_matches_published_band_numerically() -> None:
    (r,) = run_validation(only="pk-hum-ket-cmax-standard").results
    assert 150 <= r.simulated["plasma_ketamine_40min"] <= 250


def _fake_target(tid: str) -> Target:
    return Target(tid, "targets", "human", {}, "q", "v", "t", "qualitative", "A", "none")


def test_missing_output_fails_cleanly() -> None:
    def needs_missing(ctx: Context, target: Target) -> Outcome:
        sim = ctx.run("human", [Dose("ketamine", "iv", (0.0,), mg_per_kg=0.5)], (0.0, 1.0), layers="exposure")
        sim.out("no_such_output")
        return Outcome({}, True)

    EVALUATORS["zz-missing"] = needs_missing
    try:
        r = evaluate(Context(), _fake_target("zz-missing"))
    finally:
        del EVALUATORS["zz-missing"]
    assert not r.passed and r.detail == "model lacks output no_such_output"


def test_missing_parameter_and_errors_fail_cleanly() -> None:
    def needs_param(ctx: Context, target: Target) -> Outcome:
        ctx.run("human", [], (0.0, 1.0), overrides={"no_such_switch": 1.0}, layers="exposure")
        return Outcome({}, True)

    def broken(ctx: Context, target: Target) -> Outcome:
        raise ZeroDivisionError("boom")

    EVALUATORS["zz-param"], EVALUATORS["zz-broken"] = needs_param, broken
    try:
        a = evaluate(Context(), _fake_target("zz-param"))
        b = evaluate(Context(), _fake_target("zz-broken"))
    finally:
        del EVALUATORS["zz-param"], EVALUATORS["zz-broken"]
    assert not a.passed and a.detail == "model lacks parameter no_such_switch"
    assert not b.passed and b.detail == "evaluator error: ZeroDivisionError: boom"


def test_simulation_failure_is_reported_as_such(monkeypatch) -> None:
    import ketasim.studies.validation.core as core

    def explode(*args: object, **kwargs: object) -> None:
        raise ValueError("array must not contain infs or NaNs")

    def runs(ctx: Context, target: Target) -> Outcome:
        ctx.run("human", [], (0.0, 1.0), layers="exposure")
        return Outcome({}, True)

    monkeypatch.setattr(core, "simulate_reference", explode)
    EVALUATORS["zz-sim"] = runs
    try:
        r = evaluate(Context(), _fake_target("zz-sim"))
    finally:
        del EVALUATORS["zz-sim"]
    assert not r.passed and r.detail.startswith("simulation failed (human, no perturbation): ValueError")


def test_target_without_evaluator_fails() -> None:
    r = evaluate(Context(), _fake_target("zz-none"))
    assert not r.passed and "no evaluator" in r.detail


def test_unknown_hypothesis_exits_2(capsys) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["validate", "--hypothesis", "no-such-variant"])
    assert exc.value.code == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "--hypothesis" in err[0] and "default" in err[0]


def test_only_matching_nothing_exits_2(capsys) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["validate", "--only", "no-such-target"])
    assert exc.value.code == 2
    assert "--only" in capsys.readouterr().err


def test_checks_rules() -> None:
    c = Checks()
    assert c.inside("x", 5.0, 1.0, 10.0) and not c.inside("y", 12.0, 1.0, 10.0)
    assert not c.passed and "y 12.0 outside [1, 10]" in c.detail()
    assert c.distances[-1] == pytest.approx(2.0 / 9.0)
    assert not Checks().passed  # no condition checked is no pass
    assert not Checks().inside("nan", math.nan, 0, 1)


def test_statistics() -> None:
    a, b = np.array([1.0, 2.0, 3.0, 4.0]), np.array([3.0, 4.0, 5.0, 6.0])
    sd = math.sqrt((a.var(ddof=1) + b.var(ddof=1)) / 2)
    assert hedges_g(a, b) == pytest.approx(-2.0 / sd * (1 - 3 / (4 * 8 - 9)))
    sig, dz = paired_significant(np.array([-1.0, -1.2, -0.8, -1.1, -0.9]), 18)
    assert sig and dz < 0
    sig, _ = paired_significant(np.array([-1.0, 1.0, -0.5, 0.6]), 18)
    assert not sig
    assert pearson(np.arange(5.0), 2 * np.arange(5.0)) == pytest.approx(1.0)
    assert km_median(np.array([1.0, 2.0, 3.0, 4.0]), np.array([True, True, True, False])) == 2.0
    assert km_median(np.array([5.0, 5.0]), np.array([False, False])) == math.inf


def test_markdown_lists_failures() -> None:
    card = run_validation(only="pk-hum-ket-cmax-standard")
    card.results[0].passed = False
    card.results[0].detail = "FAILED: something"
    text = markdown(card)
    assert "What this variant gets wrong" in text and "**pk-hum-ket-cmax-standard**" in text
