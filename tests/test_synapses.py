"""Synapse layer: regrowth of lost spines, onset before spines, persistence, no effect when healthy."""

import numpy as np

from mech_helpers import NONE, STANDARD, ip, run


def test_stressed_rat_spines_restored_at_24h_and_back_by_two_weeks() -> None:
    r = run("rat", ip(10), days=14)
    base = r.o["spine_density"][0]
    assert abs(base - 75) < 1e-9  # 25% stress deficit
    assert r.at("spine_density", 24) >= 90
    peak = r.peak("spine_density")[0]
    assert r.at("spine_density", 120) - base > 0.3 * (peak - base)  # still elevated at day 5
    assert r.at("spine_density", 336) - base < 0.3 * (peak - base)  # near baseline by day 14


def test_efficacy_onset_precedes_spines() -> None:
    r = run("human", STANDARD)
    eff, sp = r.o["synaptic_efficacy"], r.o["spine_density"]
    t_eff = r.t[np.argmax(eff - eff[0] > 0.5 * (eff.max() - eff[0]))]
    t_sp = r.t[np.argmax(sp - sp[0] > 0.5 * (sp.max() - sp[0]))]
    assert t_eff < 6 and t_sp > 8 and t_eff < t_sp


def test_new_spines_sustain_but_do_not_start_the_effect() -> None:
    ctrl = run("rat", ip(10), days=4)
    deleted = run("rat", ip(10), days=4, overrides=(("spine_deletion", 1.0),))
    assert deleted.at("antidepressant_effect", 3) >= 0.75 * ctrl.at("antidepressant_effect", 3)
    assert deleted.at("antidepressant_effect", 72) < 0.25 * ctrl.at("antidepressant_effect", 72)


def test_no_growth_without_a_deficit() -> None:
    r = run("human", STANDARD, overrides=(("SYN_DEFICIT", 0.0),))
    assert np.max(np.abs(r.o["spine_density"] - 100)) < 1e-6
    assert np.max(np.abs(r.o["sv2a_index"] - 100)) < 1e-6
    assert np.max(np.abs(r.o["synaptic_efficacy"] - 1)) < 1e-6
    low = run("human", STANDARD)
    assert low.at("sv2a_index", 24) > low.o["sv2a_index"][0] + 1


def test_synapses_at_baseline_without_drug() -> None:
    r = run("human", NONE, days=3)
    for name in ("spine_density", "sv2a_index", "synaptic_efficacy"):
        assert np.ptp(r.o[name]) < 1e-9, name
