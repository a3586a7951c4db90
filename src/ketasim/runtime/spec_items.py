"""Regimen items and covariate distributions of a trial spec, checked and in internal units.

Part of step 2 of reading a spec (ketasim.runtime.spec): times in hours, doses in mg or mg/kg as
`Dose` objects, with the dose bounds and the bound on dose times of ketasim.runtime.limits.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from ketasim.layers.symptoms.scales import DEPRESSION_SCALES, SCALES
from ketasim.model.compounds import get_drug
from ketasim.model.errors import UserError
from ketasim.model.units import parse_quantity, ureg
from ketasim.runtime import limits as lim
from ketasim.runtime.patients import DEFAULT_BASELINE, Distribution, default_prior_failures
from ketasim.runtime.regimen import INHALED, INTERVENTIONS, PLACEBO, SESSION, SESSION_H, Dose, parse_inspired_fraction
from ketasim.runtime.spec_schema import (
    BaselineModel,
    DistributionModel,
    DropoutModel,
    EndpointModel,
    RegimenItemModel,
)


@dataclass(frozen=True)
class Baseline:
    """Baseline severity on `scale`, truncated to [low, high] (whole-number scores)."""

    scale: str
    mean: float
    sd: float
    low: float
    high: float


def _time(text: Any, path: str) -> float:
    value = parse_quantity(text, path, "h", "24 h")
    if value < 0:
        raise UserError(path, f"times are measured from time zero and cannot be negative, got {text!r}")
    return value


def _positive_time(text: Any, path: str) -> float:
    value = parse_quantity(text, path, "h", "3.5 d")
    if not value > 0:
        raise UserError(path, f"must be a positive time such as \"3.5 d\", got {text!r}")
    return value


def _dose_amount(text: Any, path: str) -> tuple[float | None, float | None]:
    """(mg, None) for "84 mg" or (None, mg/kg) for "0.5 mg/kg"; other dimensions are errors."""
    example = "\"0.5 mg/kg\" or \"84 mg\""
    if isinstance(text, str):
        try:
            q = ureg.Quantity(text.strip())
            dimensionless = bool(getattr(q, "dimensionless", False))  # may overflow for a huge number
        except Exception:
            q, dimensionless = None, False
        if q is not None and dimensionless and "/" in text:
            value = parse_quantity(text, path, "mg/kg", "0.5 mg/kg")
            return None, value
        if q is not None and hasattr(q, "dimensionality") and q.dimensionality != ureg.mg.dimensionality:
            raise UserError(path, f"{text!r} is not a dose; give mg per administration or mg/kg, e.g. {example}")
    return parse_quantity(text, path, "mg", "84 mg"), None


def _item_kind(item: RegimenItemModel, path: str) -> tuple[str, str]:
    """(drug or intervention, route) of a regimen item; a drug needs a route, an intervention none."""
    if item.intervention is not None:
        if item.intervention not in INTERVENTIONS:
            raise UserError(f"{path}.intervention", f"unknown intervention {item.intervention!r}; use one of "
                                                    f"{', '.join(INTERVENTIONS)}")
        for name in ("drug", "route", "dose", "sprays", "spray_interval", "salt"):
            if getattr(item, name) is not None:
                raise UserError(f"{path}.{name}", f"{item.intervention} is not a drug: remove `{name}` "
                                                  "(give the session times and, optionally, duration)")
        return item.intervention, SESSION
    for name in ("drug", "route"):
        if getattr(item, name) is None:
            raise UserError(f"{path}.{name}", "required field is missing; add it (or write `intervention: "
                                              "psychotherapy` for sessions)")
    assert item.drug is not None and item.route is not None
    return item.drug, item.route


def _regimen_item(item: RegimenItemModel, path: str, end_h: float, species: str = "human") -> Dose:
    inspired: float | None = None
    drug, route = _item_kind(item, path)
    if drug in INTERVENTIONS:
        amount_mg, mg_per_kg = None, None
    elif item.drug == PLACEBO:
        if item.dose is not None:
            raise UserError(f"{path}.dose", "a placebo is a vehicle without drug: remove `dose` "
                                            "(keep route, sprays and the schedule)")
        amount_mg, mg_per_kg = None, None
    elif item.dose is None:
        raise UserError(f"{path}.dose", "required field is missing; add e.g. dose: \"0.5 mg/kg\" "
                                        "(or drug: placebo for a vehicle without drug)")
    elif item.route == INHALED:
        amount_mg, mg_per_kg = None, None
        inspired = parse_inspired_fraction(item.dose, f"{path}.dose")
    else:
        amount_mg, mg_per_kg = _dose_amount(item.dose, f"{path}.dose")
    dose_value = amount_mg if amount_mg is not None else mg_per_kg
    if dose_value is not None and not dose_value > 0:
        raise UserError(f"{path}.dose", f"the dose must be positive, got {item.dose!r}")
    if drug not in INTERVENTIONS and drug != PLACEBO and route != INHALED:
        lim.check_dose(drug, route, species, amount_mg, mg_per_kg, f"{path}.dose")
    duration = 0.0 if item.duration is None else _time(item.duration, f"{path}.duration")
    if drug in INTERVENTIONS and item.duration is None:
        duration = SESSION_H
    schedule = [n for n in ("start", "every", "count") if getattr(item, n) is not None]
    if item.at is not None and schedule:
        raise UserError(f"{path}.{schedule[0]}", "give either `at` (explicit times) or a schedule "
                                                  "(start, every, count), not both")
    if item.at is not None:
        at_list = item.at if isinstance(item.at, list) else [item.at]
        if not at_list:
            raise UserError(f"{path}.at", "the list of dose times is empty; give at least one, e.g. [\"0 d\"]")
        times = [_time(t, f"{path}.at[{i}]") for i, t in enumerate(at_list)]
        lim.check_dose_times(len(times), f"{path}.at")
        if len(set(times)) != len(times):
            raise UserError(f"{path}.at", "the same dose time is listed twice")
        where = f"{path}.at"
    elif schedule:
        start = 0.0 if item.start is None else _time(item.start, f"{path}.start")
        if item.count is not None and item.count < 1:
            raise UserError(f"{path}.count", f"count must be at least 1, got {item.count}")
        if item.every is None:
            if item.count not in (None, 1):
                raise UserError(f"{path}.every", "several doses need an interval: add `every`, e.g. \"3.5 d\"")
            times = [start]
        else:
            every = _positive_time(item.every, f"{path}.every")
            if item.count is None:  # until the trial ends
                n = int(math.floor((end_h - start) / every + 1e-9)) + 1 if start <= end_h else 1
            else:
                n = item.count
            lim.check_dose_times(n, f"{path}.count" if item.count is not None else f"{path}.every")
            times = [start + k * every for k in range(max(n, 1))]
        where = f"{path}.count" if item.count is not None else f"{path}.start"
    else:
        raise UserError(path, "no dose time: add `at: [\"0 d\"]` or a schedule (start, every, count)")
    late = [t for t in times if t > end_h + 1e-9]
    if late:
        raise UserError(where, f"a dose at {late[0]:g} h is after the trial ends ({end_h:g} h, the last "
                               "endpoint time); remove it or add a later `duration` to the spec")
    sprays = 1 if item.sprays is None else item.sprays
    interval = 5.0 / 60.0 if item.spray_interval is None else _time(item.spray_interval, f"{path}.spray_interval")
    if item.spray_interval is not None and item.sprays is None:
        raise UserError(f"{path}.spray_interval", "spray_interval needs `sprays` (how many sprays or devices)")
    dose = Dose(drug=drug, route=route, times_h=tuple(times), amount_mg=amount_mg,
                mg_per_kg=mg_per_kg, duration_h=duration, sprays=sprays, spray_interval_h=interval,
                salt=item.salt, field=path, inspired_fraction=inspired)
    if item.salt is not None and drug != PLACEBO:
        try:
            get_drug(drug).base_fraction(route, item.salt)
        except UserError as exc:
            raise UserError(f"{path}.salt", exc.message) from None
    return dose


def _distribution(model: DistributionModel | None, path: str, unit: str, example: str,
                  default: Distribution, positive: bool) -> Distribution:
    if model is None:
        return default
    mean = parse_quantity(model.mean, f"{path}.mean", unit, example)
    sd = parse_quantity(model.sd, f"{path}.sd", unit, example)
    if positive and not mean > 0:
        raise UserError(f"{path}.mean", f"must be positive, got {model.mean!r}")
    if sd < 0:
        raise UserError(f"{path}.sd", f"a standard deviation cannot be negative, got {model.sd!r}")
    low = default.low if model.min is None else parse_quantity(model.min, f"{path}.min", unit, example)
    high = default.high if model.max is None else parse_quantity(model.max, f"{path}.max", unit, example)
    if positive and not low > 0:
        raise UserError(f"{path}.min", f"must be positive, got {model.min!r}")
    if not low <= mean <= high:
        which = "min" if model.min is not None or mean < low else "max"
        raise UserError(f"{path}.{which}", f"the mean {model.mean!r} lies outside the bounds "
                                           f"[{low:g}, {high:g}] {unit}; set `min`/`max` to include it")
    return Distribution(mean, sd, low, high)


def _baseline(model: BaselineModel | None, diagnosis: str, path: str) -> Baseline:

    if model is None:
        mean, sd, low, high = DEFAULT_BASELINE[diagnosis]
        return Baseline("MADRS", mean, sd, low, high)
    if model.scale not in DEPRESSION_SCALES:
        raise UserError(f"{path}.scale", f"unknown scale {model.scale!r}; use one of {', '.join(DEPRESSION_SCALES)}")
    scale = SCALES[model.scale]
    low = float(scale.low) if model.min is None else model.min
    high = float(scale.high) if model.max is None else model.max
    for name, v in (("min", low), ("max", high)):
        if not scale.low <= v <= scale.high:
            raise UserError(f"{path}.{name}", f"{v:g} is outside the {scale.name} range {scale.low}-{scale.high}")
    if low > high:
        raise UserError(f"{path}.min", f"min {low:g} is above max {high:g}")
    if model.sd < 0:
        raise UserError(f"{path}.sd", f"a standard deviation cannot be negative, got {model.sd}")
    if not low <= model.mean <= high:
        raise UserError(f"{path}.mean", f"the mean {model.mean:g} lies outside the inclusion bounds "
                                          f"[{low:g}, {high:g}]")
    return Baseline(model.scale, float(model.mean), float(model.sd), float(low), float(high))


def _fraction(value: float | None, path: str, default: float) -> float:
    if value is None:
        return default
    if not 0.0 <= value <= 1.0:
        raise UserError(path, f"must be a fraction between 0 and 1, got {value}")
    return float(value)


def _relapse_rule(model: EndpointModel, path: str) -> tuple[float, int, float | None]:
    """(score_at_least, consecutive, every in h) of a relapse rule, checked."""
    rule = model.rule
    assert rule is not None
    for name in ("consecutive", "visit_interval"):
        if getattr(model, name) is not None:
            raise UserError(f"{path[:-5]}.{name}", f"give either `rule` or `{name}`, not both; the rule has "
                                                   "its own `consecutive` and `every`")
    scale = SCALES[model.measure]
    if not scale.low <= rule.score_at_least <= scale.high:
        raise UserError(f"{path}.score_at_least", f"{rule.score_at_least:g} is outside the {model.measure} "
                                                  f"range {scale.low}-{scale.high}")
    if rule.consecutive < 1:
        raise UserError(f"{path}.consecutive", f"must be at least 1 visit, got {rule.consecutive}")
    every = None if rule.every is None else _positive_time(rule.every, f"{path}.every")
    return float(rule.score_at_least), rule.consecutive, every


MISSING = ("locf", "observed")


def _dropout(model: DropoutModel | None, path: str, end_h: float) -> tuple[float, float | None]:
    """(fraction, by in h) of an arm's dropout, checked; (0, None) when the arm has none."""
    if model is None:
        return 0.0, None
    if not 0.0 <= model.fraction < 1.0:
        raise UserError(f"{path}.fraction", f"must be a fraction from 0 to below 1, got {model.fraction}")
    by = _positive_time(model.by, f"{path}.by")
    if by > end_h + 1e-9:
        raise UserError(f"{path}.by", f"{by:g} h is after the trial ends ({end_h:g} h); give the fraction "
                                      "gone by a time inside the trial")
    return float(model.fraction), by


