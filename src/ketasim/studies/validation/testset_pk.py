"""Evaluators of the pharmacokinetic test targets (use: test): routes and studies not used in calibration.

The typical 70-kg subject (exposure layer only) receives the published dose; no parameter is changed.
Sublingual and oral absorption rates were set from Tmax values (Rolan 2014; Yanagihara 2003; Fanta
2015), so Tmax after those routes is not tested here; the concentrations are.
"""

from __future__ import annotations

from ketasim.runtime.regimen import Dose
from ketasim.studies.validation.core import Checks, Context, Outcome, auc, evaluator, grid, peak
from ketasim.studies.validation.pk import pk_run
from ketasim.studies.validation.targets import Target
from ketasim.studies.validation.testset_clinical import within_ci

PK_GRID = grid((0.0, 2.0, 121), (2.0, 8.0, 61), (8.0, 24.0, 17))


def _single(ctx: Context, route: str, mg: float) -> tuple[float, float, float, float]:
    """(ketamine Cmax ng/mL, its Tmax h, norketamine Cmax ng/mL, its Tmax h) after `mg` racemic HCl."""
    sim = pk_run(ctx, "human", [Dose("ketamine", route, (0.0,), amount_mg=mg)], PK_GRID)
    tk, ck = peak(sim.t, sim.out("plasma_ketamine"))
    tn, cn = peak(sim.t, sim.out("plasma_norketamine"))
    return ck, tk, cn, tn


@evaluator("test-pk-oral-25mg")
def _oral(ctx: Context, target: Target) -> Outcome:
    ck, tk, cn, tn = _single(ctx, "oral", 25.0)
    res = {"cmax_ketamine": ck, "tmax_ketamine": tk, "cmax_norketamine": cn, "tmax_norketamine": tn}
    c = Checks()
    for key in ("cmax_ketamine", "cmax_norketamine"):
        within_ci(c, target, key, res[key], "ng/mL")
    return c.outcome(res, "typical 70-kg subject, 25 mg racemic ketamine HCl by mouth")


@evaluator("test-pk-sublingual-25mg")
def _sublingual(ctx: Context, target: Target) -> Outcome:
    ck, tk, cn, tn = _single(ctx, "sublingual", 25.0)
    res = {"cmax_ketamine": ck, "tmax_ketamine": tk, "cmax_norketamine": cn}
    c = Checks()
    for key in ("cmax_ketamine", "cmax_norketamine"):
        within_ci(c, target, key, res[key], "ng/mL")
    return c.outcome(res, "typical 70-kg subject, 25 mg racemic ketamine HCl held under the tongue")


@evaluator("test-pk-oral-norketamine-auc")
def _yanagihara(ctx: Context, target: Target) -> Outcome:
    sim = pk_run(ctx, "human", [Dose("ketamine", "oral", (0.0,), amount_mg=50.0)], PK_GRID)
    m = sim.t <= 8.0
    res = {"auc_s_norketamine_0_8h": auc(sim.t[m], sim.out("plasma_s_norketamine")[m]),
           "auc_r_norketamine_0_8h": auc(sim.t[m], sim.out("plasma_r_norketamine")[m])}
    c = Checks()
    lo, hi = target.range
    for key, v in res.items():
        c.inside(key, v, lo, hi, "ng*h/mL")
    return c.outcome(res, "typical 70-kg subject, two 25-mg tablets")
