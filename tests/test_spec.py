"""The trial spec: the contract's example parses; every kind of bad input names its YAML path."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest

from ketasim.model.errors import UserError
from ketasim.runtime.spec import load_spec, parse_spec

CONTRACT_EXAMPLE = """
ketasim: 1                      # contract version (required)
name: Standard infusion vs active placebo
seed: 20130601                  # same spec + same seed => identical summary.json
population:
  size: 72                      # total virtual patients, split across arms by allocation
  species: human                # human | mouse | rat
  diagnosis: trd                # trd | mdd | bipolar | healthy
  baseline:                     # depression severity at entry
    scale: MADRS                # MADRS | HDRS17 | HAMD6 | BDI
    mean: 32
    sd: 5
    min: 22                     # inclusion bounds (optional)
    max: 60
  weight: {mean: "80 kg", sd: "15 kg"}      # optional, defaults documented in the project
  age: {mean: "45 year", sd: "12 year"}     # optional
  female_fraction: 0.5                      # optional
  background:                   # optional treatments every arm receives
    - {drug: ssri, route: oral, dose: "20 mg", every: "1 d", start: "0 d"}
arms:
  - name: ketamine
    allocation: 2               # relative weight; or `size: 47` for an exact count
    regimen:
      - drug: ketamine          # racemic; also esketamine, arketamine, and the project's library
        route: iv               # iv | im | sc | intranasal | oral | sublingual | ip
        dose: "0.5 mg/kg"       # mg/kg doses scale with each patient's weight
        duration: "40 min"      # infusion length; omitted or "0 min" = bolus
        at: ["0 d"]             # explicit dose times ...
  - name: midazolam
    allocation: 1
    regimen:
      - {drug: midazolam, route: iv, dose: "0.045 mg/kg", duration: "40 min", at: ["0 d"]}
endpoints:
  - {name: madrs_change_24h, kind: change, measure: MADRS, at: "24 h"}
  - {name: response_24h, kind: response, measure: MADRS, at: "24 h"}            # >= 50% reduction
  - {name: remission_7d, kind: remission, measure: MADRS, at: "7 d", cutoff: 10} # score <= cutoff
  - {name: cadss_peak, kind: peak, measure: CADSS, window: ["0 h", "4 h"]}
  - {name: sbp_peak_rise, kind: peak_change, measure: SBP, window: ["0 h", "4 h"]}
  - {name: relapse_28d, kind: relapse, measure: MADRS, from: "14 d", at: "42 d"}
compare:
  - [ketamine, midazolam]       # each pair gets a difference, its 95% CI and a p-value
