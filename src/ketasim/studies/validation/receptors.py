"""Evaluators of the molecular-target targets: potencies, trapping, Mg2+ shift, HCN1, LHb block.

In-vitro targets run the model's targets layer under the assay's clamped conditions (assay.py):
recombinant subunits, set Mg2+, agonist bath and washout. The resting-minis target uses
`Context.bath`: the whole tissue model with unbound drug clamped at clinical concentrations.
"""

from __future__ import annotations

import math

import numpy as np

from ketasim.runtime.regimen import Dose
from ketasim.studies.validation import assay
from ketasim.studies.validation.core import (
    Checks,
    Context,
    MissingOutputError,
    Outcome,
    band,
    evaluator,
    fmt,
    grid,
    last_time,
    peak,
)
from ketasim.studies.validation.pk import TE, pk_run, standard
from ketasim.studies.validation.targets import Target

BATH_H = 1.0  # exposure time of the in-vitro bath, h
#: analyte -> its name in the assay, for the affinity ordering (HNK: functional, fully Mg2+-competitive)
ASSAY_NAMES = {"K_S": "s_ketamine", "K_R": "r_ketamine", "NK_S": "s_norketamine", "NK_R": "r_norketamine",
               "DHNK_S": "s_dhnk", "DHNK_R": "r_dhnk", "HNK_R": "2r6r_hnk"}
ASSAY_NOTE = "the model's targets layer in the assay: recombinant GluN2A, 0 Mg2+, agonist-bathed"


@evaluator("tgt-s-r-potency")
def _s_r(ctx: Context, target: Target) -> Outcome:
    s, r = assay.ic50("s_ketamine", "2A", 0.0), assay.ic50("r_ketamine", "2A", 0.0)
    c = Checks()
    c.inside("IC50(R)/IC50(S)", r / s, *band(target))
    return c.outcome({"ic50_s_uM": s, "ic50_r_uM": r, "ratio": r / s}, ASSAY_NOTE)


@evaluator("tgt-affinity-ordering")
def _affinity(ctx: Context, target: Target) -> Outcome:
    ic = {a: assay.ic50(name, "2A", 0.0) for a, name in ASSAY_NAMES.items()}
    c = Checks()
    for a, name in ASSAY_NAMES.items():
        c.inside(a, ic[a], *band(target, name), "uM")
    c.true("order", ic["K_S"] < ic["K_R"] <= ic["NK_S"] < ic["NK_R"] < min(ic["DHNK_S"], ic["DHNK_R"], ic["HNK_R"]),
           "order S-K < R-K <= S-NK < R-NK < DHNK, HNK: " + " < ".join(fmt(ic[a]) for a in ASSAY_NAMES))
    return c.outcome({f"ic50_{a}_uM": v for a, v in ic.items()}, ASSAY_NOTE)


@evaluator("tgt-hnk-no-nmdar-block")
def _hnk_block(ctx: Context, target: Target) -> Outcome:
    sim = ctx.run("human", [standard()], grid((0.0, 12.0, 145), (12.0, 48.0, 37), extra=[TE]))
    tmax, mx = peak(sim.t, sim.out("nmdar_block_hnk"))
    c = Checks()
    c.inside("peak HNK-attributable block", mx, 0.0, 0.01, "fraction")
    return c.outcome({"peak_block_hnk": mx, "time_h": tmax})


#: the Mealing 1999 compounds (target keys) and the single blocker each stands for in the assay
TRAPPING = {"lanicemine": "lanicemine", "memantine": "memantine", "ketamine": "s_ketamine", "mk801": "mk801"}


@evaluator("tgt-trapping-ordering")
def _trapping(ctx: Context, target: Target) -> Outcome:
    """80% block, then drug and agonist removed for 120 s: fraction of block left."""
    res = {name: assay.trapped_fraction(compound, 120.0, 0.8) for name, compound in TRAPPING.items()}
    c = Checks()
    for name, value in res.items():
        c.inside(name, value, *band(target, name))
    order = list(res.values())
    c.true("order", all(a < b for a, b in zip(order, order[1:], strict=False)),
           "order lanicemine < memantine < ketamine < MK-801: " + " < ".join(fmt(v) for v in order))
    return c.outcome(res, "the model's targets layer in the assay (Mealing protocol: agonist and drug removed)")


#: the published rule: in 1 mM Mg2+, IC50(2A or 2B) is at least this many times IC50(2C) and IC50(2D)
MG_RATIO_MIN = {"2C": 2.0, "2D": 1.5}


