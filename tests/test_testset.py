"""Training and test targets: the YAML schema, the likelihood-style distance, the validate JSON with
training/test counts, and mutation tests showing that test evaluators can fail through mechanism."""

from __future__ import annotations

import json
import math

import pytest
import yaml

from ketasim.apps.cli.main import main
from ketasim.studies.validation import EVALUATORS, load_targets
from ketasim.studies.validation import evaluators as _registered  # noqa: F401
from ketasim.studies.validation.core import Context
from ketasim.studies.validation.distance import standard_error, zscores
from ketasim.studies.validation.scorecard import Scorecard, TargetResult, evaluate, format_table
from ketasim.studies.validation.targets import USES, target_by_id, targets_text

#: targets whose evaluator can only echo an input parameter (issue 12)
INPUT_ECHOES = {"tgt-s-r-potency", "tgt-affinity-ordering", "tgt-trapping-ordering", "tgt-mg-subunit-shift"}


def raw_targets() -> list[dict]:
    return yaml.safe_load(targets_text())["targets"]


# ------------------------------------------------------------------------------------------ schema
def test_every_target_states_its_use() -> None:
    for raw in raw_targets():
        assert raw.get("use") in USES, raw["id"]


def test_input_echoes_are_input_and_everything_else_that_existed_is_training() -> None:
    for t in load_targets():
        if t.id in INPUT_ECHOES:
            assert t.use == "input" and t.extra.get("input_reason"), t.id
        elif not t.id.startswith("test-"):
            assert t.use == "training", t.id
        else:
            assert t.use == "test", t.id


def test_test_set_size_and_provenance() -> None:
    tests = [t for t in load_targets() if t.use == "test"]
    assert len(tests) >= 25
    assert sum(t.layer == "clinical" for t in tests) >= 10
    for t in tests:
        assert t.source and t.value not in (None, ""), t.id
        assert any(ch.isdigit() for ch in t.source), f"{t.id}: source must give year and volume:page"
        assert t.id in EVALUATORS, t.id


def test_uncertainties_give_a_standard_error() -> None:
    for t in load_targets():
        if not t.uncertainty:
            continue
        specs = [("value", t.uncertainty, t.value)] if not isinstance(t.value, dict) else [
            (k, spec, t.value[k]) for k, spec in t.uncertainty.items()]
        for key, spec, value in specs:
            se, _ = standard_error(spec, float(value))
            assert se is not None and se > 0, (t.id, key)


# ---------------------------------------------------------------------------------------- distance
def test_standard_error_forms() -> None:
    assert standard_error({"se": 1.5}, 3.0) == (1.5, False)
    assert standard_error({"ci95": [3.9, 11.3]}, 7.6)[0] == pytest.approx(7.4 / 3.919928)
    assert standard_error({"sd": 12.0, "n": 9}, 1.0)[0] == pytest.approx(4.0)
    assert standard_error({"n": 100}, 0.5)[0] == pytest.approx(0.05)
    se, log = standard_error({"gsd": math.e, "n": 4}, 10.0)
    assert log and se == pytest.approx(0.5)
    assert standard_error({}, 1.0) == (None, False)


def test_zscores_match_published_keys() -> None:
    t = target_by_id("test-clin-lapidus-intranasal")
    z = zscores(t, {"difference": -7.6 + 2 * 1.8878, "response_ketamine": 0.44})
    assert z["difference"] == pytest.approx(2.0, rel=1e-3)
    assert z["response_ketamine"] == pytest.approx(0.0)
    scalar = target_by_id("test-clin-leal-arketamine")
    assert zscores(scalar, {"value": -20.3}) == {"value": 0.0}
    assert zscores(scalar, {}) == {}


def test_input_targets_leave_the_score() -> None:
    rows = [TargetResult("a", "pk", "", {}, True, "", "", 0.0, use="training"),
            TargetResult("b", "targets", "", {}, True, "", "", 0.0, use="input"),
            TargetResult("c", "clinical", "", {}, False, "not simulable: x", "", 0.0, use="test")]
    card = Scorecard("default", rows, 10, 1)
    assert (card.passed, card.total) == (1, 2)
    assert card.count("training") == {"passed": 1, "total": 1}
    assert card.count("test") == {"passed": 0, "total": 1}
    data = card.to_json()
    assert data["training"] == {"passed": 1, "total": 1} and data["test"] == {"passed": 0, "total": 1}
    assert [r["use"] for r in data["targets"]] == ["training", "input", "test"]
    text = format_table(card)
    assert "echo" in text and "test targets: 0/1 passed" in text


