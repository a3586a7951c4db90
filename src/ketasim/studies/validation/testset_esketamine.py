"""Evaluators of the esketamine test targets (use: test): Daly 2018, TRANSFORM-1/2/3, the Japanese
phase 2b, Canuso 2018, ASPIRE I and SUSTAIN-1. Conventions as in testset_clinical.py.
"""

from __future__ import annotations

import math

import numpy as np

from ketasim.studies.validation.clinical import responders
from ketasim.studies.validation.core import Checks, Context, Outcome, evaluator, fmt, grid
from ketasim.studies.validation.population import Arm, Population
from ketasim.studies.validation.targets import Target
from ketasim.studies.validation.testset_clinical import (
    DAY,
    DAY28,
    ESK_GRID,
    ESK_SSRI,
    TWICE_WEEKLY,
    difference,
    esketamine,
    population,
    ssri_background,
    vehicle,
    within_ci,
)

#: the placebo arms' twice-weekly placebo-spray sessions (clinical contacts like the active arms')
PLACEBO_SPRAYS = vehicle("intranasal", TWICE_WEEKLY)


# -------------------------------------------------------------------------- esketamine trials
def _esk_pop(ctx: Context, diagnosis: str = "trd") -> Population:
    return population(ctx, diagnosis, ESK_SSRI)


def _daly_arms(ctx: Context) -> tuple[dict[int, Arm], Arm]:
    pop = _esk_pop(ctx)
    sessions = (0.0, 3 * DAY)  # period 1: days 1 and 4, endpoint day 8
    arms = {mg: pop.arm(f"esketamine {mg} mg period 1", [esketamine(sessions, mg // 28)], ESK_GRID)
            for mg in (28, 56, 84)}
    return arms, pop.arm("placebo spray", [vehicle("intranasal", sessions)], ESK_GRID)


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
        "placebo": pop.arm("placebo spray + new AD", [PLACEBO_SPRAYS, *ssri], ESK_GRID),
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


def _flexible_vs_placebo(ctx: Context, target: Target, note: str) -> Outcome:
    """TRANSFORM-2/3: flexible-dose esketamine vs placebo sprays at day 28, both arms on the SSRI."""
    arms = _transform_arms(ctx)
    res = {"madrs_difference": difference(arms["flex"], arms["placebo"], DAY28),
           "response_difference": _response(arms["flex"], DAY28) - _response(arms["placebo"], DAY28)}
    c = Checks()
    for key in target.value:
        within_ci(c, target, key, res[key], "")
    return c.outcome(res, note)


@evaluator("test-clin-transform2")
def _transform2(ctx: Context, target: Target) -> Outcome:
    return _flexible_vs_placebo(ctx, target, "flexible dose as 56 mg on day 1 then 84 mg; both arms start the "
                                             "model's SSRI")


@evaluator("test-clin-transform3-elderly")
def _transform3(ctx: Context, target: Target) -> Outcome:
    return _flexible_vs_placebo(ctx, target, "age does not enter the model: the elderly trial is simulated as "
                                             "TRANSFORM-2")


@evaluator("test-clin-esketamine-japan")
def _japan(ctx: Context, target: Target) -> Outcome:
    pop = _esk_pop(ctx)
    pbo = pop.arm("placebo spray", [PLACEBO_SPRAYS], ESK_GRID)
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
            pop.arm("placebo spray + SOC AD", [PLACEBO_SPRAYS, *ssri], ESK_GRID))


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
    stop = pop.arm("esketamine stopped at week 16", [esketamine(SUSTAIN_INDUCTION, 2),
                                                     vehicle("intranasal", SUSTAIN_MAINT)], SUSTAIN_GRID)
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


