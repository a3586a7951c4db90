"""Signalling layer: time courses, dose dependence and the perturbations that abolish the effect."""

import numpy as np

from mech_helpers import BOLUS_2, NONE, STANDARD, ip, run

SIGNALS = ("bdnf", "p_trkb", "p_erk", "p_akt", "mtorc1", "p_eef2", "gsk3b_activity", "synaptic_protein", "mecp2_p")


def test_mtorc1_pulse_then_synaptic_proteins_for_days() -> None:
    r = run("rat", ip(10), days=4)
    peak, t_peak = r.peak("mtorc1")
    assert peak > 1.2 and 0.4 <= t_peak <= 1.0
    assert abs(r.at("mtorc1", 3.0) - 1) < 0.25 * (peak - 1)  # back near baseline within hours
    p_peak, tp = r.peak("synaptic_protein")
    assert tp > t_peak  # phosphorylation precedes protein
    assert r.at("synaptic_protein", 2.0) - 1 > 0.3 * (p_peak - 1)  # up from about 2 h
    assert r.at("synaptic_protein", 48.0) - 1 > 0.25 * (p_peak - 1)  # still up on day 2-3


def test_eef2_dephosphorylation_and_bdnf_rise_within_an_hour() -> None:
    r = run("mouse", ip(3), days=1)
    t_min = r.t[np.argmin(r.o["p_eef2"])]
    assert r.o["p_eef2"].min() < 0.98 and 0.25 <= t_min <= 1.0
    b, tb = r.peak("bdnf")
    assert b > 1.02 and 0.25 <= tb <= 1.0


def test_erk_up_at_subanaesthetic_down_at_anaesthetic_dose() -> None:
    assert run("human", STANDARD).peak("p_erk")[0] > 1.2
    bolus = run("human", BOLUS_2, days=1)
    assert bolus.o["p_erk"][bolus.t < 0.5].min() < 0.8


def test_perturbations_abolish_the_antidepressant_effect() -> None:
    ctrl = run("rat", ip(10), days=3).at("antidepressant_effect", 24)
    assert ctrl > 0.2
    for pert in ("rapamycin_brain", "bdnf_ko", "trkb_ko", "nbqx_block", "hcn1_ko"):
        r = run("rat", ip(10), days=3, overrides=((pert, 1.0),))
        assert r.at("antidepressant_effect", 24) < 0.25 * ctrl, pert
    rapa = run("rat", ip(10), days=3, overrides=(("rapamycin_brain", 1.0),))
    base = run("rat", ip(10), days=3)
    assert rapa.peak("synaptic_protein")[0] - 1 < 0.25 * (base.peak("synaptic_protein")[0] - 1)


def test_mecp2_needed_for_days_not_for_onset() -> None:
    wt = run("mouse", ip(10), days=4, overrides=(("SYN_DEFICIT", 0.25),))
    ki = run("mouse", ip(10), days=4, overrides=(("mecp2_s421a", 1.0),))
    assert ki.at("antidepressant_effect", 3) >= 0.75 * wt.at("antidepressant_effect", 3)
    assert ki.at("antidepressant_effect", 72) < 0.25 * wt.at("antidepressant_effect", 72)
    assert np.allclose(ki.o["mecp2_p"], 1.0)


def test_gsk3_knockin_blocks_the_gsk3_variant() -> None:
    wt = run("rat", ip(10), days=2, hypothesis="gsk3").at("antidepressant_effect", 24)
    ki = run("rat", ip(10), days=2, hypothesis="gsk3", overrides=(("gsk3_knockin", 1.0),))
    assert wt > 0.1 and ki.at("antidepressant_effect", 24) < 0.25 * wt
    assert np.allclose(ki.o["gsk3b_activity"], 1.0)


def test_signalling_at_baseline_without_drug() -> None:
    r = run("human", NONE, days=2)
    for s in SIGNALS:
        assert np.max(np.abs(r.o[s] - 1)) < 1e-9, s
