"""Evaluators of the clinical test targets (use: test): published trials the model was never tuned to.

Each evaluator runs the trial as it was run: the published regimen, schedule, comparator and visit,
in a virtual population (population.py) of the kind the trial enrolled; no model parameter is
changed. Conventions:

- the virtual populations are those of the training targets (`trd`, `mdd`); covariates the model
  does not use (age, ethnicity) cannot make the elderly or Japanese trials differ from the others;
- an antidepressant the trial STARTED together with the study drug (TRANSFORM-1/2/3, ASPIRE I,
  Canuso 2018) is given to every arm as the model's SSRI (citalopram-like: 20 mg/day in week 1,
  40 mg/day after, about escitalopram 10 -> 20 mg). An antidepressant patients were already taking
  and kept (Daly 2018, Fava 2020, Japanese phase 2b, lanicemine, CP-101,606) is part of the baseline
  state and is not simulated (the patients were its non-responders). SUSTAIN-1 (40 weeks) omits its
  antidepressant in both arms to keep the run short;
- "difference" = mean recorded change from baseline, drug arm minus comparator arm (negative
  favours the drug); a quantitative pass means the simulated value lies within 1.96 published
  standard errors of the published value (inside the published 95% CI);
- a trial of a drug the model does not have is reported "not simulable" and fails.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
from scipy import stats

from ketasim.model.compounds import DRUGS
from ketasim.runtime.regimen import Dose
from ketasim.studies.validation.clinical import CLIN_GRID, KET_MID, MIDAZOLAM, change, responders
from ketasim.studies.validation.core import Checks, Context, Outcome, evaluator, fmt, grid
from ketasim.studies.validation.distance import standard_error
from ketasim.studies.validation.pk import TE, standard
from ketasim.studies.validation.population import Arm, Population
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
    return ctx.population(diagnosis, pairs, n=min(ctx.n_patients, n))


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


def esketamine(times: Sequence[float], devices: int) -> Dose:
    """Esketamine nasal spray: `devices` devices of 28 mg, 5 min apart, at each session."""
    return Dose("esketamine", "intranasal", tuple(times), amount_mg=28.0, sprays=devices)


# ------------------------------------------------------------------------------ IV racemic doses
def _fava_arms(ctx: Context) -> tuple[dict[float, Arm], Arm]:
    pop = ctx.population("trd", KET_MID)
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


# -------------------------------------------------------------------------- esketamine trials
def _esk_pop(ctx: Context, diagnosis: str = "trd") -> Population:
    return population(ctx, diagnosis, ESK_SSRI)


def _daly_arms(ctx: Context) -> tuple[dict[int, Arm], Arm]:
    pop = _esk_pop(ctx)
    sessions = (0.0, 3 * DAY)  # period 1: days 1 and 4, endpoint day 8
    arms = {mg: pop.arm(f"esketamine {mg} mg period 1", [esketamine(sessions, mg // 28)], ESK_GRID)
            for mg in (28, 56, 84)}
    return arms, pop.arm("placebo spray", [], ESK_GRID)


def _daly_at(ctx: Context, target: Target, t_h: float, label: str) -> Outcome:
    arms, pbo = _daly_arms(ctx)
    res = {f"difference_{mg}mg": difference(a, pbo, t_h) for mg, a in arms.items()}
    c = Checks()
    for key in target.value:
        within_ci(c, target, key, res[key])
    return c.outcome(res, f"{label} after the first session; existing antidepressant kept (not simulated)")


@evaluator("test-clin-daly-esketamine-2h")
def _daly2(ctx: Context, target: Target) -> Outcome:
    return _daly_at(ctx, target, 2.0, "2 h")


@evaluator("test-clin-daly-esketamine-24h")
def _daly24(ctx: Context, target: Target) -> Outcome:
    return _daly_at(ctx, target, 24.0, "24 h")


@evaluator("test-clin-daly-esketamine-day8")
def _daly8(ctx: Context, target: Target) -> Outcome:
    arms, pbo = _daly_arms(ctx)
    res = {f"difference_{mg}mg": difference(a, pbo, 7 * DAY) for mg, a in arms.items()}
    c = Checks()
    for key in target.value:
        within_ci(c, target, key, res[key])
    r = [res[f"difference_{mg}mg"] for mg in (28, 56, 84)]
    c.true("ascending dose-response", r[0] > r[1] > r[2],
           f"difference 28 mg {fmt(r[0])} > 56 mg {fmt(r[1])} > 84 mg {fmt(r[2])}")
    return c.outcome(res, "day 8, sessions on days 1 and 4")


def _transform_arms(ctx: Context, diagnosis: str = "trd") -> dict[str, Arm]:
    pop = _esk_pop(ctx, diagnosis)
    ssri = ssri_background(28)
    return {
        "placebo": pop.arm("placebo spray + new AD", ssri, ESK_GRID),
        "56": pop.arm("esketamine 56 mg + new AD", [esketamine(TWICE_WEEKLY, 2), *ssri], ESK_GRID),
        "84": pop.arm("esketamine 84 mg + new AD", [esketamine(TWICE_WEEKLY, 3), *ssri], ESK_GRID),
        # flexible dosing: 56 mg on day 1, then 84 mg (most patients were on 84 mg by day 25)
        "flex": pop.arm("esketamine flexible + new AD", [esketamine(TWICE_WEEKLY[:1], 2),
                                                          esketamine(TWICE_WEEKLY[1:], 3), *ssri], ESK_GRID),
    }


def _response(a: Arm, t_h: float) -> float:
    return float(responders(a, t_h).mean())


@evaluator("test-clin-transform1")
def _transform1(ctx: Context, target: Target) -> Outcome:
    arms = _transform_arms(ctx)
    rp = _response(arms["placebo"], DAY28)
    res = {"response_difference_56mg": _response(arms["56"], DAY28) - rp,
           "response_difference_84mg": _response(arms["84"], DAY28) - rp,
           "madrs_difference_56mg": difference(arms["56"], arms["placebo"], DAY28),
           "madrs_difference_84mg": difference(arms["84"], arms["placebo"], DAY28), "response_placebo": rp}
    c = Checks()
    for key in target.value:
        within_ci(c, target, key, res[key], "")
    return c.outcome(res, "day 28; both arms start the model's SSRI on day 1")


@evaluator("test-clin-transform2")
def _transform2(ctx: Context, target: Target) -> Outcome:
    arms = _transform_arms(ctx)
    res = {"madrs_difference": difference(arms["flex"], arms["placebo"], DAY28),
           "response_difference": _response(arms["flex"], DAY28) - _response(arms["placebo"], DAY28)}
    c = Checks()
    for key in target.value:
        within_ci(c, target, key, res[key], "")
    return c.outcome(res, "flexible dose as 56 mg on day 1 then 84 mg; both arms start the model's SSRI")


@evaluator("test-clin-transform3-elderly")
def _transform3(ctx: Context, target: Target) -> Outcome:
    arms = _transform_arms(ctx)
    res = {"madrs_difference": difference(arms["flex"], arms["placebo"], DAY28),
           "response_difference": _response(arms["flex"], DAY28) - _response(arms["placebo"], DAY28)}
    c = Checks()
    for key in target.value:
        within_ci(c, target, key, res[key], "")
    return c.outcome(res, "age does not enter the model: the elderly trial is simulated as TRANSFORM-2")


@evaluator("test-clin-esketamine-japan")
def _japan(ctx: Context, target: Target) -> Outcome:
    pop = _esk_pop(ctx)
    pbo = pop.arm("placebo spray", [], ESK_GRID)
    res = {f"difference_{mg}mg": difference(pop.arm(f"esketamine {mg} mg 4 weeks", [esketamine(TWICE_WEEKLY, mg // 28)],
                                                    ESK_GRID), pbo, DAY28) for mg in (28, 56, 84)}
    c = Checks()
    for key in target.value:
        within_ci(c, target, key, res[key])
    return c.outcome(res, "day 28; the lead-in antidepressant is kept and not simulated")


def _suicidal_arms(ctx: Context) -> tuple[Arm, Arm]:
    pop = _esk_pop(ctx, "mdd")
    ssri = ssri_background(28)
    return (pop.arm("esketamine 84 mg + SOC AD", [esketamine(TWICE_WEEKLY, 3), *ssri], ESK_GRID),
            pop.arm("placebo spray + SOC AD", ssri, ESK_GRID))


@evaluator("test-clin-canuso-suicidal")
def _canuso(ctx: Context, target: Target) -> Outcome:
    esk, pbo = _suicidal_arms(ctx)
    res = {"difference_4h": difference(esk, pbo, 4.0), "difference_24h": difference(esk, pbo, 24.0),
           "difference_day25": difference(esk, pbo, DAY * 24)}
    c = Checks()
    for key in target.value:
        within_ci(c, target, key, res[key])
    return c.outcome(res, "MDD population; standard of care as the model's SSRI started on day 1 in both arms")


@evaluator("test-clin-aspire1")
def _aspire(ctx: Context, target: Target) -> Outcome:
    esk, pbo = _suicidal_arms(ctx)
    res = {"difference_24h": difference(esk, pbo, 24.0)}
    c = Checks()
    within_ci(c, target, "difference_24h", res["difference_24h"])
    return c.outcome(res, "as Canuso 2018 (same regimen, larger trial)")


#: induction twice weekly (weeks 1-4), optimisation weekly (weeks 5-8) then every other week (9-16)
SUSTAIN_INDUCTION = (*TWICE_WEEKLY, *[DAY * 7 * w for w in (4, 5, 6, 7, 8, 10, 12, 14)])
#: maintenance every other week (weeks 17-31); randomised follow-up to week 32
SUSTAIN_MAINT = tuple(DAY * 7 * w for w in range(16, 31, 2))
SUSTAIN_VISITS = tuple(DAY * 7 * w for w in range(12, 33))
SUSTAIN_GRID = grid(extra=[0.0, *SUSTAIN_VISITS])


@evaluator("test-clin-sustain1-relapse")
def _sustain(ctx: Context, target: Target) -> Outcome:
    """16 weeks of esketamine 56 mg (twice weekly for 4 weeks, weekly to week 8, then every other
    week); stable remitters (MADRS <= 12 in 3 of weeks 13-16) then continue esketamine every other
    week or switch to placebo for 16 weeks; relapse = MADRS >= 22 at two consecutive weekly visits.
    The oral antidepressant, started with esketamine and continued in both arms, is not simulated
    (daily dosing over 32 weeks would take minutes); both arms lack it alike. Each nasal session
    costs seconds of integration, hence 56 mg (two devices) and every-other-week sessions, both
    options of the trial."""
    pop = population(ctx, "trd", frozenset({("esketamine", "intranasal")}), n=30)
    cont = pop.arm("esketamine continued", [esketamine(SUSTAIN_INDUCTION + SUSTAIN_MAINT, 2)], SUSTAIN_GRID)
    stop = pop.arm("esketamine stopped at week 16", [esketamine(SUSTAIN_INDUCTION, 2)], SUSTAIN_GRID)
    rec_c, rec_s = cont.recorded("MADRS"), stop.recorded("MADRS")
    weeks = [cont.index(DAY * 7 * w) for w in range(13, 17)]
    remit = (rec_c[:, weeks] <= 12).sum(axis=1) >= 3  # stable remission: <= 12 in 3 of the last 4 weeks
    after = [cont.index(DAY * 7 * w) for w in range(17, 33)]

    def relapsed(rec: np.ndarray) -> np.ndarray:
        hi = rec[:, after] >= 22
        return np.any(hi[:, 1:] & hi[:, :-1], axis=1)

    n = int(remit.sum())
    rc = float(relapsed(rec_c)[remit].mean()) if n else math.nan
    rs = float(relapsed(rec_s)[remit].mean()) if n else math.nan
    res = {"relapse_esketamine": rc, "relapse_placebo": rs, "stable_remitters": n,
           "relapse_ratio": rc / rs if rs > 0 else math.nan}
    c = Checks()
    c.true("stable remitters", n >= 3, f"{n} stable remitters of {pop.n} (at least 3 needed)")
    c.inside("relapse ratio (esketamine/placebo)", res["relapse_ratio"], *target.range["relapse_ratio"])
    within_ci(c, target, "relapse_placebo", rs, "")
    return c.outcome(res, "16 weeks of randomised follow-up (the trial's was longer); the same patients in both arms")


# --------------------------------------------------------------------- repeated IV racemic courses
@evaluator("test-clin-singh-frequency")
def _singh(ctx: Context, target: Target) -> Outcome:
    pop = population(ctx, "trd", frozenset({("ketamine", "iv")}))
    times = grid(extra=[0.0, DAY * 14, DAY * 15])
    twice = (0.0, 3 * DAY, 7 * DAY, 10 * DAY)
    thrice = (0.0, 2 * DAY, 4 * DAY, 7 * DAY, 9 * DAY, 11 * DAY)
    pbo = pop.arm("saline", [], times)
    res = {}
    for key, sched in (("twice", twice), ("thrice", thrice)):
        a = pop.arm(f"ketamine {key} weekly", [Dose("ketamine", "iv", sched, mg_per_kg=0.5, duration_h=TE)], times)
        res[f"difference_{key}"] = difference(a, pbo, DAY * 14)
    c = Checks()
    for key in target.value:
        within_ci(c, target, key, res[key])
    return c.outcome(res, "day 15 (the day-15 infusion not yet given); one placebo arm for both schedules")


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
    pbo = pop.arm("saline", [], times)
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


def _absent(drug: str, why: str) -> Outcome:
    if drug in DRUGS:
        return Outcome({}, False, f"{drug} is now in the model but this evaluator has not been written")
    return not_simulable(why)


@evaluator("test-clin-mk0657")
def _mk0657(ctx: Context, target: Target) -> Outcome:
    return _absent("mk0657", "the model has no MK-0657 (oral GluN2B NAM); traxoprodil is a different compound "
                             "with different PK")


@evaluator("test-clin-rapastinel")
def _rapastinel(ctx: Context, target: Target) -> Outcome:
    return _absent("rapastinel", "the model has no rapastinel (NMDA receptor glycine-site modulator)")


@evaluator("test-clin-nitrous-oxide")
def _n2o(ctx: Context, target: Target) -> Outcome:
    return _absent("nitrous_oxide", "the model has no nitrous oxide and no inhaled route")


@evaluator("test-clin-dextromethorphan-bupropion")
def _axs05(ctx: Context, target: Target) -> Outcome:
    return _absent("dextromethorphan", "the model has no dextromethorphan (nor bupropion's CYP2D6 inhibition)")