@evaluator("tgt-mg-subunit-shift")
def _mg_shift(ctx: Context, target: Target) -> Outcome:
    """Racemic ketamine IC50 by GluN2 subunit in 0 and 1 mM Mg2+ (recombinant receptors)."""
    ic = {sub: assay.ic50("ketamine", sub, 1.0) for sub in ("2A", "2B", "2C", "2D")}
    ic0 = {sub: assay.ic50("ketamine", sub, 0.0) for sub in ("2A", "2B", "2C", "2D")}
    ab_min = min(ic["2A"], ic["2B"])  # the rule must hold for 2A and for 2B
    sim = {**{f"ic50_{k}_mg1_uM": v for k, v in ic.items()}, **{f"ic50_{k}_mg0_uM": v for k, v in ic0.items()}}
    c = Checks()
    for sub, least in MG_RATIO_MIN.items():
        ratio = ab_min / ic[sub]
        c.true(f"2A/2B vs {sub}", ratio >= least, f"IC50(2A, 2B)/IC50({sub}) >= {fmt(ratio)} >= {least:g}")
        sim[f"ratio_2ab_{sub.lower()}"] = ratio
    return c.outcome(sim, "the model's targets layer in the assay: recombinant subunits")


def clinical_unbound(ctx: Context) -> tuple[dict[str, float], float]:
    """Peak unbound brain S- and R-ketamine after the standard infusion, and steady-state unbound
    memantine at 20 mg/day (mean over day 28), both from the model's own pharmacokinetics."""
    ket = pk_run(ctx, "human", [standard()], grid((0.0, 3.0, 361)))
    cu_s = ket.state("Ce_K_S") * ket.param("fu_K")
    cu_r = ket.state("Ce_K_R") * ket.param("fu_K")
    i = int(np.argmax(cu_s + cu_r))
    days = tuple(24.0 * d for d in range(28))
    mem = pk_run(ctx, "human", [Dose("memantine", "oral", days, amount_mg=20.0)],
                 grid((0.0, 26 * 24.0, 27), (27 * 24.0, 28 * 24.0, 49)))
    cu_mem = mem.state("Ce_MEM") * mem.param("fu_MEM")
    last = mem.t >= 27 * 24.0
    return {"K_S": float(cu_s[i]), "K_R": float(cu_r[i])}, float(np.mean(cu_mem[last]))


@evaluator("tgt-resting-minis-ketamine-vs-memantine")
def _resting_minis(ctx: Context, target: Target) -> Outcome:
    ket_cu, mem_cu = clinical_unbound(ctx)
    k, _ = ctx.bath("human", ket_cu, BATH_H)
    mm, _ = ctx.bath("human", {"MEM": mem_cu}, BATH_H, drugs=("memantine",))
    if "nmdar_block_rest" not in k:
        raise MissingOutputError("nmdar_block_rest")
    kb, mb = k["nmdar_block_rest"], mm["nmdar_block_rest"]
    sim = {"ketamine_unbound_uM": sum(ket_cu.values()), "memantine_unbound_uM": mem_cu,
           "rest_block_ketamine": kb, "rest_block_memantine": mb}
    if "p_eef2" in k:
        sim.update(p_eef2_ketamine=k["p_eef2"], p_eef2_memantine=mm["p_eef2"])
    c = Checks()
    c.true("memantine spares minis", mb < kb / 3,
           f"resting-mini block memantine {fmt(mb)} < 1/3 of ketamine {fmt(kb)}")
    return c.outcome(sim)


@evaluator("tgt-hcn1-anaesthetic-only")
def _hcn1(ctx: Context, target: Target) -> Outcome:
    times = grid((0.0, 3.0, 361), extra=[TE])
    sub = ctx.run("human", [standard()], times)
    ana = ctx.run("human", [Dose("ketamine", "iv", (0.0,), mg_per_kg=2.0)], times)
    a = float(sub.out("hcn1_inhibition").max())
    b = float(ana.out("hcn1_inhibition").max())
    c = Checks()
    c.inside("antidepressant dose", a, 0.0, 0.1, "fraction")
    c.inside("anaesthetic dose", b, 0.25, 0.7, "fraction")
    return c.outcome({"antidepressant_dose": a, "anaesthetic_dose": b})


def _duration(t: np.ndarray, y: np.ndarray) -> float:
    """Last time y is at least half its peak (h)."""
    return last_time(t, y >= 0.5 * y.max()) if y.max() > 0 else math.nan


@evaluator("tgt-lhb-trapping-duration")
def _lhb(ctx: Context, target: Target) -> Outcome:
    times = grid((0.0, 2.0, 241), (2.0, 72.0, 281))
    dose = [Dose("ketamine", "ip", (0.0,), mg_per_kg=10.0)]
    base = ctx.run("mouse", dose, times)
    drive = ctx.run("mouse", dose, times, overrides={"lhb_drive": 1.0})
    block = _duration(base.t, base.out("nmdar_block_lhb"))
    plasma = _duration(base.t, base.out("plasma_ketamine"))
    driven = _duration(drive.t, drive.out("nmdar_block_lhb"))
    c = Checks()
    c.inside("LHb block duration", block, 12, 36, "h")
    c.true("outlasts plasma", block - plasma >= 12,
           f"block outlasts plasma drug by {fmt(block - plasma)} h >= 12")
    c.true("activity shortens", driven < block, f"with LHb drive {fmt(driven)} h < {fmt(block)} h")
    return c.outcome({"block_duration_h": block, "plasma_duration_h": plasma, "driven_duration_h": driven},
                     "duration = last time block >= half its peak")
