"""Targets layer: NMDAR trapping block, subunit/Mg2+ pharmacology, other targets."""

import numpy as np
import pytest

from ketasim.model.errors import UserError
from ketasim.runtime.build import build_model
from ketasim.studies.validation.assay import assay_model, ic50, resting_block, trapped_fraction
from mech_helpers import BOLUS_2, NONE, STANDARD, ip, run

POPULATIONS = ("int", "pyr_syn", "extrasyn", "pre", "glun2c", "lhb", "rest")


def test_assay_runs_the_models_own_targets_layer() -> None:
    full = build_model("human", frozenset({("ketamine", "iv"), ("memantine", "oral")}))
    lab = assay_model()
    lets = {m: {let.name: let.expr for let in model.lets} for m, model in (("full", full), ("lab", lab))}
    for name in ("Po_rest", "m_K_pyr", "m_MEM_rest", "a_K_int", "Bch_pyr", "Bhnk_pyr", "block_rest"):
        assert lets["lab"][name] == lets["full"][name], name
    for state in ("Bd_K_pyr", "Bd_MEM_rest"):
        assert lab.derivatives[state] == full.derivatives[state], state
    assert {p.name for p in lab.params if not p.name.startswith("conc_")} - set(full.param_index) == set(
        ("r_int", "r_pyr", "glu", "lhb_burst", "g_amb", "SYN_DEFICIT", "DIAG_HEALTHY", "lhb_bref", "lhb_n_po",
         "lhb_drive")) - set(full.param_index)


def test_binding_ic50_echoes_the_ki_parameters() -> None:
    # why tgt-s-r-potency and tgt-affinity-ordering are `use: input`: GluN2A, 0 Mg2+ IC50 = Ki
    m = build_model("human")
    assert ic50("s_ketamine") == pytest.approx(m.param("Ki_K_S").value, rel=1e-6)
    assert ic50("2r6r_hnk") == pytest.approx(m.param("IC50_HNK_R").value, rel=1e-6)
    mg = m.param("mg_K_2B").value * m.param("sub_K_2B").value
    assert ic50("r_ketamine", "2B", 1.0) == pytest.approx(m.param("Ki_K_R").value * mg, rel=1e-6)


def test_trapping_fractions_match_mealing_and_are_ordered() -> None:
    f = {c: trapped_fraction(c) for c in ("lanicemine", "memantine", "s_ketamine", "mk801")}
    assert 0.46 <= f["lanicemine"] <= 0.62 and 0.63 <= f["memantine"] <= 0.83
    assert 0.80 <= f["s_ketamine"] <= 0.92 and f["mk801"] >= 0.95
    assert f["lanicemine"] < f["memantine"] < f["s_ketamine"] < f["mk801"]
    # the trap is for the washout time scale: nothing escapes without opening over seconds
    assert trapped_fraction("s_ketamine", washout_s=10) > trapped_fraction("s_ketamine", washout_s=600) - 0.01


def test_mg_shifts_potency_more_at_glun2a_2b_than_2c_2d() -> None:
    zero = [ic50("ketamine", s, 0.0) for s in ("2A", "2B", "2C", "2D")]
    assert max(zero) / min(zero) < 3.0  # roughly equal without Mg2+
    a, b, c, d = (ic50("ketamine", s, 1.0) for s in ("2A", "2B", "2C", "2D"))
    assert min(a, b) / c >= 2.0 and min(a, b) / d >= 1.5
    assert ic50("memantine", "2A", 1.0) / ic50("memantine", "2C", 1.0) > a / c  # memantine shifts more


def test_affinity_ordering_and_enantiomer_ratio() -> None:
    order = [ic50(c) for c in ("s_ketamine", "r_ketamine", "s_norketamine", "r_norketamine", "2r6r_hnk")]
    assert order == sorted(order)
    assert 3.0 <= ic50("r_ketamine") / ic50("s_ketamine") <= 5.0
    with pytest.raises(UserError):
        ic50("caffeine")


def test_memantine_spares_resting_minis_that_ketamine_blocks() -> None:
    ket = resting_block("s_ketamine", 0.23) + resting_block("r_ketamine", 0.23)  # 0.46 uM racemic, unbound
    mem = resting_block("memantine", 0.36)  # 20 mg/day steady state, unbound
    assert ket > 0.02 and mem < ket / 3


def test_block_monotonic_in_dose_and_zero_without_drug() -> None:
    doses = [0.25, 0.5, 1.0, 2.0]
    peaks = {p: [] for p in POPULATIONS}
    for d in doses:
        r = run("human", (("ketamine", "iv", (0.0,), (("mg_per_kg", d),)),), days=0.25)
        for p in POPULATIONS:
            peaks[p].append(r.peak(f"nmdar_block_{p}")[0])
    for p in POPULATIONS:
        assert np.all(np.diff(peaks[p]) > 0), p
    base = run("human", NONE, days=2)
    for p in POPULATIONS:
        assert np.max(np.abs(base.o[f"nmdar_block_{p}"])) < 1e-12


def test_use_dependence_interneurons_block_first_and_most() -> None:
    r = run("human", STANDARD)
    i_int, t_int = r.peak("nmdar_block_int")
    i_pyr, t_pyr = r.peak("nmdar_block_pyr_syn")
    assert i_int > 2 * i_pyr and t_int <= t_pyr
    assert r.at("nmdar_block_int", 0.25) > 3 * r.at("nmdar_block_pyr_syn", 0.25)


def test_hnk_does_not_block_and_hcn1_only_at_anaesthetic_levels() -> None:
    std, bolus = run("human", STANDARD), run("human", BOLUS_2, days=1)
    assert std.peak("nmdar_block_hnk")[0] < 0.01
    assert std.peak("hcn1_inhibition")[0] < 0.1
    assert 0.25 <= bolus.peak("hcn1_inhibition")[0] <= 0.7
    assert std.peak("mu_opioid_occupancy")[0] < 0.05
    assert std.peak("hnk_ampa_potentiation")[0] == 0.0  # hypothesis-gated, off by default


def test_lhb_block_outlasts_drug_unless_lhb_is_driven() -> None:
    quiet = run("mouse", ip(10), days=2)
    driven = run("mouse", ip(10), days=2, overrides=(("lhb_drive", 1.0),))
    peak = quiet.peak("nmdar_block_lhb")[0]
    assert quiet.at("nmdar_block_lhb", 12) > 0.5 * peak  # drug (t1/2 13 min) long gone
    assert quiet.at("nmdar_block_lhb", 40) < 0.1 * peak
    assert driven.at("nmdar_block_lhb", 4) < 0.1 * driven.peak("nmdar_block_lhb")[0]


def test_comparator_groups_are_built_only_when_given() -> None:
    ket = build_model("human", frozenset({("ketamine", "iv")}))
    mem = build_model("human", frozenset({("memantine", "oral")}))
    assert "Bd_MEM_int" not in ket.state_index and "Bd_MEM_int" in mem.state_index


def test_every_population_name_is_in_the_layer_index() -> None:
    # names built per population and compound group stay findable by a text search
    import re

    from ketasim.layers.targets import layer

    index = set(re.findall(r"\b\w+\b", (layer.__doc__ or "").split("Names", 1)[1]))
    model = assay_model()  # every compound group present
    built = {s.name for s in model.states if s.layer == "targets"}
    built |= {x.name for x in model.lets if x.layer == "targets"}
    source = open(layer.__file__, encoding="utf-8").read().split('"""', 2)[2]
    literal = {n for n in built if f'"{n}"' in source}
    assert built - literal - index == set()
