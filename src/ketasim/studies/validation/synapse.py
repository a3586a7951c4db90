"""Evaluators of the synapse targets: spines at 24 h, onset before spines, persistence, SV2A in humans."""

from __future__ import annotations

import math

from ketasim.studies.validation.core import Checks, Context, Outcome, evaluator, first_time, fmt, grid, last_time
from ketasim.studies.validation.experiments import NAIVE, STRESSED, TYPICAL_TRD, behaviour, ratio, rodent
from ketasim.studies.validation.pk import standard
from ketasim.studies.validation.signalling import excess
from ketasim.studies.validation.targets import Target

LONG_GRID = grid((0.0, 6.0, 73), (6.0, 48.0, 43), (48.0, 21 * 24.0, 39), extra=[120.0, 240.0, 336.0])


@evaluator("syn-spines-24h")
def _spines_24h(ctx: Context, target: Target) -> Outcome:
    ket = rodent(ctx, "rat", 10.0, covariates=STRESSED)
    veh = rodent(ctx, "rat", 0.0, covariates=STRESSED)
    s24, v24 = ket.at("spine_density", 24.0), veh.at("spine_density", 24.0)
    c = Checks()
    c.true("above vehicle", s24 > v24, f"spine density at 24 h {fmt(s24)}% > vehicle {fmt(v24)}%")
    c.true("deficit reversed", s24 >= 90.0, f"stressed spine density at 24 h {fmt(s24)}% >= 90% of healthy")
    return c.outcome({"spines_24h_pct": s24, "vehicle_24h_pct": v24, "baseline_pct": ket.at("spine_density", 0.0)})


@evaluator("syn-onset-precedes-spines")
def _onset_spines(ctx: Context, target: Target) -> Outcome:
    ctrl = rodent(ctx, "mouse", 10.0, covariates=STRESSED)
    dele = rodent(ctx, "mouse", 10.0, covariates=STRESSED, overrides={"spine_deletion": 1.0})
    t = ctrl.t
    eff = ctrl.out("antidepressant_effect")
    # onset: half of the day-1 behavioural effect (the same 0.5-24 h readout as every rodent target),
    # not of the later maximum that the new spines themselves add over the following days
    top = behaviour(ctrl)
    onset = first_time(t, eff >= 0.5 * top) if top > 0 else math.nan
    sp = excess(ctrl, "spine_density")
    formation = first_time(t, sp >= 0.5 * sp.max()) if sp.max() > 0 else math.nan
    initial = ratio(behaviour(dele, 0.5, 6.0), behaviour(ctrl, 0.5, 6.0))
    c48 = ctrl.at("antidepressant_effect", 48.0)
    later = ratio(dele.at("antidepressant_effect", 48.0), c48)
    c = Checks()
    c.inside("behaviour onset (half-max)", onset, 1, 6, "h")
    c.inside("spine formation (half-max)", formation, 12, 24, "h")
    c.true("behaviour first", onset < formation, f"behaviour {fmt(onset)} h before spines {fmt(formation)} h")
    c.true("initial effect kept without new spines", initial >= 0.75,
           f"initial effect {fmt(initial)} of control >= 0.75")
    c.true("effect after day 1 needs new spines", later < 0.25,
           f"effect at 48 h without new spines {fmt(later)} of control ({fmt(c48)}) < 0.25")
    return c.outcome({"behaviour_onset": onset, "spine_formation": formation, "deletion_initial_ratio": initial,
                      "deletion_48h_ratio": later})


@evaluator("syn-persistence")
def _persistence(ctx: Context, target: Target) -> Outcome:
    sim = rodent(ctx, "rat", 10.0, LONG_GRID, covariates=NAIVE)
    sp = excess(sim, "spine_density")
    top = float(sp.max())
    until = last_time(sim.t, sp >= 0.25 * top) / 24.0 if top > 0 else math.nan
    d5 = float(sp[sim.t.searchsorted(120.0)])
    d14 = float(sp[sim.t.searchsorted(336.0)])
    c = Checks()
    c.true("spines rise", top > 0, f"peak spine excess {fmt(top)} points")
    c.true("elevated at day 5", d5 >= 0.25 * top, f"excess at day 5 {fmt(d5)} >= 25% of peak")
    c.true("near baseline by day 14", d14 < 0.25 * top, f"excess at day 14 {fmt(d14)} < 25% of peak")
    return c.outcome({"duration_d": until, "excess_day5": d5, "excess_day14": d14, "peak_excess": top},
                     "duration = last time the excess is >= 25% of its peak")


@evaluator("syn-sv2a-human")
def _sv2a(ctx: Context, target: Target) -> Outcome:
    times = grid((0.0, 24.0, 49))
    cases = {
        "healthy": {**TYPICAL_TRD, "DIAG_HEALTHY": 1.0, "SYN_DEFICIT": 0.0, "MADRS0": 3.0},
        "no_deficit": {**TYPICAL_TRD, "SYN_DEFICIT": 0.0},
        "deficit": {**TYPICAL_TRD, "SYN_DEFICIT": 0.3},
    }
    res = {}
    for key, cov in cases.items():
        sim = ctx.run("human", [standard()], times, covariates=cov)
        res[f"change_{key}"] = sim.at("sv2a_index", 24.0) - sim.at("sv2a_index", 0.0)
    c = Checks()
    for key in ("healthy", "no_deficit"):
        c.true(key, res[f"change_{key}"] <= 1.0, f"{key} SV2A change {fmt(res[f'change_{key}'])} <= 1 point")
    c.true("deficit", res["change_deficit"] > 1.0, f"low-density SV2A change {fmt(res['change_deficit'])} > 1 point")
    return c.outcome(res, "change at 24 h in % of healthy density")
