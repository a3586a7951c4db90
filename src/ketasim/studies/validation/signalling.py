"""Evaluators of the signalling targets: mTORC1 time course, rapamycin, eEF2/BDNF, NBQX, ERK/TrkB,
GSK3 knock-in and MeCP2 S421A."""

from __future__ import annotations

import math

import numpy as np

from ketasim.runtime.regimen import Dose
from ketasim.studies.validation.core import (
    Checks,
    Context,
    Outcome,
    Sim,
    evaluator,
    first_time,
    fmt,
    grid,
    last_time,
    peak,
    trough,
)
from ketasim.studies.validation.experiments import NAIVE, RODENT_GRID, STRESSED, behaviour, ratio, rodent
from ketasim.studies.validation.targets import Target

FINE_GRID = grid((0.0, 6.0, 721), (6.0, 120.0, 115))


def excess(sim: Sim, name: str) -> np.ndarray:
    """Output minus its value at time zero."""
    y = sim.out(name)
    return y - y[0]


@evaluator("sig-mtorc1-timecourse")
def _mtorc1(ctx: Context, target: Target) -> Outcome:
    sim = rodent(ctx, "rat", 10.0, FINE_GRID, covariates=NAIVE)
    t = sim.t
    m = excess(sim, "mtorc1")
    tpk, mpk = peak(t, m, 0.0, 24.0)
    back = first_time(t, m <= 0.1 * mpk, after=tpk) if mpk > 0 else math.nan
    p = excess(sim, "synaptic_protein")
    ppk = float(p.max())
    rise = first_time(t, p >= 0.25 * ppk) if ppk > 0 else math.nan
    until = last_time(t, p >= 0.25 * ppk) if ppk > 0 else math.nan
    c = Checks()
    c.true("mTORC1 activated", mpk > 0, f"mTORC1 peak excess {fmt(mpk)}")
    c.inside("phospho peak", tpk, 0.5, 1.0, "h")
    c.inside("phospho back to baseline (<10% of peak)", back, 1.5, 4, "h")
    c.inside("synaptic-protein rise (25% of max)", rise, 1, 6, "h")
    c.inside("synaptic-protein duration (>=25% of max)", until, 24, 96, "h")
    c.true("phosphorylation first", tpk < rise, f"phospho peak {fmt(tpk)} h before protein rise {fmt(rise)} h")
    return c.outcome({"phospho_peak": tpk, "phospho_back_to_baseline": back, "synaptic_protein_rise": rise,
                      "synaptic_protein_duration": until})


#: Li et al. 2010: rapamycin 0.2 nmol icv 30 min before ketamine 10 mg/kg i.p. (rat)
RAPAMYCIN_ICV = Dose("rapamycin", "icv", (0.0,), amount_mg=0.2e-6 * 914.2)
PRE = 0.5


@evaluator("sig-rapamycin-central-block")
def _rapamycin(ctx: Context, target: Target) -> Outcome:
    """Rapamycin given into the brain (icv, with its PK) acts on mTORC1 through its occupancy."""
    res = {}
    ket = Dose("ketamine", "ip", (PRE,), mg_per_kg=10.0)
    for key, doses in (("control", [ket]), ("rapamycin", [RAPAMYCIN_ICV, ket])):
        sim = ctx.run("rat", doses, RODENT_GRID, covariates=STRESSED)
        res[f"protein_{key}"] = float(excess(sim, "synaptic_protein").max())
        res[f"spines_{key}"] = float(excess(sim, "spine_density").max())
        res[f"behaviour_{key}"] = behaviour(sim, 0.5 + PRE, 24.0 + PRE)
    c = Checks()
    for readout in ("protein", "spines", "behaviour"):
        ctrl, rap = res[f"{readout}_control"], res[f"{readout}_rapamycin"]
        r = ratio(rap, ctrl)
        c.true(readout, r < 0.25, f"{readout} with rapamycin {fmt(r)} of control ({fmt(ctrl)}) < 0.25")
    return c.outcome(res)


@evaluator("sig-eef2-bdnf")
def _eef2(ctx: Context, target: Target) -> Outcome:
    sim = rodent(ctx, "mouse", 3.0, FINE_GRID, covariates=NAIVE)
    t = sim.t
    te, ve = trough(t, sim.out("p_eef2"), 0.0, 6.0)
    b = excess(sim, "bdnf")
    bmax = float(b[t <= 6.0].max())
    tb = first_time(t, b >= 0.5 * bmax) if bmax > 0 else math.nan
    wt = behaviour(rodent(ctx, "mouse", 3.0, covariates=STRESSED))
    ko = {k: behaviour(rodent(ctx, "mouse", 3.0, covariates=STRESSED, overrides={k: 1.0}))
          for k in ("bdnf_ko", "trkb_ko")}
    c = Checks()
    c.true("p-eEF2 falls", ve < sim.at("p_eef2", 0.0), f"p-eEF2 minimum {fmt(ve)}")
    c.inside("p-eEF2 minimum", te, 0.25, 1.0, "h")
    c.true("BDNF rises", bmax > 0, f"BDNF peak excess {fmt(bmax)}")
    c.inside("BDNF half-rise", tb, 0.25, 1.0, "h")
    c.true("wild-type behaviour", wt > 0.01, f"wild-type effect {fmt(wt)} > 0.01")
    for k, v in ko.items():
        c.true(k, ratio(v, wt) < 0.25, f"{k} effect {fmt(ratio(v, wt))} of wild type < 0.25")
    return c.outcome({"p_eef2_min_time_h": te, "bdnf_half_rise_h": tb, "effect_wt": wt,
                      **{f"effect_{k}": v for k, v in ko.items()}})


