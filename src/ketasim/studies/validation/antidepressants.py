"""Evaluators of the monoaminergic-antidepressant training targets: STAR*D's levels and the
placebo response of antidepressant RCTs (docs/antidepressants.md).

STAR*D (Rush et al. 2006) gave one new treatment per level to the patients the previous level
failed; the model gives each level's drug to a virtual MDD population whose patients have
level - 1 prior failed adequate trials (the covariate PRIOR_FAILURES), 12 weeks of titrated
daily doses, weekly visits, and reads response (>= 50% reduction of the recorded MADRS) and
remission (MADRS <= 10) at week 12. Each level is a separate population, so a level's
non-specific response is that of a new course, lowered by resistance as the model says.
clin-contact-visits (Posternak & Zimmerman 2007) gives a 6-week placebo arm 4, 5 or 6 follow-up
visits, each one clinical contact (layers/symptoms/care.py), and reads the further HRSD reduction.
"""

from __future__ import annotations

from ketasim.runtime.regimen import CONTACT, SESSION, Dose
from ketasim.studies.validation.clinical import remitters, responders
from ketasim.studies.validation.core import Checks, Context, Outcome, evaluator, grid
from ketasim.studies.validation.population import Arm, population
from ketasim.studies.validation.targets import Target

DAY = 24.0
WEEK = 7 * DAY
STARD_WEEKS = 12
#: level -> (drug, [(first day, mg/day), ...]): the titrations of the STAR*D protocol (simplified)
STARD_LEVELS: dict[int, tuple[str, tuple[tuple[int, float], ...]]] = {
    1: ("ssri", ((0, 20.0), (28, 40.0))),  # citalopram 20 -> 40 mg (mean exit dose 41.8 mg)
    2: ("sertraline", ((0, 50.0), (14, 100.0), (42, 150.0))),  # switch to sertraline (exit about 136 mg)
    3: ("nortriptyline", ((0, 25.0), (7, 50.0), (14, 75.0), (28, 100.0))),  # switch to nortriptyline
    4: ("venlafaxine", ((0, 37.5), (7, 75.0), (14, 150.0), (28, 225.0))),  # venlafaxine XR (level 4 arm)
}
TOL_LEVEL = 0.10
MIN_MARGIN_1_3 = 0.15


def titration(drug: str, steps: tuple[tuple[int, float], ...], weeks: int) -> list[Dose]:
    """Daily oral doses of `drug`: each step (first day, mg/day) until the next step."""
    end = 7 * weeks
    out = []
    for j, (start, mg) in enumerate(steps):
        stop = steps[j + 1][0] if j + 1 < len(steps) else end
        days = tuple(DAY * d for d in range(start, min(stop, end)))
        if days:
            out.append(Dose(drug, "oral", days, amount_mg=mg))
    return out


def level_arm(ctx: Context, level: int, weeks: int = STARD_WEEKS, n: int = 60,
              overrides: dict[str, float] | None = None) -> Arm:
    """STAR*D level `level`: its drug for `weeks` in MDD patients with level - 1 prior failures."""
    drug, steps = STARD_LEVELS[level]
    pop = population(ctx, "mdd", frozenset({(drug, "oral")}), n=min(ctx.n_patients, n), failures=float(level - 1))
    times = grid(extra=[0.0, DAY, *[WEEK * w for w in range(1, weeks + 1)]])
    return pop.arm(f"STAR*D level {level}: {drug}", titration(drug, steps, weeks), times, overrides=overrides)


def stard_outcomes(ctx: Context, overrides: dict[str, float] | None = None, weeks: int = STARD_WEEKS
                   ) -> dict[str, float]:
    """Response and remission at the end of each level (and at week 8)."""
    res: dict[str, float] = {}
    for level in STARD_LEVELS:
        a = level_arm(ctx, level, weeks, overrides=overrides)
        res[f"response_level{level}"] = float(responders(a, WEEK * weeks).mean())
        res[f"remission_level{level}"] = float(remitters(a, WEEK * weeks).mean())
        if weeks >= 8:
            res[f"response_level{level}_week8"] = float(responders(a, WEEK * 8).mean())
            res[f"remission_level{level}_week8"] = float(remitters(a, WEEK * 8).mean())
    return res