def _missing(value: str | None) -> str:
    """How endpoints treat assessments after dropout: last observation carried forward or left out."""
    if value is None:
        return "locf"
    if value not in MISSING:
        raise UserError("missing", f"unknown value {value!r}; use one of {', '.join(MISSING)}")
    return value


MAX_VISITS = 10_000  # assessments per patient: more is not a trial schedule (and would bloat the grid)


def _visits(items: list[Any] | None, end_h: float) -> tuple[float, ...] | None:
    """The trial's visit times in hours (sorted, unique, inside the trial), or None."""
    if items is None:
        return None
    out: set[float] = set()
    for i, item in enumerate(items):
        path = f"visits[{i}]"
        if isinstance(item, str):
            out.add(_time(item, path))
            continue
        start, every = _time(item.start, f"{path}.start"), _positive_time(item.every, f"{path}.every")
        until = _time(item.until, f"{path}.until")
        if until < start:
            raise UserError(f"{path}.until", "must not come before `start`")
        n = int(math.floor((until - start) / every + 1e-9)) + 1
        if len(out) + n > MAX_VISITS:
            raise UserError(f"{path}.every", f"{n} visits; at most {MAX_VISITS} in a trial: lengthen `every`")
        out.update(start + k * every for k in range(n))
    late = [t for t in out if t > end_h + 1e-9]
    if late:
        raise UserError("visits", f"a visit at {min(late):g} h is after the trial ends ({end_h:g} h); "
                                  "lengthen `duration` or end the visits earlier")
    return tuple(sorted(round(t, 6) for t in out))


