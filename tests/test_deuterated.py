"""Deuterated ketamine (docs/compounds.md, "Variants of the ketamine family"): ketamine-like ketamine and
norketamine exposure, HNK lower by the file's factor (mouse and human), mass balance, and the prediction that
tells the hypotheses apart: the same effect as ketamine by default, a smaller and later one under hnk_ampa."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import yaml

from ketasim.apps.cli.main import main
from ketasim.model.compounds import get_drug
from ketasim.model.compounds.files import load_compound, parse_compound
from ketasim.model.errors import UserError
from ketasim.runtime.build import build_model
from ketasim.runtime.engines.reference import simulate_reference
from ketasim.runtime.regimen import Dose, dose_events
from mech_helpers import WEIGHT, run

ROOT = Path(__file__).resolve().parents[1]
FILE = ROOT / "src/ketasim/data/compounds/deuterated_ketamine.yaml"
#: the documented factor on norketamine 6-hydroxylation
FACTOR = load_compound(FILE).metabolism["norketamine_to_hnk"].value
#: equal mg of the hydrochlorides hold this many moles of d2-ketamine per mole of ketamine
MOLES = (get_drug("deuterated_ketamine").base_fraction("iv") / get_drug("deuterated_ketamine").base_molar_mass) \
    / (get_drug("ketamine").base_fraction("iv") / get_drug("ketamine").base_molar_mass)
#: species, route, dose: the Zanos 2016 mouse dose (10 mg/kg i.p.) and the clinical infusion
CASES = {"mouse": ("ip", (("mg_per_kg", 10.0),)), "human": ("iv", (("mg_per_kg", 0.5), ("duration_h", 40 / 60)))}


def _auc(r: object, name: str) -> float:
    return float(np.trapezoid(r.o[name], r.t))  # type: ignore[attr-defined]


def _pair(species: str, hypothesis: str = "default", overrides: tuple = ()) -> tuple:
    route, kw = CASES[species]
    ket = run(species, (("ketamine", route, (0.0,), kw),), days=7, hypothesis=hypothesis)
    d2 = run(species, (("deuterated_ketamine", route, (0.0,), kw),), days=7, hypothesis=hypothesis,
             overrides=overrides)
    return ket, d2


def test_the_file_is_a_variant_listed_and_explained(capsys: pytest.CaptureFixture[str]) -> None:
    assert FACTOR == pytest.approx(0.2) and 0.99 < MOLES < 1.0  # 2 H -> D: 0.7% fewer moles per mg
    with pytest.raises(SystemExit) as exc:
        main(["compounds", "list"])
    line = next(x for x in capsys.readouterr().out.splitlines() if x.startswith("deuterated_ketamine "))
    assert exc.value.code == 0 and "variant" in line and "norketamine_to_hnk x0.2" in line
    with pytest.raises(SystemExit) as exc:
        main(["compounds", "check", str(FILE)])
    out = capsys.readouterr().out
    assert exc.value.code == 0 and "variant of ketamine" in out and "6-hydroxylation of norketamine" in out


@pytest.mark.parametrize("species", ["mouse", "human"])
def test_ketamine_like_exposure_with_less_hnk(species: str) -> None:
    ket, d2 = _pair(species)
    for name in ("plasma_ketamine", "brain_ketamine", "plasma_norketamine", "brain_norketamine", "plasma_dhnk"):
        assert _auc(d2, name) / _auc(ket, name) == pytest.approx(MOLES, rel=1e-3), name
    for name in ("plasma_hnk", "plasma_2r6r_hnk", "brain_hnk"):
        assert _auc(d2, name) / _auc(ket, name) == pytest.approx(FACTOR * MOLES, rel=1e-2), name
        assert d2.peak(name)[0] / ket.peak(name)[0] == pytest.approx(FACTOR * MOLES, rel=2e-2), name
    # the NMDAR block is ketamine's
    assert d2.peak("nmdar_block_int")[0] == pytest.approx(ket.peak("nmdar_block_int")[0], rel=1e-2)


@pytest.mark.parametrize("species, route", [("human", "oral"), ("human", "intranasal"), ("mouse", "ip")])
def test_mass_balance_and_non_negativity(species: str, route: str) -> None:
    doses = (Dose("deuterated_ketamine", route, (0.0,), amount_mg=25.0 if species == "human" else 0.25),
             Dose("ketamine", "iv", (2.0,), amount_mg=10.0 if species == "human" else 0.1))
    model = build_model(species, frozenset((d.drug, d.route) for d in doses), layers="exposure")
    events = [e for d in doses for e in dose_events(d, WEIGHT[species])]
    times = np.linspace(0, 24, 97)
    tr = simulate_reference(model, events, model.default_parameters, times)
    body = sum(tr.state(model, s.name) for s in model.states if s.amount)
    after = times >= 2.0
    assert np.abs(body[after] - tr.dosed_umol).max() / tr.dosed_umol < 1e-9
    assert tr.states.min() > -1e-9 * max(1.0, float(np.abs(tr.states).max()))
    assert tr.state(model, "K_S_Kd_c").max() > 0 and tr.state(model, "K_S_c").max() > 0  # two chains, one model


def test_effect_tells_the_hypotheses_apart() -> None:
    """Default (disinhibition): the same effect as ketamine. hnk_ampa: less HNK, a smaller and later effect."""
    ket, d2 = _pair("mouse")
    for t in (6.0, 24.0, 72.0):
        assert d2.at("antidepressant_effect", t) == pytest.approx(ket.at("antidepressant_effect", t), rel=1e-2)
    ket, d2 = _pair("mouse", "hnk_ampa")
    assert d2.peak("hnk_ampa_potentiation")[0] < 0.25 * ket.peak("hnk_ampa_potentiation")[0]
    assert d2.at("antidepressant_effect", 6.0) < 0.5 * ket.at("antidepressant_effect", 6.0)
    for t in (24.0, 72.0, 120.0):
        assert d2.at("antidepressant_effect", t) < 0.9 * ket.at("antidepressant_effect", t)
    # no HNK at all: no effect under hnk_ampa (downstream saturation is why a 5-fold cut keeps most of it)
    _, none = _pair("mouse", "hnk_ampa", (("x_HNK_Kd", 0.0),))
    assert none.at("antidepressant_effect", 24.0) < 0.05 * ket.at("antidepressant_effect", 24.0)


def test_trial_with_ketamine_and_deuterated_arms(tmp_path: Path) -> None:
    arm = {"route": "iv", "dose": "0.5 mg/kg", "duration": "40 min", "at": ["0 h"]}
    spec = {
        "ketasim": 1, "name": "deuterated vs racemic", "seed": 5, "duration": "30 h",
        "population": {"size": 4, "species": "human", "diagnosis": "trd"},
        "arms": [{"name": "ketamine", "regimen": [{"drug": "ketamine", **arm}]},
                 {"name": "d2", "regimen": [{"drug": "deuterated_ketamine", **arm}]}],
        "endpoints": [{"name": "madrs_24h", "kind": "change", "measure": "MADRS", "at": "24 h"},
                      {"name": "hnk_4h", "kind": "value", "measure": "plasma_hnk", "at": "4 h"}],
        "compare": [["d2", "ketamine"]],
    }
    path = tmp_path / "spec.yaml"
    path.write_text(yaml.safe_dump(spec))
    with pytest.raises(SystemExit) as exc:
        main(["trial", str(path), "--out", str(tmp_path / "out"), "--quiet"])
    assert exc.value.code == 0
    arms = json.loads((tmp_path / "out" / "summary.json").read_text())["arms"]
    hnk = {a: arms[a]["endpoints"]["hnk_4h"]["value"] for a in ("ketamine", "d2")}
    assert hnk["d2"] < 0.6 * hnk["ketamine"]  # 2 patients per arm, each its own NK and HNK clearance
    assert all(np.isfinite(arms[a]["endpoints"]["madrs_24h"]["value"]) for a in arms)


def test_a_user_variant_and_bad_variants() -> None:
    from ketasim.runtime.user_compounds import register_compound, unregister_compound

    text = FILE.read_text()
    c = parse_compound(text.replace("name: deuterated_ketamine", "name: slowdhnk").replace("code: Kd", "code: Ksd")
                       .replace("norketamine_to_hnk:", "norketamine_to_dhnk:"), "slowdhnk.yaml")
    try:
        assert register_compound(c) == "slowdhnk"
        model = build_model("human", frozenset({("slowdhnk", "iv"), ("ketamine", "iv")}), layers="exposure")
        assert model.param("x_DHNK_Ksd").value == pytest.approx(0.2)
    finally:
        unregister_compound("slowdhnk")
    with pytest.raises(UserError, match="unknown drug"):
        get_drug("slowdhnk")
    doc = yaml.safe_load(text)
    for edit, message in [({"metabolism": {"ketamine_to_hnk": doc["metabolism"]["norketamine_to_hnk"]}},
                           "unknown metabolic step"),
                          ({"pk": yaml.safe_load((ROOT / "docs/examples/lowtrap.yaml").read_text())["pk"]},
                           "takes its pk"),
                          ({"variant_of": None}, "add variant_of: ketamine")]:
        with pytest.raises(UserError, match=message):
            parse_compound(yaml.safe_dump({**doc, **edit}), "bad.yaml")


def test_the_api_lists_and_simulates_it(tmp_path: Path) -> None:
    from fastapi.testclient import TestClient

    from ketasim.apps.api import create_app

    item = {"route": "iv", "dose": "0.5 mg/kg", "duration": "40 min", "at": ["0 h"]}
    with TestClient(create_app(jobs_dir=tmp_path), base_url="http://127.0.0.1") as client:
        drugs = client.get("/api/v1/drugs").json()
        assert "deuterated_ketamine" in json.dumps(drugs)
        out = {}
        for drug in ("ketamine", "deuterated_ketamine"):
            r = client.post("/api/v1/simulate", json={"regimen": [{"drug": drug, **item}], "days": 1,
                                                      "layers": "exposure", "outputs": ["plasma_hnk"]})
            assert r.status_code == 200, r.text
            out[drug] = max(v for v in r.json()["series"]["plasma_hnk"] if v is not None)
    assert out["deuterated_ketamine"] / out["ketamine"] == pytest.approx(FACTOR * MOLES, rel=2e-2)
