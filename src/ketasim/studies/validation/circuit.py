"""Evaluators of the circuit targets: glutamate inverted U, interneurons first, IL necessity, EEG, LHb."""

from __future__ import annotations

import math

from ketasim.runtime.regimen import Dose
from ketasim.studies.validation.core import Checks, Context, Outcome, evaluator, fmt, grid, peak, signed_extreme, trough
from ketasim.studies.validation.experiments import NAIVE, STRESSED, behaviour, ratio, rodent
from ketasim.studies.validation.pk import MIN, TE, standard
from ketasim.studies.validation.targets import Target

ACUTE_GRID = grid((0.0, 1.0, 121), (1.0, 6.0, 101))


@evaluator("circ-glutamate-inverted-u")
def _glutamate(ctx: Context, target: Target) -> Outcome:
    res = {}
    for mgkg in (10.0, 20.0, 30.0, 200.0):
        sim = rodent(ctx, "rat", mgkg, ACUTE_GRID, covariates=NAIVE)
        res[f"change_{mgkg:g}mgkg_pct"] = signed_extreme(sim.t, sim.out("glutamate"), sim.at("glutamate", 0.0),
                                                         0.0, 4.0)
    c = Checks()
    for mgkg in (10, 20, 30):
        v = res[f"change_{mgkg}mgkg_pct"]
        c.true(f"{mgkg} mg/kg", v > 0, f"glutamate change at {mgkg} mg/kg {fmt(v)}% > 0")
    v = res["change_200mgkg_pct"]
    c.true("200 mg/kg", v < 0, f"glutamate change at 200 mg/kg {fmt(v)}% < 0")
    return c.outcome(res, "largest deviation from baseline within 4 h")


@evaluator("circ-interneuron-first")
def _interneuron_first(ctx: Context, target: Target) -> Outcome:
    sim = rodent(ctx, "rat", 10.0, grid((0.0, 2.0, 481)), covariates=NAIVE)
    ti, vi = trough(sim.t, sim.out("interneuron_rate"), 0.0, 2.0)
    tp, vp = peak(sim.t, sim.out("pyramidal_rate"), 0.0, 2.0)
    c = Checks()
    c.true("interneurons fall", vi < sim.at("interneuron_rate", 0.0), f"interneuron minimum {fmt(vi)}")
    c.true("pyramidal cells rise", vp > sim.at("pyramidal_rate", 0.0), f"pyramidal maximum {fmt(vp)}")
    c.true("interneurons first", ti < tp, f"interneuron minimum at {fmt(ti * MIN)} min before pyramidal "
                                          f"maximum at {fmt(tp * MIN)} min")
    c.true("within 30 min", max(ti, tp) <= 0.5, f"both within 30 min ({fmt(ti * MIN)}, {fmt(tp * MIN)} min)")
    return c.outcome({"interneuron_min_time_min": ti * MIN, "pyramidal_max_time_min": tp * MIN,
                      "interneuron_min": vi, "pyramidal_max": vp})


@evaluator("circ-il-pfc-necessity")
def _il(ctx: Context, target: Target) -> Outcome:
    ctrl = behaviour(rodent(ctx, "rat", 10.0, covariates=STRESSED))
    inact = behaviour(rodent(ctx, "rat", 10.0, covariates=STRESSED, overrides={"il_inactivation": 1.0}))
    r = ratio(inact, ctrl)
    c = Checks()
    c.true("control effect", ctrl > 0.01, f"ketamine alone effect {fmt(ctrl)} > 0.01")
    c.true("IL inactivation abolishes", r < 0.25, f"with IL inactivation {fmt(inact)} = {fmt(r)} of control < 0.25")
    return c.outcome({"effect_control": ctrl, "effect_il_inactivated": inact, "ratio": r},
                     "sufficiency of local IL ketamine is not simulated (no intracerebral route)")


@evaluator("circ-eeg-by-dose")
def _eeg(ctx: Context, target: Target) -> Outcome:
    times = grid((0.0, 3.0, 361), extra=[TE])
    sub = ctx.run("human", [standard()], times)
    ana = ctx.run("human", [Dose("ketamine", "iv", (0.0,), mg_per_kg=2.0)], times)
    g_sub = peak(sub.t, sub.out("gamma_power"))[1]
    s_sub = float(sub.out("slow_wave_index").max())
    s_ana = float(ana.out("slow_wave_index").max())
    c = Checks()
    c.true("gamma rises (sub-anaesthetic)", g_sub > sub.at("gamma_power", 0.0) * 1.001,
           f"gamma peak {fmt(g_sub)} above baseline {fmt(sub.at('gamma_power', 0.0))}")
    c.true("slow waves only when anaesthetic", s_ana > 0.5 > s_sub,
           f"slow-wave index peak anaesthetic {fmt(s_ana)} > 0.5 > sub-anaesthetic {fmt(s_sub)}")
    return c.outcome({"gamma_peak_subanaesthetic": g_sub, "swi_peak_subanaesthetic": s_sub,
                      "swi_peak_anaesthetic": s_ana})


@evaluator("circ-lhb-burst-block")
def _lhb_burst(ctx: Context, target: Target) -> Outcome:
    """Depression model = extra LHb drive (lhb_drive 1) in stressed rats, after a 24 h run-in."""
    t0 = 24.0
    times = grid((0.0, t0, 25), (t0, t0 + 3.0, 181))
    dep = ctx.run("rat", [Dose("ketamine", "ip", (t0,), mg_per_kg=25.0)], times,
                  overrides={"lhb_drive": 1.0}, covariates=STRESSED)
    healthy = ctx.run("rat", [], times, overrides={"lhb_drive": 0.0}, covariates=NAIVE)
    b_dep = dep.at("lhb_burst_fraction", t0)
    b_ok = healthy.at("lhb_burst_fraction", t0)
    excess = b_dep - b_ok
    _, low = trough(dep.t, dep.out("lhb_burst_fraction"), t0, t0 + 1.0)
    fall = (b_dep - low) / excess if excess > 0 else math.nan
    c = Checks()
    c.true("model raises bursting", excess > 0, f"burst fraction depressed {fmt(b_dep)} vs healthy {fmt(b_ok)}")
    c.true("ketamine removes >= 50% of the excess within 1 h", fall >= 0.5,
           f"excess removed within 1 h: {fmt(fall)} >= 0.5")
    return c.outcome({"burst_depressed": b_dep, "burst_healthy": b_ok, "burst_min_1h": low,
                      "fraction_of_excess_removed": fall})
