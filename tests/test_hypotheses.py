"""Hypotheses: every variant builds and runs; switches are model parameters; CLI lists them."""

import pytest
from click.testing import CliRunner

from ketasim.apps.cli.hypotheses import command
from ketasim.model.errors import UserError
from ketasim.model.hypotheses import Switch
from ketasim.runtime.build import build_model, get_hypothesis, hypotheses
from mech_helpers import STANDARD, ip, run

NAMES = ("default", "disinhibition", "extrasynaptic_glun2b", "resting_eef2", "hnk_ampa", "lhb", "opioid",
         "trkb_direct", "gsk3", "homeostatic", "spine_lifetime", "sleep_swa", "encore_d", "psychological",
         "ei_setpoint", "inflammation",
         "combined")


def test_all_named_variants_exist_with_valid_switches() -> None:
    HYPOTHESES = hypotheses()  # noqa: N806
    assert set(NAMES) <= set(HYPOTHESES)
    model = build_model("human")
    switches = {p.name for p in model.params if isinstance(p, Switch)}
    assert switches == {p.name for p in model.params if p.name.startswith("hyp_")}
    for h in HYPOTHESES.values():
        assert h.description and "\n" not in h.description
        assert set(h.switches) == switches
        assert all(0.0 <= v <= 1.0 for v in h.switches.values())
        assert all(s in model.param_index for s in h.switches)
    assert HYPOTHESES["default"].switches == HYPOTHESES["disinhibition"].switches
    distinct = {tuple(sorted(h.switches.items())) for n, h in HYPOTHESES.items() if n != "default"}
    assert len(distinct) == len(HYPOTHESES) - 1


def test_build_applies_switch_values() -> None:
    m = build_model("human", hypothesis="resting_eef2")
    assert m.param("hyp_rest").value == 1.0 and m.param("hyp_disinh").value == 0.0
    assert m.meta["hypothesis"] == "resting_eef2"


def test_unknown_hypothesis_is_a_user_error() -> None:
    with pytest.raises(UserError) as err:
        build_model("human", hypothesis="voodoo")
    assert err.value.field == "hypothesis"
    with pytest.raises(UserError):
        get_hypothesis("voodoo")


@pytest.mark.parametrize("name", NAMES)
def test_variant_runs_standard_infusion(name: str) -> None:
    r = run("human", STANDARD, days=2, hypothesis=name)
    assert r.o["MADRS"].min() >= 0 and r.o["MADRS"].max() <= 60


def test_variant_predictions() -> None:
    # LHb: near-immediate relief, mostly gone within days; psychological: masking removes the effect
    lhb = run("human", STANDARD, days=4, hypothesis="lhb")
    assert lhb.at("antidepressant_effect", 1) > 0.1 and lhb.at("antidepressant_effect", 96) < 0.5 * lhb.at(
        "antidepressant_effect", 1)
    psy = run("human", STANDARD, days=2, hypothesis="psychological")
    masked = run("human", STANDARD, days=2, hypothesis="psychological", overrides=(("anaesthesia_masked", 1.0),))
    assert masked.at("antidepressant_effect", 24) < 0.25 * psy.at("antidepressant_effect", 24)
    # opioid: naltrexone blunts efficacy, not dissociation; no change in the default variant
    opi = run("human", STANDARD, days=2, hypothesis="opioid")
    nal = run("human", STANDARD, days=2, hypothesis="opioid", overrides=(("naltrexone_occ", 0.9),))
    assert nal.at("antidepressant_effect", 24) < 0.75 * opi.at("antidepressant_effect", 24)
    assert abs(nal.peak("CADSS")[0] - opi.peak("CADSS")[0]) < 1e-6
    dflt = run("human", STANDARD, days=2, overrides=(("naltrexone_occ", 0.9),))
    assert abs(dflt.at("antidepressant_effect", 24) - run("human", STANDARD).at("antidepressant_effect", 24)) < 1e-3
    # HNK variant needs metabolism of R-ketamine; rodent GSK3 variant responds
    assert run("rat", ip(10), days=2, hypothesis="hnk_ampa").peak("hnk_ampa_potentiation")[0] > 0


def test_cli_lists_every_variant() -> None:
    out = CliRunner().invoke(command, []).output
    for name in NAMES:
        assert name in out


def test_hypotheses_are_derived_from_the_switch_rows() -> None:
    # a new switch row in any layer is a new variant, with the switches it implies
    from ketasim.model.description import Param
    from ketasim.model.hypotheses import derive_hypotheses
    from ketasim.model.motifs import switch

    rows = [*build_model("human").params,
            switch("hyp_new_idea", 0.0, "a new route", "new_idea", "a new idea", implies={"hyp_disinh": 0.5})]
    known = derive_hypotheses(rows)
    assert known["new_idea"].switches["hyp_new_idea"] == 1.0 and known["new_idea"].switches["hyp_disinh"] == 0.5
    assert list(known)[0] == "default" and list(known)[-1] == "combined"
    assert known["default"].switches == known["disinhibition"].switches
    assert known["default"].description.startswith("the disinhibition variant")
    with pytest.raises(ValueError, match="unknown switch"):
        derive_hypotheses([switch("hyp_x", 0.0, "x", "x", "x", implies={"hyp_nope": 1.0})])
    assert derive_hypotheses([Param("k", 1.0, "1/h", "s", "P", "d")]) == {
        "default": derive_hypotheses([])["default"]}