#: Maeng et al. 2008: NBQX 10 mg/kg i.p. shortly before the drug (mouse); the drug 10 min later
PRE_NBQX = 1.0 / 6.0


@evaluator("sig-ampar-required")
def _ampar(ctx: Context, target: Target) -> Outcome:
    res = {}
    c = Checks()
    for drug in ("ketamine", "2r6r-hnk"):
        ctrl = behaviour(rodent(ctx, "mouse", 10.0, covariates=STRESSED, drug=drug))
        doses = [Dose("nbqx", "ip", (0.0,), mg_per_kg=10.0), Dose(drug, "ip", (PRE_NBQX,), mg_per_kg=10.0)]
        nbqx = behaviour(ctx.run("mouse", doses, RODENT_GRID, covariates=STRESSED), 0.5 + PRE_NBQX, 24.0 + PRE_NBQX)
        res[f"{drug}_control"], res[f"{drug}_nbqx"] = ctrl, nbqx
        # the same rule for every variant: each drug has an effect (Zanos 2016) that NBQX abolishes
        c.true(f"{drug} control", ctrl > 0.01, f"{drug} effect {fmt(ctrl)} > 0.01")
        r = ratio(nbqx, ctrl)
        c.true(f"{drug} + NBQX", r < 0.25, f"{drug} after NBQX 10 mg/kg {fmt(r)} of control < 0.25")
    return c.outcome(res)


@evaluator("sig-erk-trkb-dose")
def _erk_trkb(ctx: Context, target: Target) -> Outcome:
    times = grid((0.0, 3.0, 361))
    res = {}
    for key, mgkg in (("sub", 10.0), ("anaesthetic", 150.0)):
        sim = rodent(ctx, "mouse", mgkg, times, covariates=NAIVE)
        res[f"p_erk_change_{key}"] = float(np.asarray(
            _extreme(sim.t, sim.out("p_erk") - sim.at("p_erk", 0.0), 0.0, 2.0)))
        res[f"p_trkb_peak_excess_{key}"] = float(excess(sim, "p_trkb")[sim.t <= 2.0].max())
    c = Checks()
    c.true("p-ERK up (sub)", res["p_erk_change_sub"] > 0,
           f"p-ERK change sub-anaesthetic {fmt(res['p_erk_change_sub'])} > 0")
    c.true("p-ERK down (anaesthetic)", res["p_erk_change_anaesthetic"] < 0,
           f"p-ERK change anaesthetic {fmt(res['p_erk_change_anaesthetic'])} < 0")
    c.true("p-TrkB larger when anaesthetic", res["p_trkb_peak_excess_anaesthetic"] > res["p_trkb_peak_excess_sub"],
           f"p-TrkB rise anaesthetic {fmt(res['p_trkb_peak_excess_anaesthetic'])} > sub "
           f"{fmt(res['p_trkb_peak_excess_sub'])}")
    return c.outcome(res, "mouse 10 vs 150 mg/kg i.p., extremes within 2 h")


def _extreme(t: np.ndarray, d: np.ndarray, lo: float, hi: float) -> float:
    m = (t >= lo) & (t <= hi)
    x = d[m]
    return float(x[np.argmax(np.abs(x))])


@evaluator("sig-gsk3-knockin")
def _gsk3(ctx: Context, target: Target) -> Outcome:
    wt = behaviour(rodent(ctx, "mouse", 10.0, covariates=STRESSED))
    ki = behaviour(rodent(ctx, "mouse", 10.0, covariates=STRESSED, overrides={"gsk3_knockin": 1.0}))
    r = ratio(ki, wt)
    c = Checks()
    c.true("wild-type effect", wt > 0.01, f"wild-type effect {fmt(wt)} > 0.01")
    c.true("knock-in", r < 0.25, f"knock-in effect {fmt(r)} of wild type < 0.25")
    return c.outcome({"effect_wt": wt, "effect_knockin": ki, "ratio": r})


@evaluator("sig-mecp2-prolongation")
def _mecp2(ctx: Context, target: Target) -> Outcome:
    wt = rodent(ctx, "mouse", 10.0, covariates=STRESSED)
    ki = rodent(ctx, "mouse", 10.0, covariates=STRESSED, overrides={"mecp2_s421a": 1.0})
    acute = ratio(behaviour(ki, 0.5, 6.0), behaviour(wt, 0.5, 6.0))
    wt3, ki3 = wt.at("antidepressant_effect", 72.0), ki.at("antidepressant_effect", 72.0)
    sustained = ratio(ki3, wt3)
    c = Checks()
    c.true("acute kept", acute >= 0.75, f"acute effect {fmt(acute)} of wild type >= 0.75")
    c.true("wild type lasts", wt3 > 0.01, f"wild-type effect at 3 d {fmt(wt3)} > 0.01")
    c.true("sustained lost", sustained < 0.25, f"effect at 3 d {fmt(sustained)} of wild type < 0.25")
    return c.outcome({"acute_ratio": acute, "day3_ratio": sustained, "effect_wt_3d": wt3})