# ------------------------------------------------------------------------------------ JSON contract
def test_validate_json_reports_training_and_test(tmp_path, capsys) -> None:
    out = tmp_path / "card.json"
    with pytest.raises(SystemExit) as exc:
        main(["validate", "--only",
              "pk-hum-ket-cmax-standard,tgt-s-r-potency,test-pk-oral-25mg,test-clin-nitrous-oxide",
              "--json", str(out)])
    assert exc.value.code == 0
    data = json.loads(out.read_text())
    assert {"training", "test", "targets", "passed", "total", "hypothesis"} <= set(data)
    assert data["training"]["total"] == 1 and data["test"]["total"] == 2 and data["input"]["total"] == 1
    assert data["total"] == 3  # the input echo is reported but not scored
    by_id = {t["id"]: t for t in data["targets"]}
    assert {t["use"] for t in data["targets"]} == {"training", "test", "input"}
    for t in data["targets"]:
        assert {"id", "use", "passed", "distance", "z", "nll"} <= set(t)
    n2o = by_id["test-clin-nitrous-oxide"]  # a drug given by mechanism, on the inhaled route
    assert not n2o["detail"].startswith("not simulable") and isinstance(n2o["z"], dict) and n2o["z"]
    assert isinstance(by_id["test-pk-oral-25mg"]["z"], dict) and by_id["test-pk-oral-25mg"]["z"]
    stdout = capsys.readouterr().out
    assert "test targets:" in stdout and "training" in stdout.splitlines()[-1]


def test_validate_use_selects_targets(tmp_path) -> None:
    out = tmp_path / "card.json"
    with pytest.raises(SystemExit) as exc:
        main(["validate", "--use", "test", "--only", "test-clin-nitrous-oxide,pk-hum-ket-cmax-standard",
              "--json", str(out)])
    assert exc.value.code == 0
    data = json.loads(out.read_text())
    assert [t["id"] for t in data["targets"]] == ["test-clin-nitrous-oxide"]
    assert data["training"] == {"passed": 0, "total": 0}
    with pytest.raises(SystemExit) as exc:
        main(["validate", "--use", "training", "--only", "test-clin-nitrous-oxide"])
    assert exc.value.code == 2


def test_fit_never_uses_test_targets() -> None:
    from ketasim.model.errors import UserError
    from ketasim.studies.fit.targets import score

    with pytest.raises(UserError):
        score({}, "test-pk-oral-25mg")


# ---------------------------------------------------------------------------------- mutation tests
def MutantContext(values: dict[str, float], **kw: object) -> Context:  # noqa: N802
    """A validate context whose models carry documented wrong parameter values (published units)."""
    return Context(params=values, **kw)  # type: ignore[arg-type]


def _run(target_id: str, ctx: Context):  # type: ignore[no-untyped-def]
    return evaluate(ctx, target_by_id(target_id))


def test_mutation_esketamine_without_channel_affinity_fails_daly() -> None:
    """Daly 2018 passes with the published S-ketamine channel-site Ki (0.30 uM, Ebert 1997); with
    Ki_K_S = 30 uM (100-fold weaker: the kappa-opioid affinity, documented in parameters.md 8.4)
    esketamine no longer blocks NMDA receptors at nasal exposures and the trial's effect is lost."""
    ok = _run("test-clin-daly-esketamine-24h", Context(n_patients=40))
    assert ok.passed, ok.detail
    bad = _run("test-clin-daly-esketamine-24h", MutantContext({"Ki_K_S": 30.0}, n_patients=40))
    assert not bad.passed
    assert bad.simulated["difference_84mg"] > ok.simulated["difference_84mg"] + 3  # smaller MADRS benefit


def test_mutation_weak_enantiomers_break_the_fava_dose_pattern() -> None:
    """The dose pattern of Fava 2020 (0.5 and 1.0 mg/kg superior) is lost when both enantiomers'
    channel-site Ki are 100-fold too weak (30 and 140 uM instead of 0.30 and 1.4 uM, Ebert 1997)."""
    ok = _run("test-clin-fava-dose-pattern", Context(n_patients=40))
    assert ok.passed, ok.detail
    bad = _run("test-clin-fava-dose-pattern", MutantContext({"Ki_K_S": 30.0, "Ki_K_R": 140.0}, n_patients=40))
    assert not bad.passed


def test_mutation_weak_enantiomers_remove_the_suicidal_ideation_effect() -> None:
    """Grunebaum 2018 (ketamine vs midazolam, suicidal ideation at day 1) passes with the published
    channel-site Ki; 100-fold weaker Ki (30 and 140 uM) leave midazolam-like changes and it fails."""
    ok = _run("test-clin-grunebaum-suicidal-ideation", Context(n_patients=40))
    assert ok.passed, ok.detail
    bad = _run("test-clin-grunebaum-suicidal-ideation",
               MutantContext({"Ki_K_S": 30.0, "Ki_K_R": 140.0}, n_patients=40))
    assert not bad.passed and bad.simulated["value"] < ok.simulated["value"]