"""


def base() -> dict:
    return {
        "ketasim": 1,
        "name": "t",
        "seed": 1,
        "population": {"size": 10, "species": "human", "diagnosis": "trd",
                       "baseline": {"scale": "MADRS", "mean": 32, "sd": 5, "min": 22, "max": 60}},
        "arms": [
            {"name": "a", "allocation": 1,
             "regimen": [{"drug": "ketamine", "route": "iv", "dose": "0.5 mg/kg", "duration": "40 min",
                          "at": ["0 d"]}]},
            {"name": "b", "allocation": 1,
             "regimen": [{"drug": "midazolam", "route": "iv", "dose": "0.045 mg/kg", "duration": "40 min",
                          "at": ["0 d"]}]},
        ],
        "endpoints": [
            {"name": "chg", "kind": "change", "measure": "MADRS", "at": "24 h"},
            {"name": "resp", "kind": "response", "measure": "MADRS", "at": "24 h"},
            {"name": "rem", "kind": "remission", "measure": "MADRS", "at": "7 d", "cutoff": 10},
        ],
        "compare": [["a", "b"]],
    }


VEHICLE = {"drug": "placebo", "route": "intranasal", "sprays": 3, "spray_interval": "5 min", "at": ["0 d"]}
RELAPSE = {"name": "rl", "kind": "relapse", "measure": "MADRS", "from": "1 d", "at": "7 d",
           "rule": {"score_at_least": 22, "consecutive": 2, "every": "1 d"}}


def error_of(spec: dict) -> UserError:
    with pytest.raises(UserError) as info:
        parse_spec(spec)
    assert "\n" not in str(info.value)
    return info.value


def test_contract_example_parses(tmp_path: Path) -> None:
    path = tmp_path / "spec.yaml"
    path.write_text(CONTRACT_EXAMPLE)
    spec = load_spec(path)
    assert [a.size for a in spec.arms] == [48, 24]
    ket = spec.arms[0].doses[0]
    assert ket.mg_per_kg == 0.5 and ket.amount_mg is None
    assert ket.duration_h == pytest.approx(40 / 60) and ket.times_h == (0.0,)
    ssri = spec.arms[1].doses[-1]  # background appended to every arm
    assert ssri.drug == "ssri" and ssri.amount_mg == 20.0
    assert ssri.times_h == tuple(24.0 * k for k in range(43))  # daily until the last endpoint (42 d)
    assert spec.end_h == 42 * 24
    relapse = spec.endpoints[-1]
    assert (relapse.from_h, relapse.at_h, relapse.threshold) == (14 * 24, 42 * 24, 0.5)
    assert spec.endpoints[3].window_h == (0.0, 4.0)
    assert spec.comparisons == (("ketamine", "midazolam"),)
    assert spec.population.weight.mean == 80 and spec.population.age.sd == pytest.approx(12)
    assert spec.drugs_routes == {("ketamine", "iv"), ("midazolam", "iv"), ("ssri", "oral")}


def test_regimen_conversions() -> None:
    spec = base()
    spec["arms"][0]["regimen"] = [
        {"drug": "esketamine", "route": "intranasal", "dose": "28 mg", "sprays": 3, "spray_interval": "5 min",
         "start": "0 d", "every": "3.5 d", "count": 2},
        {"drug": "ketamine", "route": "iv", "dose": "10 mg", "at": "1 h", "salt": "base"},
    ]
    s = parse_spec(spec)
    nasal, bolus = s.arms[0].doses
    assert nasal.sprays == 3 and nasal.spray_interval_h == pytest.approx(5 / 60)
    assert nasal.times_h == (0.0, 84.0) and nasal.amount_mg == 28.0
    assert bolus.duration_h == 0.0 and bolus.times_h == (1.0,) and bolus.salt == "base"


def test_allocation_largest_remainder_and_sizes() -> None:
    spec = base()
    spec["population"]["size"] = 10
    spec["arms"].append({"name": "c", "allocation": 1, "regimen": []})
    assert [a.size for a in parse_spec(spec).arms] == [4, 3, 3]
    spec = base()
    spec["arms"][0] = {**spec["arms"][0], "size": 7}
    del spec["arms"][0]["allocation"]
    assert [a.size for a in parse_spec(spec).arms] == [7, 3]


@pytest.mark.parametrize(
    ("mutate", "path", "words"),
    [
        (lambda s: s["arms"][1]["regimen"][0].update(dosee="1 mg"), "arms[1].regimen[0].dosee", "unknown field"),
        (lambda s: s.update(colour="red"), "colour", "unknown field"),
        (lambda s: s["population"]["baseline"].update(scael="MADRS"), "population.baseline.scael", "unknown field"),
        (lambda s: s["endpoints"][0].update(when="24 h"), "endpoints[0].when", "unknown field"),
        (lambda s: s["arms"][1]["regimen"][0].update(dose="0.5 mg/h"), "arms[1].regimen[0].dose", "not a dose"),
        (lambda s: s["arms"][0]["regimen"][0].update(dose=0.5), "arms[0].regimen[0].dose", "unit is required"),
        (lambda s: s["arms"][0]["regimen"][0].update(duration="40 mg"), "arms[0].regimen[0].duration",
         "wrong dimension"),
        (lambda s: s["endpoints"][0].update(at="24 kg"), "endpoints[0].at", "wrong dimension"),
        (lambda s: s["arms"][0]["regimen"][0].update(dose="-1 mg"), "arms[0].regimen[0].dose", "positive"),
        (lambda s: s["arms"][0]["regimen"][0].update(dose="0 mg/kg"), "arms[0].regimen[0].dose", "positive"),
        (lambda s: s["arms"][1].update(allocation=-1), "arms[1].allocation", "positive"),
        (lambda s: s["population"].update(weight={"mean": "0 kg", "sd": "10 kg"}), "population.weight.mean",
         "positive"),
        (lambda s: s["population"].update(weight={"mean": "80 mg/kg", "sd": "10 kg"}), "population.weight.mean",
         "wrong dimension"),
        (lambda s: s["arms"][0]["regimen"][0].update(route="oral"), "arms[0].regimen[0].duration", "infusion"),
        (lambda s: s["arms"][0]["regimen"][0].update(drug="ketamene"), "arms[0].regimen[0].drug", "unknown drug"),
        (lambda s: s["arms"][0]["regimen"][0].update(route="rectal"), "arms[0].regimen[0].route", "not available"),
        (lambda s: s.update(duration="1 d"), "endpoints[2].at", "after the trial ends"),
        (lambda s: s["arms"][0]["regimen"][0].update(at=["30 d"]), "arms[0].regimen[0].at", "after the trial"),
        (lambda s: s.update(compare=[["a", "placebo"]]), "compare[0][1]", "no arm is named 'placebo'"),
        (lambda s: s["endpoints"][2].pop("cutoff"), "endpoints[2].cutoff", "needs `cutoff`"),
        (lambda s: s["endpoints"][0].pop("at"), "endpoints[0].at", "needs `at`"),
        (lambda s: s["endpoints"].append({"name": "pk", "kind": "peak", "measure": "CADSS"}),
         "endpoints[3].window", "needs `window`"),
        (lambda s: s["endpoints"].append({"name": "rl", "kind": "relapse", "measure": "MADRS", "at": "7 d"}),
         "endpoints[3].from", "needs `from`"),
        (lambda s: s["endpoints"].append({"name": "ttr", "kind": "time_to_relapse", "measure": "MADRS"}),
         "endpoints[3].from", "needs `from`"),
        (lambda s: s["endpoints"][0].update(cutoff=10), "endpoints[0].cutoff", "not used by endpoint kind change"),
        (lambda s: s["endpoints"][0].update(kind="mean"), "endpoints[0].kind", "unknown endpoint kind"),
        (lambda s: s["endpoints"][0].update(measure="HAMA"), "endpoints[0].measure", "unknown measure"),
        (lambda s: s["endpoints"][1].update(measure="plasma_ketamine"), "endpoints[1].measure",
         "needs a depression scale"),
        (lambda s: s.pop("ketasim"), "ketasim", "required field is missing"),
        (lambda s: s.update(ketasim=2), "ketasim", "version"),
        (lambda s: s["arms"][1].update(name="a"), "arms[1].name", "used twice"),
        (lambda s: s["population"].update(species="dog"), "population.species", "unknown species"),
        (lambda s: s["population"]["baseline"].update(scale="HAMA"), "population.baseline.scale", "unknown scale"),
        (lambda s: s["arms"][0]["regimen"][0].update(salt="sulfate"), "arms[0].regimen[0].salt", "unknown salt"),
        (lambda s: s["arms"][0]["regimen"][0].update(sprays=3), "arms[0].regimen[0].sprays", "intranasal"),
        (lambda s: s["arms"][0]["regimen"][0].update(every="1 d"), "arms[0].regimen[0].every", "not both"),
        (lambda s: s["arms"][0]["regimen"][0].pop("at"), "arms[0].regimen[0]", "no dose time"),
        (lambda s: s["arms"][0]["regimen"][0].update(count="three"), "arms[0].regimen[0].count", "integer"),
        (lambda s: s["arms"][0]["regimen"][0].update(at=["-1 h"]), "arms[0].regimen[0].at[0]", "negative"),
        (lambda s: s.update(hypothesis="no_such_idea"), "hypothesis", "unknown hypothesis"),
        (lambda s: s["population"].update(female_fraction=1.5), "population.female_fraction", "fraction"),
        (lambda s: s.update(arms="none"), "arms", "valid list"),
        (lambda s: s["arms"][1].update(regimen=[{**VEHICLE, "dose": "0 mg"}]), "arms[1].regimen[0].dose",
         "vehicle without drug"),
        (lambda s: s["arms"][1].update(regimen=[{**VEHICLE, "route": "rectal"}]), "arms[1].regimen[0].route",
         "not available for a placebo"),
        (lambda s: s["arms"][1].update(regimen=[{**VEHICLE, "salt": "hydrochloride"}]), "arms[1].regimen[0].salt",
         "no salt"),
        (lambda s: s["arms"][1].update(regimen=[{**VEHICLE, "at": ["9 d"]}]), "arms[1].regimen[0].at",
         "after the trial ends"),
        (lambda s: s["arms"][0]["regimen"][0].pop("dose"), "arms[0].regimen[0].dose", "drug: placebo"),
        (lambda s: s["endpoints"].append({**RELAPSE, "rule": {"score_at_least": 70, "every": "1 d"}}),
         "endpoints[3].rule.score_at_least", "outside the MADRS range"),
        (lambda s: s["endpoints"].append({**RELAPSE, "rule": {"score_at_least": 22, "consecutive": 0}}),
         "endpoints[3].rule.consecutive", "at least 1"),
        (lambda s: s["endpoints"].append({**RELAPSE, "rule": {"score_at_least": 22, "every": "0 d"}}),
         "endpoints[3].rule.every", "positive time"),
        (lambda s: s["endpoints"].append({**RELAPSE, "rule": {"score_at_least": 22, "every": "1 kg"}}),
         "endpoints[3].rule.every", "wrong dimension"),
        (lambda s: s["endpoints"].append({**RELAPSE, "rule": {"score_at_least": 22, "visits": 2}}),
         "endpoints[3].rule.visits", "unknown field"),
        (lambda s: s["endpoints"].append({**RELAPSE, "consecutive": 2}), "endpoints[3].consecutive",
         "either `rule` or `consecutive`"),
        (lambda s: s["endpoints"].append({**RELAPSE, "rule": {"consecutive": 2}}),
         "endpoints[3].rule.score_at_least", "required field is missing"),
        (lambda s: s["endpoints"][0].update(rule={"score_at_least": 22}), "endpoints[0].rule",
         "not used by endpoint kind change"),
        (lambda s: s["endpoints"][1].update(published={"a": 0.6}), "endpoints[1].published.source", "source"),
        (lambda s: s["endpoints"][1].update(published={"c": 0.6, "source": "X 2013"}), "endpoints[1].published.c",
         "no arm is named 'c'"),
        (lambda s: s["endpoints"][1].update(published={"a": "64%", "source": "X 2013"}), "endpoints[1].published.a",
         "a number"),
        (lambda s: s["endpoints"][1].update(published={"a - c": 0.3, "source": "X 2013"}),
         "endpoints[1].published.a - c", "two arms"),
        (lambda s: s["endpoints"][1].update(published={"source": "X 2013"}), "endpoints[1].published",
         "at least one published value"),
        (lambda s: s["endpoints"][1].update(published=0.64), "endpoints[1].published", "expected a mapping"),
    ],
)
def test_bad_spec_names_the_path(mutate, path: str, words: str) -> None:
    spec = copy.deepcopy(base())
    mutate(spec)
    err = error_of(spec)
    assert err.field == path, str(err)
    assert words in err.message, str(err)


def test_yaml_syntax_error_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text("ketasim: 1\nname: x\narms:\n  - name: a\n   regimen: [\n")
    with pytest.raises(UserError) as info:
        load_spec(path)
    assert "bad.yaml line" in info.value.field and "YAML syntax error" in info.value.message
    assert "\n" not in str(info.value)


def test_missing_file_is_a_user_error(tmp_path: Path) -> None:
    with pytest.raises(UserError):
        load_spec(tmp_path / "nope.yaml")


def test_published_values_per_arm_and_per_comparison() -> None:
    spec = base()
    spec["endpoints"][1]["published"] = {"a": 0.64, "b": 0.28, "b - a": -0.36, "source": "Murrough 2013",
                                         "note": "30/47 vs 7/25"}
    pub = parse_spec(spec).endpoints[1].published
    assert pub is not None and pub.source == "Murrough 2013" and pub.note == "30/47 vs 7/25"
    assert pub.arm("a") == 0.64 and pub.arm("b") == 0.28 and pub.arm("c") is None
    assert pub.comparison("b", "a") == -0.36 and pub.comparison("a", "b") == 0.36  # sign follows the order
    assert parse_spec(base()).endpoints[1].published is None


def test_placebo_vehicle_has_route_and_schedule_but_no_drug() -> None:
    spec = base()
    spec["arms"][1]["regimen"] = [{**VEHICLE, "at": ["0 d", "3 d"]}]
    vehicle = parse_spec(spec).arms[1].doses[0]
    assert vehicle.is_placebo and vehicle.route == "intranasal" and vehicle.sprays == 3
    assert vehicle.times_h == (0.0, 72.0) and vehicle.amount_mg is None and vehicle.mg_per_kg is None
    assert parse_spec(spec).drugs_routes == frozenset({("ketamine", "iv")})  # the vehicle builds nothing
    from ketasim.runtime.regimen import dose_events

    # no drug event: only the clinical contact of the visit after time zero (layers/symptoms/care.py)
    assert [(e.time_h, e.targets) for e in dose_events(vehicle, 70.0)] == [(72.0, (("contact", "1"),))]
    spec["arms"][1]["regimen"] = [{"drug": "placebo", "route": "iv", "duration": "40 min", "at": ["0 d"]}]
    assert parse_spec(spec).arms[1].doses[0].duration_h == pytest.approx(40 / 60)  # a saline infusion


def test_relapse_rule_and_duration() -> None:
    spec = base()
    spec["duration"] = "2 week"
    spec["endpoints"].append({**RELAPSE, "at": "14 d", "rule": {"score_at_least": 22, "consecutive": 2,
                                                                "every": "1 week"}})
    parsed = parse_spec(spec)
    e = parsed.endpoints[3]
    assert (e.relapse_score, e.consecutive, e.visit_interval_h) == (22.0, 2, 168.0)
    assert parsed.end_h == 336.0
    assert parse_spec(base()).endpoints[0].relapse_score is None
    spec["endpoints"][3]["rule"] = {"score_at_least": 22}  # defaults: one visit, daily visits
    e = parse_spec(spec).endpoints[3]
    assert (e.consecutive, e.visit_interval_h) == (1, 24.0)


def test_prior_failures_default_by_diagnosis_and_checked() -> None:
    """population.prior_failures (Additions): a whole number or {mean, sd, min, max}; default by diagnosis."""
    spec = base()
    spec["population"]["diagnosis"] = "trd"
    pf = parse_spec(spec).population.prior_failures
    assert (pf.mean, pf.low) == (2.5, 2.0)  # TRD: 2 or more failed adequate trials
    spec["population"]["diagnosis"] = "mdd"
    assert parse_spec(spec).population.prior_failures.high == 0.0
    spec["population"]["prior_failures"] = 3
    assert parse_spec(spec).population.prior_failures.mean == 3.0
    spec["population"]["prior_failures"] = {"mean": 2.5, "sd": 1, "min": 2, "max": 8}
    assert parse_spec(spec).population.prior_failures.sd == 1.0
    for bad, where in ((2.5, "prior_failures"), (-1, "prior_failures"), (float("nan"), "prior_failures"),
                       ({"mean": 9, "max": 3}, "prior_failures.mean"), ({"sd": 1}, "prior_failures.mean"),
                       ({"mean": 2, "k": 1}, "prior_failures.k")):
        spec["population"]["prior_failures"] = bad
        with pytest.raises(UserError) as exc:
            parse_spec(spec)
        assert exc.value.field == f"population.{where}", bad
