"""Evaluators of the clinical test targets (use: test): published trials the model was never tuned to.

Each evaluator runs the trial as it was run: the published regimen, schedule, comparator and visit,
in a virtual population (population.py) of the kind the trial enrolled; no model parameter is
changed. Conventions:

- the virtual populations are those of the training targets (`trd`, `mdd`); covariates the model
  does not use (age, ethnicity) cannot make the elderly or Japanese trials differ from the others;
  `trd` patients have 2 or more prior failed adequate antidepressant trials (PRIOR_FAILURES, the
  default TRD distribution: the inclusion criterion of TRANSFORM-1/2/3 and SUSTAIN-1), `mdd`
  patients none (Canuso 2018 and ASPIRE I did not require failed trials);
- an antidepressant the trial STARTED together with the study drug (TRANSFORM-1/2/3, ASPIRE I,
  Canuso 2018) is given to every arm as the model's SSRI (citalopram-like: 20 mg/day in week 1,
  40 mg/day after, about escitalopram 10 -> 20 mg). An antidepressant patients were already taking
  and kept (Daly 2018, Fava 2020, Japanese phase 2b, lanicemine, CP-101,606) is part of the baseline
  state and is not simulated (the patients were its non-responders). SUSTAIN-1 (40 weeks) omits its
  antidepressant in both arms to keep the run short;
- "difference" = mean recorded change from baseline, drug arm minus comparator arm (negative
  favours the drug); a quantitative pass means the simulated value lies within 1.96 published
  standard errors of the published value (inside the published 95% CI);
- a trial of a drug the model does not have is reported "not simulable" and fails; the trials of
  drugs given by mechanism (MK-0657, rapastinel, nitrous oxide, dextromethorphan-bupropion) are in
  testset_mechanisms.py.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from scipy import stats

from ketasim.runtime.regimen import Dose
from ketasim.studies.validation.clinical import CLIN_GRID, KET_MID, MIDAZOLAM, change, responders
from ketasim.studies.validation.core import Checks, Context, Outcome, evaluator, fmt, grid
from ketasim.studies.validation.distance import standard_error
from ketasim.studies.validation.pk import TE, standard
from ketasim.studies.validation.population import Arm, Population
from ketasim.studies.validation.population import population as virtual_population
from ketasim.studies.validation.stats import hedges_g
from ketasim.studies.validation.targets import Target

DAY = 24.0
Z95 = 1.959964
ESK_SSRI = frozenset({("esketamine", "intranasal"), ("ssri", "oral")})
#: visits of the esketamine trials: every 30 min to 4 h, then daily to day 29
ESK_GRID = grid((0.0, 4.0, 9), extra=[24.0, *[DAY * d for d in range(1, 29)]])
#: twice-weekly sessions of the 4-week induction (days 1, 4, 8, 11, 15, 18, 22, 25)
TWICE_WEEKLY = tuple(DAY * d for d in (0, 3, 7, 10, 14, 17, 21, 24))
DAY28 = DAY * 27  # day 28 of a trial whose first dose is on day 1


def not_simulable(reason: str) -> Outcome:
    """A trial the model cannot represent: reported, counted, and never a pass."""
    return Outcome({}, False, f"not simulable: {reason}")


def se_of(target: Target, key: str = "value") -> float:
    """The published SE of one value key (from the target's uncertainty)."""
    u = target.uncertainty
    spec = u if key == "value" else u[key]
    value = target.value if key == "value" else target.value[key]
    se, _ = standard_error(spec, float(value))
    if se is None:
        raise ValueError(f"{target.id}: no SE for {key}")
    return se


def within_ci(c: Checks, target: Target, key: str, sim: float, unit: str = "points") -> bool:
    """Simulated value within 1.96 published SE of the published value."""
    pub = float(target.value if key == "value" else target.value[key])
    return c.near(key, sim, pub, Z95 * se_of(target, key), unit)


def population(ctx: Context, diagnosis: str, pairs: frozenset[tuple[str, str]], n: int = 40) -> Population:
    return virtual_population(ctx, diagnosis, pairs, n=min(ctx.n_patients, n))


def mean_change(a: Arm, t_h: float, scale: str = "MADRS") -> float:
    return float(change(a, scale)[:, a.index(t_h)].mean())


def difference(a: Arm, b: Arm, t_h: float, scale: str = "MADRS") -> float:
    """Mean change (a) minus mean change (b) at t_h."""
    return mean_change(a, t_h, scale) - mean_change(b, t_h, scale)


def significant(g: float, n1: int, n2: int, alpha: float = 0.05) -> bool:
    """Would a two-sample t-test with the published arm sizes reach p < alpha at effect size g?"""
    t = abs(g) * math.sqrt(n1 * n2 / (n1 + n2))
    return t >= float(stats.t.ppf(1 - alpha / 2, n1 + n2 - 2))


def ssri_background(days: int) -> list[Dose]:
    """A newly started oral antidepressant: the model's SSRI, 20 mg/day in week 1, then 40 mg/day."""
    d = [DAY * k for k in range(days)]
    out = [Dose("ssri", "oral", tuple(d[:7]), amount_mg=20.0)]
    if days > 7:
        out.append(Dose("ssri", "oral", tuple(d[7:]), amount_mg=40.0))
    return out


def vehicle(route: str, times: Sequence[float]) -> Dose:
    """The placebo arm's vehicle sessions (saline infusion, placebo spray): no drug, one clinical contact each."""
    return Dose("placebo", route, tuple(times))


def esketamine(times: Sequence[float], devices: int) -> Dose:
    """Esketamine nasal spray: `devices` devices of 28 mg, 5 min apart, at each session."""
    return Dose("esketamine", "intranasal", tuple(times), amount_mg=28.0, sprays=devices)


# ------------------------------------------------------------------------------ IV racemic doses
def _fava_arms(ctx: Context) -> tuple[dict[float, Arm], Arm]:
    pop = virtual_population(ctx, "trd", KET_MID)
    arms = {mgkg: pop.arm("ketamine" if mgkg == 0.5 else f"ketamine {mgkg:g} mg/kg", [standard(mg_per_kg=mgkg)],
                          CLIN_GRID) for mgkg in (0.1, 0.2, 0.5, 1.0)}
    return arms, pop.arm("midazolam", [MIDAZOLAM], CLIN_GRID)


def _fava_g(a: Arm, mid: Arm) -> float:
    j = a.index(24.0)
    return hedges_g(change(a, "HAMD6")[:, j], change(mid, "HAMD6")[:, j])


@evaluator("test-clin-fava-low-dose")
def _fava_low(ctx: Context, target: Target) -> Outcome:
    arms, mid = _fava_arms(ctx)
    g = _fava_g(arms[0.1], mid)
    c = Checks()
    within_ci(c, target, "value", g, "")
    return c.outcome({"value": g, "d_day1_0.2mgkg": _fava_g(arms[0.2], mid)},
                     "HAM-D6 change at day 1, 0.1 mg/kg vs midazolam 0.045 mg/kg (TRD population)")


@evaluator("test-clin-fava-dose-pattern")
def _fava_pattern(ctx: Context, target: Target) -> Outcome:
    arms, mid = _fava_arms(ctx)
    sizes = {0.1: 18, 0.2: 20, 0.5: 22, 1.0: 20}
    res, sig = {}, {}
    for mgkg, a in arms.items():
        g = _fava_g(a, mid)
        res[f"d_day1_{mgkg:g}mgkg"] = g
        sig[mgkg] = g < 0 and significant(g, sizes[mgkg], 19)
    c = Checks()
    c.true("0.5 mg/kg superior", sig[0.5], f"0.5 mg/kg d {fmt(res['d_day1_0.5mgkg'])} significant at n = 22 vs 19")
    c.true("1.0 mg/kg superior", sig[1.0], f"1.0 mg/kg d {fmt(res['d_day1_1mgkg'])} significant at n = 20 vs 19")
    c.true("0.2 mg/kg not superior", not sig[0.2],
           f"0.2 mg/kg d {fmt(res['d_day1_0.2mgkg'])} not significant at n = 20 vs 19")
    return c.outcome(res, "two-sample t-test at the published arm sizes, HAM-D6 change at day 1")


# ------------------------------------------------------------------------- intranasal racemic
@evaluator("test-clin-lapidus-intranasal")
def _lapidus(ctx: Context, target: Target) -> Outcome:
    pop = population(ctx, "mdd", frozenset({("ketamine", "intranasal")}))
    times = grid(extra=[0.0, 0.67, 2.0, 24.0, 48.0, 72.0, 168.0])
    k = pop.arm("ketamine IN 50 mg", [Dose("ketamine", "intranasal", (0.0,), amount_mg=10.0, sprays=5)], times)
    p = pop.arm("saline IN", [], times)
    d = difference(k, p, 24.0)
    rk, rp = float(responders(k, 24.0).mean()), float(responders(p, 24.0).mean())
    c = Checks()
    within_ci(c, target, "difference", d)
    return c.outcome({"difference": d, "response_ketamine": rk, "response_saline": rp},
                     "5 applications of 10 mg 5 min apart; crossover, same patients both arms")


# --------------------------------------------------------------------- repeated IV racemic courses
@evaluator("test-clin-singh-frequency")
def _singh(ctx: Context, target: Target) -> Outcome:
    pop = population(ctx, "trd", frozenset({("ketamine", "iv")}))
    times = grid(extra=[0.0, DAY * 14, DAY * 15])
    twice = (0.0, 3 * DAY, 7 * DAY, 10 * DAY)
    thrice = (0.0, 2 * DAY, 4 * DAY, 7 * DAY, 9 * DAY, 11 * DAY)
    res = {}
    for key, sched in (("twice", twice), ("thrice", thrice)):
        a = pop.arm(f"ketamine {key} weekly", [Dose("ketamine", "iv", sched, mg_per_kg=0.5, duration_h=TE)], times)
        pbo = pop.arm(f"saline {key} weekly", [vehicle("iv", sched)], times)
        res[f"difference_{key}"] = difference(a, pbo, DAY * 14)
    c = Checks()
    for key in target.value:
        within_ci(c, target, key, res[key])
    return c.outcome(res, "day 15 (the day-15 infusion not yet given); saline on each schedule")


# -------------------------------------------------------------------------- suicidal ideation
@evaluator("test-clin-grunebaum-suicidal-ideation")
def _grunebaum(ctx: Context, target: Target) -> Outcome:
    pop = population(ctx, "mdd", KET_MID, n=60)
    k = pop.arm("ketamine", [standard()], CLIN_GRID)
    m = pop.arm("midazolam", [MIDAZOLAM], CLIN_GRID)
    j = k.index(24.0)
    d = -hedges_g(change(k, "suicidal_ideation")[:, j], change(m, "suicidal_ideation")[:, j])
    c = Checks()
    within_ci(c, target, "value", d, "")
    return c.outcome({"value": d}, "effect size on the MADRS suicidal-thoughts item (the trial used the SSI)")


# --------------------------------------------------------------------------- other enantiomers/routes
@evaluator("test-clin-leal-arketamine")
def _leal(ctx: Context, target: Target) -> Outcome:
    pop = population(ctx, "trd", frozenset({("arketamine", "iv")}))
    a = pop.arm("arketamine 0.5 mg/kg", [standard("arketamine")], CLIN_GRID)
    ch = mean_change(a, 24.0)
    c = Checks()
    within_ci(c, target, "value", ch)
    return c.outcome({"value": ch}, "open label: mean MADRS change at 24 h in the arketamine arm")


@evaluator("test-clin-domany-oral")
def _domany(ctx: Context, target: Target) -> Outcome:
    pop = population(ctx, "trd", frozenset({("ketamine", "oral")}))
    days = (0, 2, 4, 7, 9, 11, 14, 16, 18)  # thrice weekly for 21 days
    times = grid(extra=[0.0, DAY * 2, DAY * 6, DAY * 13, DAY * 20])
    k = pop.arm("oral ketamine 1 mg/kg", [Dose("ketamine", "oral", tuple(DAY * d for d in days), mg_per_kg=1.0)],
                times)
    p = pop.arm("oral placebo", [], times)
    res = {"ketamine_change_day21": mean_change(k, DAY * 20), "placebo_change_day21": mean_change(p, DAY * 20)}
    res["difference"] = res["ketamine_change_day21"] - res["placebo_change_day21"]
    c = Checks()
    c.inside("difference at day 21", res["difference"], *target.range["difference"], "points")
    return c.outcome(res)


# ---------------------------------------------------------------------- other NMDA-receptor drugs
LAN_DAYS = (0, 2, 4, 7, 9, 11, 14, 16, 18, 21, 28, 35, 49, 63, 77)  # 15 infusions over 12 weeks


@evaluator("test-clin-lanicemine-adjunctive")
def _lanicemine(ctx: Context, target: Target) -> Outcome:
    pop = population(ctx, "mdd", frozenset({("lanicemine", "iv")}), n=30)
    times = grid(extra=[0.0, *[DAY * 7 * w for w in range(1, 7)]])
    course = tuple(DAY * d for d in LAN_DAYS if d < 42)
    pbo = pop.arm("saline", [vehicle("iv", course)], times)
    res = {}
    for mg in (50, 100):
        a = pop.arm(f"lanicemine {mg} mg", [Dose("lanicemine", "iv", course, amount_mg=float(mg), duration_h=1.0)],
                    times)
        res[f"difference_{mg}mg_week6"] = difference(a, pbo, DAY * 42)
    c = Checks()
    for key, v in res.items():
        c.inside(key, v, -3, 3, "points")
    return c.outcome(res, "60-min infusions; ongoing antidepressant not simulated")


@evaluator("test-clin-traxoprodil")
def _traxoprodil(ctx: Context, target: Target) -> Outcome:
    pop = population(ctx, "trd", frozenset({("traxoprodil", "iv")}))
    times = grid(extra=[0.0, 24.0, DAY * 2, DAY * 4, DAY * 7])
    doses = [Dose("traxoprodil", "iv", (0.0,), mg_per_kg=0.75 * 1.5, duration_h=1.5),
             Dose("traxoprodil", "iv", (1.5,), mg_per_kg=0.15 * 6.5, duration_h=6.5)]
    t = pop.arm("CP-101,606", doses, times)
    p = pop.arm("placebo infusion", [], times)
    res = {"difference_day5": difference(t, p, DAY * 4),
           "hamd_response_drug": float(responders(t, DAY * 4, "HDRS17").mean()),
           "hamd_response_placebo": float(responders(p, DAY * 4, "HDRS17").mean())}
    c = Checks()
    within_ci(c, target, "difference_day5", res["difference_day5"])
    return c.outcome(res, "paroxetine background of both arms not simulated (its non-responders were randomised)")