def judge_stard(res: dict[str, float], target: Target) -> Checks:
    """The pass rule of clin-stard-levels: every level within TOL_LEVEL, and the level 1-3 margin."""
    c = Checks()
    for key, pub in target.value.items():
        c.near(key, res[key], float(pub), TOL_LEVEL)
    margin = res["response_level1"] - res["response_level3"]
    c.true("resistance margin", margin >= MIN_MARGIN_1_3,
           f"response level 1 - level 3 = {margin:.2f} >= {MIN_MARGIN_1_3} (published 0.32)")
    return c


@evaluator("clin-stard-levels")
def _stard(ctx: Context, target: Target) -> Outcome:
    res = stard_outcomes(ctx)
    return judge_stard(res, target).outcome(res, "week 12 of each level; week-8 values reported")


@evaluator("clin-placebo-ad-trials")
def _placebo(ctx: Context, target: Target) -> Outcome:
    pop = population(ctx, "mdd", frozenset({("ssri", "oral")}), n=min(ctx.n_patients, 120))
    a = pop.arm("placebo pill", [], grid(extra=[0.0, DAY, WEEK * 4, WEEK * 8]))
    r = float(responders(a, WEEK * 8).mean())
    c = Checks()
    c.inside("placebo response at week 8", r, *target.range)
    return c.outcome({"value": r, "remission": float(remitters(a, WEEK * 8).mean())},
                     "MDD population, no drug (its course is that of a placebo arm)")


#: Posternak & Zimmerman 2007: follow-up schedules of 6-week trials (weeks with a visit after baseline)
VISIT_SCHEDULES = {4: (1, 2, 4, 6), 5: (1, 2, 3, 4, 6), 6: (1, 2, 3, 4, 5, 6)}


def visit_arms(ctx: Context, n: int = 120) -> dict[int, Arm]:
    """A 6-week placebo arm of MDD patients with 4, 5 or 6 follow-up visits (each one clinical contact)."""
    pop = population(ctx, "mdd", frozenset({("ssri", "oral")}), n=min(ctx.n_patients, n))
    times = grid(extra=[0.0, *[WEEK * w for w in range(1, 7)]])
    return {k: pop.arm(f"placebo, {k} follow-up visits", [Dose(CONTACT, SESSION, tuple(WEEK * w for w in weeks),
                                                               duration_h=0.5)], times)
            for k, weeks in VISIT_SCHEDULES.items()}


def visit_effects(ctx: Context) -> dict[str, float]:
    """Further HRSD (HDRS17) reduction from an extra visit at week 3 (read at week 4) and at week 5 (week 6)."""
    arms = visit_arms(ctx)

    def mean(k: int, week: int) -> float:
        return float(arms[k].at("HDRS17", WEEK * week).mean())

    drop = mean(4, 0) - mean(4, 6)  # the placebo arm's whole reduction by week 6 (4 visits)
    return {"extra_visit_week3": mean(4, 4) - mean(5, 4), "extra_visit_week5": mean(5, 6) - mean(6, 6),
            "two_extra_visits": mean(4, 6) - mean(6, 6), "placebo_reduction_week6": drop,
            "baseline_hdrs": mean(4, 0)}


@evaluator("clin-contact-visits")
def _contact_visits(ctx: Context, target: Target) -> Outcome:
    res = visit_effects(ctx)
    c = Checks()
    for key in ("extra_visit_week3", "extra_visit_week5"):
        c.inside(key, res[key], *target.range[key])
    c.inside("two_extra_visits", res["two_extra_visits"], *target.range["two_extra_visits"])
    return c.outcome(res, "latent HDRS17 means of one MDD population under three visit schedules, no drug")
