"""Drugs by mechanism (docs/compounds.md): each mechanism type acts on its target through the drug's PK and
occupancy, in the expected direction and monotonically with dose; key PK against published values; the
`compounds check` messages; a trial with a pretreatment before ketamine and a placebo spray arm runs."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import yaml

from ketasim.apps.cli.main import main
from ketasim.runtime.build import build_model
from ketasim.runtime.engines.reference import simulate_reference
from ketasim.runtime.regimen import Dose, dose_events
from ketasim.runtime.spec import load_spec
from mech_helpers import WEIGHT, run

ROOT = Path(__file__).resolve().parents[1]
KET2H = ("ketamine", "iv", (2.0,), (("mg_per_kg", 0.5), ("duration_h", 40 / 60)))


def _one(drug: str, route: str, times: tuple[float, ...], **kw: float) -> tuple:
    return (drug, route, times, tuple(kw.items()))


def _monotone(values: list[float]) -> bool:
    return all(b > a for a, b in zip(values, values[1:], strict=False))


#: drug, route, doses (mg), its term's output, downstream output, direction of the downstream change
#: against ketamine alone (+1 up, -1 down) with the drug given at 0 h and ketamine at 2 h, species
CASES = [
    ("naltrexone", "oral", (5.0, 50.0), "drug_mu_opioid_block", None, 0, "human"),
    ("lithium", "oral", (300.0, 1800.0), "drug_gsk3_inhibition", "gsk3b_activity", -1, "human"),
    ("mk0657", "oral", (2.0, 8.0, 32.0), "drug_glun2b_inhibition", "nmdar_block_extrasyn", +1, "human"),
    ("rapastinel", "iv", (100.0, 450.0), "drug_glycine_site_change", "bdnf", +1, "human"),
    ("lorazepam", "oral", (0.5, 2.0), "drug_gabaa_potentiation", "sedation", +1, "human"),
    ("clonidine", "oral", (0.05, 0.3), "drug_alpha2_effect", "SBP", -1, "human"),
    ("nimodipine", "oral", (30.0, 120.0), "drug_ltype_inhibition", "bdnf", -1, "human"),
    ("lamotrigine", "oral", (100.0, 400.0), "drug_release_inhibition", "glutamate", -1, "human"),
    ("mibampator", "oral", (3.0, 30.0), "drug_ampa_potentiation", "bdnf", +1, "human"),
    ("nbqx", "ip", (0.003, 0.3), "drug_ampa_block", "bdnf", -1, "mouse"),
    ("rapamycin", "icv", (0.0001, 0.001), "drug_mtorc1_inhibition", "mtorc1", -1, "rat"),
    ("esmethadone", "oral", (25.0, 100.0), "nmdar_block_int", None, 0, "human"),
    ("dextromethorphan-bupropion", "oral", (45.0, 180.0), "nmdar_block_int", None, 0, "human"),
]


@pytest.mark.parametrize("drug, route, doses, term, down, sign, species", CASES, ids=[c[0] for c in CASES])
def test_mechanism_acts_on_its_target_dose_dependently(drug: str, route: str, doses: tuple[float, ...], term: str,
                                                       down: str | None, sign: int, species: str) -> None:
    ket = (KET2H[0], "iv" if species == "human" else "ip", KET2H[2],
           KET2H[3] if species == "human" else (("mg_per_kg", 10.0),))
    alone = run(species, (ket,), days=2)
    peaks, downs = [], []
    for mg in doses:
        r = run(species, (_one(drug, route, (0.0,), amount_mg=mg), ket), days=2)
        peaks.append(r.peak(term)[0])
        if down is not None:
            window = (r.t >= 2.0) & (r.t <= 30.0)
            pick = np.max if sign > 0 or down in ("SBP", "glutamate", "bdnf", "mtorc1") else np.min
            downs.append(float(pick(r.o[down][window])))
    assert peaks[0] > 0 and _monotone(peaks), (drug, peaks)  # occupancy rises with dose
    if down is not None:
        window = (alone.t >= 2.0) & (alone.t <= 30.0)
        pick = np.max if sign > 0 or down in ("SBP", "glutamate", "bdnf", "mtorc1") else np.min
        ref = float(pick(alone.o[down][window]))
        moved = [sign * (v - ref) for v in downs]
        assert all(m > 0 for m in moved) and _monotone(moved), (drug, down, ref, downs)


def test_nitrous_oxide_inhibits_every_nmdar_population_with_its_inspired_fraction() -> None:
    blocks = []
    for f in (0.2, 0.5, 0.7):
        r = run("human", (("nitrous_oxide", "inhaled", (0.0,), (("duration_h", 1.0), ("inspired_fraction", f))),),
                days=1)
        blocks.append((r.at("drug_nmdar_inhibition", 0.9), r.at("nmdar_block_int", 0.9), r.at("nmdar_block_rest", 0.9)))
        assert r.at("drug_nmdar_inhibition", 3.0) < 0.05 * blocks[-1][0]  # washes out within 2 h of stopping
    for k in range(3):
        assert _monotone([b[k] for b in blocks])


def test_perturbation_switches_still_work_and_join_the_drug() -> None:
    """The old switch (no drug) is unchanged; with the drug both act as independent inhibitions."""
    ket = (("ketamine", "ip", (2.0,), (("mg_per_kg", 10.0),)),)
    ctrl = run("rat", ket, days=2)
    switch = run("rat", ket, days=2, overrides=(("rapamycin_brain", 1.0),))
    assert switch.peak("mtorc1")[0] == pytest.approx(1.0, abs=1e-6)
    assert ctrl.peak("mtorc1")[0] > 1.05
    drug = (("rapamycin", "icv", (0.0,), (("amount_mg", 0.001),)), *ket)
    half = run("rat", drug, days=2, overrides=(("rapamycin_brain", 0.5),))
    assert switch.peak("mtorc1")[0] < half.peak("mtorc1")[0] < run("rat", drug, days=2).peak("mtorc1")[0]


def _pk(drug: str, route: str, times: tuple[float, ...], hours: float, **kw: float) -> tuple[np.ndarray, np.ndarray]:
    model = build_model("human", frozenset({(drug, route)}), "default", "exposure")
    events = dose_events(Dose(drug, route, times, **kw), WEIGHT["human"])
    t = np.linspace(0.0, hours, int(hours * 4) + 1)
    out = simulate_reference(model, events, model.with_params(), t, rtol=1e-8).outputs
    return t, np.asarray(out[f"plasma_{drug}"])


def _half_life(t: np.ndarray, c: np.ndarray, t0: float, t1: float) -> float:
    i, j = np.searchsorted(t, t0), np.searchsorted(t, t1)
    return float(np.log(2) * (t[j] - t[i]) / np.log(c[i] / c[j]))


def test_pk_against_published_values() -> None:
    # lithium carbonate 900 mg/day: steady-state serum 0.5-1.0 mmol/L (Grandjean & Aubry 2009), t1/2 about 24 h
    t, c = _pk("lithium", "oral", tuple(24.0 * k for k in range(14)), 14 * 24.0, amount_mg=900.0)
    css = float(np.mean(c[(t > 12 * 24) & (t <= 13 * 24)])) / 6.94 / 1000  # ng/mL -> mmol/L
    assert 0.5 < css < 1.0
    t, c = _pk("lithium", "oral", (0.0,), 120.0, amount_mg=900.0)
    assert 16.0 < _half_life(t, c, 48.0, 96.0) < 36.0
    # naltrexone 50 mg: t1/2 about 4 h (label); sirolimus: t1/2 62 +/- 16 h (label)
    t, c = _pk("naltrexone", "oral", (0.0,), 24.0, amount_mg=50.0)
    assert 2.5 < _half_life(t, c, 6.0, 16.0) < 6.0
    t, c = _pk("rapamycin", "oral", (0.0,), 400.0, amount_mg=6.0)
    assert 40.0 < _half_life(t, c, 150.0, 350.0) < 90.0
    # dextromethorphan with bupropion: t1/2 about 22 h at steady state (Auvelity label)
    t, c = _pk("dextromethorphan-bupropion", "oral", (0.0,), 150.0, amount_mg=45.0)
    assert 15.0 < _half_life(t, c, 48.0, 120.0) < 32.0
    # nitrous oxide 50% for 1 h: blood reaches 90% of the partition equilibrium (0.47 x 0.5 atm / RT) in 1 h
    t, c = _pk("nitrous_oxide", "inhaled", (0.0,), 2.0, duration_h=1.0, inspired_fraction=0.5)
    equilibrium_um = 0.47 * 0.5 / 25.45 * 1e6
    assert 0.85 * equilibrium_um < c[np.searchsorted(t, 1.0)] / 44.013 < 1.05 * equilibrium_um


def test_compounds_check_lists_every_problem_with_its_fix(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    doc = yaml.safe_load((ROOT / "src/ketasim/data/compounds/naltrexone.yaml").read_text())
    doc["name"], doc["code"] = "mydrug", "MYD"
    doc["pk"]["clearance"]["unit"] = "L/min"
    del doc["pk"]["unbound_fraction"]
    doc["mechanisms"][0]["target"] = "kappa"
    doc["mechanisms"].append({"type": "receptor_blocker", "target": "ampa"})
    path = tmp_path / "mydrug.yaml"
    path.write_text(yaml.safe_dump(doc))
    with pytest.raises(SystemExit) as exc:
        main(["compounds", "check", str(path)])
    assert exc.value.code == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert any("mydrug.yaml: pk.clearance: unit must be L/h, got 'L/min'" in e for e in err)
    assert any("pk.unbound_fraction: this field is required; add e.g. unbound_fraction: {value: ..., "
               "unit: dimensionless" in e for e in err)
    assert any("mechanisms.0.target: target 'kappa' has no model term for a receptor_antagonist; use one of ampa, "
               "mu_opioid" in e for e in err)
    assert any("mechanisms.1.type:" in e and "kinase_inhibitor" in e for e in err)
    assert all(e.startswith("ketasim: error: mydrug.yaml: ") for e in err)


def test_compounds_list_shows_every_drug_with_its_mechanism(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["compounds", "list"])
    out = capsys.readouterr().out
    assert exc.value.code == 0
    for name, mech in [("rapamycin", "kinase_inhibitor mtorc1"), ("lithium", "kinase_inhibitor gsk3"),
                       ("naltrexone", "receptor_antagonist mu_opioid"), ("nbqx", "receptor_antagonist ampa"),
                       ("mibampator", "receptor_potentiator ampa"), ("traxoprodil", "allosteric_modulator glun2b"),
                       ("mk0657", "allosteric_modulator glun2b"), ("rapastinel", "glycine_site_agonist nmdar"),
                       ("esmethadone", "channel_blocker nmdar"), ("dextromethorphan-bupropion", "channel_blocker"),
                       ("nitrous_oxide", "allosteric_modulator nmdar"), ("lamotrigine", "ion_channel_blocker"),
                       ("clonidine", "receptor_agonist alpha2"), ("nimodipine", "ion_channel_blocker l_type_ca"),
                       ("lorazepam", "receptor_potentiator gabaa_bzd")]:
        line = next(x for x in out.splitlines() if x.startswith(name + " "))
        assert mech in line, line


def test_trial_with_rapamycin_before_ketamine_and_a_placebo_spray_arm(tmp_path: Path) -> None:
    spec = load_spec(ROOT / "docs/specs/pretreatment_before_ketamine.yaml")  # the documented spec is valid
    assert {a.name for a in spec.arms} >= {"rapamycin_ketamine", "naltrexone_ketamine", "lithium_ketamine",
                                           "placebo_spray"}
    small = {
        "ketasim": 1, "name": "rapamycin before ketamine", "seed": 3, "duration": "30 h",
        "population": {"size": 4, "species": "human", "diagnosis": "trd"},
        "arms": [
            {"name": "rapamycin_ketamine", "regimen": [
                {"drug": "rapamycin", "route": "oral", "dose": "6 mg", "at": ["0 h"]},
                {"drug": "ketamine", "route": "iv", "dose": "0.5 mg/kg", "duration": "40 min", "at": ["2 h"]}]},
            {"name": "placebo_spray", "regimen": [{"drug": "placebo", "route": "intranasal", "sprays": 2,
                                                   "at": ["2 h"]}]},
        ],
        "endpoints": [{"name": "madrs_change_26h", "kind": "change", "measure": "MADRS", "at": "26 h"}],
        "compare": [["rapamycin_ketamine", "placebo_spray"]],
    }
    path = tmp_path / "spec.yaml"
    path.write_text(yaml.safe_dump(small))
    with pytest.raises(SystemExit) as exc:
        main(["trial", str(path), "--out", str(tmp_path / "out"), "--quiet"])
    assert exc.value.code == 0
    summary = json.loads((tmp_path / "out" / "summary.json").read_text())
    assert "plasma_rapamycin" in summary["measures"]
    for arm in ("rapamycin_ketamine", "placebo_spray"):
        assert summary["arms"][arm]["simulated"] == 2
        assert np.isfinite(summary["arms"][arm]["endpoints"]["madrs_change_26h"]["value"])


def test_a_user_compound_acts_by_mechanism_without_code() -> None:
    from ketasim.layers.exposure.comparators import COMPOUNDS
    from ketasim.model.compounds.files import parse_compound
    from ketasim.runtime.user_compounds import register_compound, unregister_compound

    text = (ROOT / "src/ketasim/data/compounds/lithium.yaml").read_text()
    c = parse_compound(text.replace("name: lithium", "name: mygsk3i").replace("code: LI", "code: MYG"), "mygsk3i.yaml")
    try:
        name = register_compound(c)
        model = build_model("human", frozenset({(name, "oral"), ("ketamine", "iv")}))
        assert "drug_gsk3_inhibition" in model.outputs and "EC50_MYG_gsk3" in {p.name for p in model.params}
    finally:
        unregister_compound("mygsk3i")
    assert "mygsk3i" not in COMPOUNDS and "lithium" in COMPOUNDS