def _prior_failures(value: object, diagnosis: str, path: str) -> Distribution:
    """Prior failed adequate antidepressant trials: a whole number or {mean, sd, min, max}."""
    if value is None:
        return default_prior_failures(diagnosis)
    if isinstance(value, bool) or not isinstance(value, (int, float, dict)):
        raise UserError(path, f"give a whole number (e.g. 2) or {{mean, sd, min, max}}, got {value!r}")
    if not isinstance(value, dict):
        if not math.isfinite(value) or value < 0 or value > 20 or value != int(value):
            raise UserError(path, f"a number of failed trials is a whole number from 0 to 20, got {value!r}")
        return Distribution(float(value), 0.0, float(value), float(value))
    unknown = sorted(set(value) - {"mean", "sd", "min", "max"})
    if unknown:
        raise UserError(f"{path}.{unknown[0]}", "unknown field; allowed here: mean, sd, min, max")
    if "mean" not in value:
        raise UserError(f"{path}.mean", "required; add e.g. `mean: 2.5`")
    nums = {k: value[k] for k in ("mean", "sd", "min", "max") if k in value}
    for k, v in nums.items():
        if isinstance(v, bool) or not isinstance(v, (int, float)) or not (math.isfinite(v) and 0 <= v <= 20):
            raise UserError(f"{path}.{k}", f"must be a number from 0 to 20, got {v!r}")
    low, high = float(nums.get("min", 0.0)), float(nums.get("max", 20.0))
    if not low <= nums["mean"] <= high:
        raise UserError(f"{path}.mean", f"the mean {nums['mean']!r} lies outside [min, max] = [{low:g}, {high:g}]")
    return Distribution(float(nums["mean"]), float(nums.get("sd", 0.0)), low, high)

