"""The monoaminergic, arketamine and plasticity-window variants: listed, acting at human exposure,
each with its distinguishing prediction; psychotherapy sessions as regimen items; default unchanged."""

from __future__ import annotations

import copy
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from ketasim.apps.cli.hypotheses import command
from ketasim.model.errors import UserError
from ketasim.runtime.build import build_model, hypotheses
from ketasim.runtime.spec import parse_spec
from mech_helpers import STANDARD, run

AE = "antidepressant_effect"
NEW = {"monoaminergic": "hyp_mono", "arketamine": "hyp_arket", "plasticity_window": "hyp_window"}
ARKETAMINE = (("arketamine", "iv", (0.0,), (("mg_per_kg", 0.5), ("duration_h", 40 / 60))),)


def sessions(times_h: list[float], length_h: float = 20 / 60) -> tuple:
    """Psychotherapy sessions (e.g. automated self-association training) at `times_h`."""
    return (("psychotherapy", "session", tuple(times_h), (("duration_h", length_h),)),)


IN_WINDOW = sessions([24.0 + 12.0 * k for k in range(8)])  # Price 2022: twice daily on days 1-4
LATE = sessions([20 * 24.0 + 12.0 * k for k in range(8)])  # days 20-23: the new spines are gone


def test_new_variants_are_listed_and_off_by_default() -> None:
    known = hypotheses()
    for name, sw in NEW.items():
        assert known[name].switches[sw] == 1.0 and known["default"].switches[sw] == 0.0
    assert known["monoaminergic"].switches["hyp_disinh"] == 0.0  # the 5-HT route replaces the direct one
    assert known["arketamine"].switches["hyp_disinh"] == 1.0
    out = CliRunner().invoke(command, []).output
    assert all(name in out for name in NEW)
    # the variants' own states exist only where they act: the default model is the one it was
    default = {s.name for s in build_model("human").states}
    assert not {"ht_x", "da_x", "ark", "psy"} & default
    assert {"ht_x", "da_x"} <= {s.name for s in build_model("human", hypothesis="monoaminergic").states}


def test_monoaminergic_needs_serotonin_synthesis() -> None:
    mono = run("human", STANDARD, days=2, hypothesis="monoaminergic")
    assert mono.at(AE, 24) > 0.3  # acts at the standard human infusion
    assert mono.peak("serotonin_mpfc")[0] > 1.05  # prefrontal 5-HT rises during the infusion
    pcpa = run("human", STANDARD, days=2, hypothesis="monoaminergic", overrides=(("pcpa_5ht", 1.0),))
    assert pcpa.at(AE, 24) < 0.6 * mono.at(AE, 24)  # PCPA removes the 5-HT share (dopamine remains)
    # the default variant does not need serotonin
    dflt = run("human", STANDARD, days=2)
    dflt_pcpa = run("human", STANDARD, days=2, overrides=(("pcpa_5ht", 1.0),))
    assert dflt_pcpa.at(AE, 24) == pytest.approx(dflt.at(AE, 24), abs=1e-9)


def test_monoaminergic_interacts_with_an_ssri() -> None:
    ket = (("ketamine", "iv", (144.0,), (("mg_per_kg", 0.5), ("duration_h", 40 / 60))),)
    ssri = (("ssri", "oral", tuple(24.0 * k for k in range(8)), (("amount_mg", 20.0),)),)
    alone = run("human", ket, days=7, hypothesis="monoaminergic")
    both = run("human", ket + ssri, days=7, hypothesis="monoaminergic")
    gain = (both.at(AE, 168) - both.at(AE, 143)) - alone.at(AE, 168)
    assert gain > 0.015  # reuptake blockade keeps more of the evoked serotonin


def test_arketamine_acts_with_little_dissociation_and_without_mtorc1() -> None:
    r_ark = run("human", ARKETAMINE, days=2, hypothesis="arketamine")
    r_dflt = run("human", ARKETAMINE, days=2)
    racemate = run("human", STANDARD, days=2)
    assert r_ark.at(AE, 24) > 0.3 and r_ark.at(AE, 24) > 1.4 * r_dflt.at(AE, 24)
    assert r_ark.peak("CADSS")[0] < 0.3 * racemate.peak("CADSS")[0]  # little dissociation
    rapa = (("rapamycin_brain", 0.9),)
    assert run("human", ARKETAMINE, days=2, hypothesis="arketamine", overrides=rapa).at(AE, 24) > 0.8 * r_ark.at(AE, 24)
    assert run("human", ARKETAMINE, days=2, overrides=rapa).at(AE, 24) < 0.3 * r_dflt.at(AE, 24)


