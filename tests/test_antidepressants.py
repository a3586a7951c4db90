"""Monoaminergic antidepressants: transporter occupancy by class, a slow bounded adaptation,
treatment resistance (prior failed trials) on the monoaminergic route only, STAR*D's margin, and a
mutation test of the STAR*D evaluator (docs/antidepressants.md)."""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from ketasim.runtime.build import build_model
from ketasim.runtime.engines.fast import simulate_batch
from ketasim.runtime.regimen import Dose, dose_events
from ketasim.studies.validation import evaluators as _registered  # noqa: F401
from ketasim.studies.validation.antidepressants import judge_stard, stard_outcomes
from ketasim.studies.validation.clinical import responders
from ketasim.studies.validation.core import Context, grid
from ketasim.studies.validation.population import population
from ketasim.studies.validation.targets import target_by_id

DAY, WEEK = 24.0, 168.0
DRUGS = {"escitalopram": 20.0, "sertraline": 100.0, "venlafaxine": 150.0, "nortriptyline": 75.0}
TIMES = np.array([0.0, DAY, 7 * DAY, *[WEEK * w for w in (2, 4, 6, 8, 12, 16)]])


FAILURES = (0.0, 2.0)


@lru_cache(maxsize=1)
def _all_courses() -> dict[float, dict[str, dict[str, np.ndarray]]]:
    """Typical patient, 16 weeks of each drug at a usual daily dose, without and with two prior failed
    trials: one batch (8 courses integrated together) and one model."""
    model = build_model("human", frozenset((d, "oral") for d in DRUGS), "default")
    days = tuple(DAY * d for d in range(16 * 7))
    events = [dose_events(Dose(d, "oral", days, amount_mg=mg), 70.0) for d, mg in DRUGS.items()]
    p = np.repeat(np.array(model.default_parameters, dtype=float)[:, None], len(DRUGS) * len(FAILURES), axis=1)
    for k, failures in enumerate(FAILURES):
        p[model.param_index["PRIOR_FAILURES"], k * len(DRUGS):(k + 1) * len(DRUGS)] = failures
    batch = simulate_batch(model, events * len(FAILURES), p, TIMES, keep_states=False)
    return {f: {d: {n: np.asarray(v)[k * len(DRUGS) + i] for n, v in batch.outputs.items()}
                for i, d in enumerate(DRUGS)} for k, f in enumerate(FAILURES)}


def courses(failures: float = 0.0) -> dict[str, dict[str, np.ndarray]]:
    """The courses of every drug for a typical patient with `failures` prior failed trials (0 or 2)."""
    return _all_courses()[failures]


def at(series: np.ndarray, t: float) -> float:
    return float(series[int(np.argmin(np.abs(TIMES - t)))])


def test_each_class_occupies_its_transporters() -> None:
    c = courses()
    for ssri in ("escitalopram", "sertraline"):
        assert at(c[ssri]["sert_occupancy"], 2 * WEEK) > 0.75 and at(c[ssri]["net_occupancy"], 2 * WEEK) < 0.1
    assert at(c["venlafaxine"]["sert_occupancy"], 2 * WEEK) > 0.75  # SNRI: SERT first, some NET
    nor = c["nortriptyline"]
    assert at(nor["net_occupancy"], 2 * WEEK) > 0.6 > at(nor["sert_occupancy"], 2 * WEEK)  # NET-preferring TCA


def test_onset_takes_weeks_and_the_effect_plateaus() -> None:
    for drug, out in courses().items():
        eff = out["antidepressant_effect"]
        late = at(eff, 12 * WEEK)
        assert at(eff, DAY) < 0.01 and at(eff, 7 * DAY) < 0.1 * late, drug  # nothing in the first week
        assert at(eff, 2 * WEEK) < 0.35 * late < at(eff, 6 * WEEK), drug  # weeks-long onset
        assert abs(at(eff, 16 * WEEK) - late) < 0.1 * late, drug  # plateau by weeks 12-16
        assert np.max(np.abs(out["mecp2_p"] - 1.0)) < 1e-6  # the route never drives MeCP2 induction


def test_prior_failures_lower_the_monoaminergic_effect() -> None:
    naive, resistant = courses(0.0), courses(2.0)
    for drug in DRUGS:
        a = at(naive[drug]["antidepressant_effect"], 8 * WEEK)
        assert at(resistant[drug]["antidepressant_effect"], 8 * WEEK) < 0.3 * a, drug


def test_prior_failures_leave_ketamine_alone() -> None:
    model = build_model("human", frozenset({("ketamine", "iv")}), "default")
    ev = [dose_events(Dose("ketamine", "iv", (0.0,), mg_per_kg=0.5, duration_h=40 / 60), 70.0)] * 2
    p = np.repeat(np.array(model.default_parameters, dtype=float)[:, None], 2, axis=1)
    p[model.param_index["PRIOR_FAILURES"], 1] = 4.0
    t = np.array([0.0, 2.0, 24.0, 7 * DAY])
    out = simulate_batch(model, ev, p, t, keep_states=False).outputs
    assert np.array_equal(np.asarray(out["MADRS"])[0], np.asarray(out["MADRS"])[1])


def test_trd_responds_to_an_ssri_less_than_mdd_by_the_stard_margin() -> None:
    """Week 8 of the model's SSRI (citalopram 20 -> 40 mg): MDD with no failed trial vs the same
    patients with 2 failed trials; STAR*D level 1 minus level 3 response is 0.32 (Rush 2006)."""
    ctx = Context(n_patients=40)
    days = [DAY * d for d in range(56)]
    doses = [Dose("ssri", "oral", tuple(days[:28]), amount_mg=20.0),
             Dose("ssri", "oral", tuple(days[28:]), amount_mg=40.0)]
    times = grid(extra=[0.0, DAY, 8 * WEEK])
    rates = {}
    for k in (0.0, 2.0):
        a = population(ctx, "mdd", frozenset({("ssri", "oral")}), n=40, failures=k).arm("ssri", doses, times)
        rates[k] = float(responders(a, 8 * WEEK).mean())
    assert rates[0.0] - rates[2.0] >= 0.15, rates


def test_mutation_without_resistance_fails_stard() -> None:
    """With no resistance (beta_res 0, rho_res 1: a prior failure changes nothing) every STAR*D level
    responds like level 1, and the evaluator fails on the later levels or the margin (the right values
    pass it: `ketasim validate --only clin-stard-levels`, docs/antidepressants.md)."""
    target = target_by_id("clin-stard-levels")
    bad = stard_outcomes(Context(n_patients=30), overrides={"beta_res": 0.0, "rho_res": 1.0})
    checks = judge_stard(bad, target)
    assert not checks.passed
    failed = {label for label, ok, _ in checks.items if not ok}
    assert failed & {"response_level3", "response_level4", "resistance margin"}, failed
    assert bad["response_level3"] > target.value["response_level3"] + 0.05  # later levels respond too well
