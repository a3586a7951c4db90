"""Evaluators of the clinical test targets of drugs given by mechanism (compound files, docs/compounds.md).

MK-0657 (oral GluN2B NAM), rapastinel (IV NMDAR modulator), nitrous oxide (inhaled NMDAR inhibitor)
and dextromethorphan-bupropion (oral channel blocker with CYP2D6 inhibition), each run as published:
regimen, schedule, comparator and visit, in the virtual population of the kind the trial enrolled.
Conventions as in testset_clinical.py: no model parameter is changed; drug parameters come from the
compound files (published PK and pharmacology, or flagged A); an ongoing antidepressant the patients
kept is part of the baseline state; "difference" = mean change, drug arm minus comparator arm.
"""

from __future__ import annotations

from ketasim.runtime.regimen import Dose
from ketasim.studies.validation.clinical import change
from ketasim.studies.validation.core import Checks, Context, Outcome, evaluator, fmt, grid
from ketasim.studies.validation.stats import hedges_g
from ketasim.studies.validation.targets import Target
from ketasim.studies.validation.testset_clinical import DAY, difference, population, significant, within_ci


def _g(a: object, b: object, t_h: float, scale: str) -> float:
    """Hedges' g of the change from baseline at t_h, arm a vs arm b (negative favours a)."""
    j = a.index(t_h)  # type: ignore[attr-defined]
    return hedges_g(change(a, scale)[:, j], change(b, scale)[:, j])  # type: ignore[arg-type]


@evaluator("test-clin-mk0657")
def _mk0657(ctx: Context, target: Target) -> Outcome:
    """Ibrahim et al. 2012: MK-0657 4 mg/day, then 8 mg/day, for 12 days vs placebo (crossover, n = 5)."""
    pop = population(ctx, "trd", frozenset({("mk0657", "oral")}))
    days = [DAY * d for d in range(12)]
    doses = [Dose("mk0657", "oral", tuple(days[:6]), amount_mg=4.0), Dose("mk0657", "oral", tuple(days[6:]),
                                                                         amount_mg=8.0)]
    times = grid(extra=[0.0, DAY * 4, DAY * 7, DAY * 11])
    mk = pop.arm("MK-0657 4-8 mg/day", doses, times)
    pbo = pop.arm("placebo capsules", [], times)
    res = {"madrs_difference_day12": difference(mk, pbo, DAY * 11),
           "hdrs_difference_day5": difference(mk, pbo, DAY * 4, "HDRS17"),
           "bdi_difference_day5": difference(mk, pbo, DAY * 4, "BDI")}
    g_madrs, g_hdrs = _g(mk, pbo, DAY * 11, "MADRS"), _g(mk, pbo, DAY * 4, "HDRS17")
    c = Checks()
    c.true("MADRS not significant (primary)", not (g_madrs < 0 and significant(g_madrs, 5, 5)),
           f"MADRS d {fmt(g_madrs)} at day 12, n = 5 per arm")
    c.true("HAM-D significant from day 5", g_hdrs < 0 and significant(g_hdrs, 5, 5),
           f"HDRS-17 d {fmt(g_hdrs)} at day 5, n = 5 per arm")
    return c.outcome(res, "4 mg/day days 1-6 then 8 mg/day (titration assumed); the model's HAM-D and BDI follow "
                          "MADRS, so they cannot separate as the trial's scales did")


@evaluator("test-clin-rapastinel")
def _rapastinel(ctx: Context, target: Target) -> Outcome:
    """Phase 3 (Allergan 2019): rapastinel 225 or 450 mg IV weekly for 3 weeks vs placebo, adjunctive."""
    pop = population(ctx, "mdd", frozenset({("rapastinel", "iv")}))
    weekly = (0.0, DAY * 7, DAY * 14)
    times = grid(extra=[0.0, DAY, DAY * 7, DAY * 14, DAY * 21])
    pbo = pop.arm("saline bolus", [], times)
    res, c = {}, Checks()
    for mg in (225, 450):
        a = pop.arm(f"rapastinel {mg} mg", [Dose("rapastinel", "iv", weekly, amount_mg=float(mg))], times)
        res[f"difference_{mg}mg_week3"] = difference(a, pbo, DAY * 21)
        g = _g(a, pbo, DAY * 21, "MADRS")
        c.true(f"{mg} mg not superior", not (g < 0 and significant(g, 200, 200)),
               f"d {fmt(g)} at week 3, about 200 patients per arm")
    return c.outcome(res, "IV bolus (about 1-2 min); ongoing antidepressant not simulated")


@evaluator("test-clin-nitrous-oxide")
def _n2o(ctx: Context, target: Target) -> Outcome:
    """Nagele et al. 2015: 50% N2O for 1 h vs 50% N2/O2 (crossover, TRD, n = 20); HDRS change at 24 h."""
    pop = population(ctx, "trd", frozenset({("nitrous_oxide", "inhaled")}))
    times = grid(extra=[0.0, 1.0, 2.0, 24.0])
    n2o = pop.arm("N2O 50% 1 h", [Dose("nitrous_oxide", "inhaled", (0.0,), duration_h=1.0, inspired_fraction=0.5)],
                  times)
    pbo = pop.arm("N2/O2 placebo gas", [], times)
    d = difference(n2o, pbo, 24.0, "HDRS17")
    c = Checks()
    within_ci(c, target, "value", d)
    return c.outcome({"value": d, "madrs_difference_24h": difference(n2o, pbo, 24.0)},
                     "HDRS-17 of the model for the trial's HDRS-21; inspired fraction held for 1 h")


@evaluator("test-clin-dextromethorphan-bupropion")
def _axs05(ctx: Context, target: Target) -> Outcome:
    """GEMINI (Iosifescu 2022): 45/105 mg once daily days 1-3, then twice daily, 6 weeks vs placebo."""
    pop = population(ctx, "mdd", frozenset({("dextromethorphan-bupropion", "oral")}))
    once = tuple(DAY * d for d in range(3))
    twice = tuple(t for d in range(3, 42) for t in (DAY * d, DAY * d + 12.0))
    doses = [Dose("dextromethorphan-bupropion", "oral", once + twice, amount_mg=45.0)]
    times = grid(extra=[0.0, DAY * 7, DAY * 14, DAY * 42])
    a = pop.arm("AXS-05", doses, times)
    pbo = pop.arm("placebo tablets", [], times)
    d = difference(a, pbo, DAY * 42)
    c = Checks()
    within_ci(c, target, "value", d)
    return c.outcome({"value": d, "difference_week1": difference(a, pbo, DAY * 7),
                      "difference_week2": difference(a, pbo, DAY * 14)},
                     "DXM exposure under bupropion's CYP2D6 inhibition (compound file); bupropion's own "
                     "noradrenaline/dopamine reuptake inhibition and DXM's sigma-1 agonism are not modelled")