def test_psychotherapy_in_the_window_prolongs_the_response() -> None:
    none = run("human", STANDARD, days=30, hypothesis="plasticity_window")
    inside = run("human", STANDARD + IN_WINDOW, days=30, hypothesis="plasticity_window")
    late = run("human", STANDARD + LATE, days=30, hypothesis="plasticity_window")
    assert none.at(AE, 30 * 24) < 0.05 and inside.at(AE, 30 * 24) > 0.15
    assert late.at(AE, 30 * 24) < none.at(AE, 30 * 24) + 0.01  # nothing left to consolidate
    assert inside.at(AE, 12) == pytest.approx(none.at(AE, 12), abs=1e-6)  # no session yet
    alone = run("human", IN_WINDOW, days=7, hypothesis="plasticity_window")
    assert alone.o[AE].max() < 1e-6  # no dose, no window
    # outside the variant a session does nothing
    dflt, dflt_sessions = run("human", STANDARD, days=30), run("human", STANDARD + IN_WINDOW, days=30)
    assert dflt_sessions.at(AE, 30 * 24) == pytest.approx(dflt.at(AE, 30 * 24), abs=1e-6)


def _spec() -> dict:
    return {
        "ketasim": 1, "name": "t", "seed": 1, "hypothesis": "plasticity_window",
        "population": {"size": 4, "species": "human", "diagnosis": "trd"},
        "arms": [{"name": "a", "allocation": 1, "regimen": [
            {"drug": "ketamine", "route": "iv", "dose": "0.5 mg/kg", "duration": "40 min", "at": ["0 d"]},
            {"intervention": "psychotherapy", "start": "1 d", "every": "12 h", "count": 8, "duration": "20 min"}]},
            {"name": "b", "allocation": 1, "regimen": [{"intervention": "psychotherapy", "at": ["1 d", "2 d"]}]}],
        "endpoints": [{"name": "chg", "kind": "change", "measure": "MADRS", "at": "7 d"}],
    }


def test_psychotherapy_item_parses() -> None:
    spec = parse_spec(_spec())
    psy = spec.arms[0].doses[1]
    assert psy.is_intervention and psy.times_h == tuple(24.0 + 12.0 * k for k in range(8))
    assert psy.duration_h == pytest.approx(20 / 60)
    assert spec.arms[1].doses[0].duration_h == 1.0  # default session length
    assert ("psychotherapy", "session") in spec.drugs_routes


@pytest.mark.parametrize(
    ("change", "path", "words"),
    [
        ({"intervention": "hypnosis"}, "intervention", "unknown intervention"),
        ({"dose": "1 mg"}, "dose", "not a drug"),
        ({"route": "iv"}, "route", "not a drug"),
        ({"drug": "ketamine"}, "drug", "not a drug"),
        ({"duration": "0 min"}, "duration", "positive length"),
        ({"duration": "2 d"}, "duration", "at most 24 h"),
        ({"duration": "20 mg"}, "duration", "wrong dimension"),
        ({"count": 0}, "count", "at least 1"),
        ({"start": "30 d"}, "count", "after the trial ends"),
    ],
)
def test_bad_psychotherapy_item_is_one_line(change: dict, path: str, words: str) -> None:
    spec = copy.deepcopy(_spec())
    spec["arms"][0]["regimen"][1].update(change)
    with pytest.raises(UserError) as info:
        parse_spec(spec)
    assert info.value.field == f"arms[0].regimen[1].{path}", str(info.value)
    assert words in info.value.message and "\n" not in str(info.value)


def test_drug_item_without_drug_names_the_field() -> None:
    spec = copy.deepcopy(_spec())
    del spec["arms"][0]["regimen"][0]["drug"]
    with pytest.raises(UserError) as info:
        parse_spec(spec)
    assert info.value.field == "arms[0].regimen[0].drug" and "required" in info.value.message


def test_cli_refuses_a_bad_session_with_exit_2(tmp_path: Path) -> None:
    spec = _spec()
    spec["arms"][0]["regimen"][1]["dose"] = "1 mg"
    path = tmp_path / "spec.yaml"
    path.write_text(yaml.safe_dump(spec))
    res = subprocess.run([sys.executable, "-m", "ketasim", "trial", str(path), "--out", str(tmp_path / "o")],
                         capture_output=True, text=True, check=False)
    assert res.returncode == 2, res.stderr
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1 and "arms[0].regimen[1].dose" in lines[0]
