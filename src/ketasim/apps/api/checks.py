"""Limit checks that run BEFORE ketasim expands a regimen or a trial, so no request hangs.

`ketasim.runtime.spec` expands schedules into dose-time lists (``count: 10**12`` or ``every: "1 ns"``
would take forever), so the raw request is inspected first, tolerantly: anything of the wrong
type is left for the spec's own checks, which then answer 422 with the field path.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

import numpy as np

from ketasim.apps.api.errors import limit_error
from ketasim.apps.api.limits import Limits
from ketasim.model.errors import UserError
from ketasim.model.units import parse_quantity
from ketasim.runtime.regimen import Dose
from ketasim.runtime.spec import TrialSpec


def _hours(value: Any) -> float | None:
    """A time in hours, or None when it is not a valid time (the spec reports that later)."""
    if not isinstance(value, str):
        return None
    try:
        h = parse_quantity(value, "", "h", "1 h")
    except UserError:
        return None
    return h if math.isfinite(h) else None


def _int(value: Any) -> int | None:
    """An integer as pydantic's lax mode would read it (int, whole float, numeric string), else None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return int(value) if math.isfinite(value) and value.is_integer() else None
    if isinstance(value, str) and len(value) < 100:
        try:
            return int(value.strip().replace("_", ""))
        except ValueError:
            return None
    return None


def check_regimen_raw(items: Any, path: str, end_h: float, limits: Limits) -> None:
    """413 for a regimen list whose expansion would exceed the limits (raw request data)."""
    if not isinstance(items, list):
        return
    if len(items) > limits.max_regimen_items:
        raise limit_error(path, f"{len(items)} regimen items; at most {limits.max_regimen_items} are allowed")
    for i, item in enumerate(items):
        if not isinstance(item, dict):
            continue
        where = f"{path}[{i}]"
        sprays = _int(item.get("sprays"))
        if sprays is not None and sprays > limits.max_sprays:
            raise limit_error(f"{where}.sprays", f"{sprays} sprays; at most {limits.max_sprays} in one session")
        at = item.get("at")
        if isinstance(at, list) and len(at) > limits.max_doses:
            raise limit_error(f"{where}.at", f"{len(at)} dose times; at most {limits.max_doses} are allowed")
        count = _int(item.get("count"))
        if count is not None and count > limits.max_doses:
            raise limit_error(f"{where}.count", f"{count} doses; at most {limits.max_doses} are allowed")
        every = _hours(item.get("every"))
        if every is not None and every > 0 and count is None and at is None:
            start = _hours(item.get("start")) or 0.0
            n = math.floor(max(end_h - start, 0.0) / every + 1e-9) + 1 if every >= 1e-12 else math.inf
            if n > limits.max_doses:
                raise limit_error(f"{where}.every", f"every {item.get('every')} until the end gives {n} doses; "
                                                    f"at most {limits.max_doses} are allowed: add `count` or "
                                                    "a longer interval")
        duration = _hours(item.get("duration"))
        if duration is not None and duration > limits.max_infusion_h:
            raise limit_error(f"{where}.duration", f"an infusion of {duration:g} h; at most "
                                                   f"{limits.max_infusion_h:g} h are allowed")


def dose_count(doses: Iterable[Dose]) -> int:
    """Administrations x sprays."""
    return sum(len(d.times_h) * d.sprays for d in doses)


def check_doses(doses: list[Dose], path: str, limits: Limits) -> None:
    """413 when a regimen (after expansion) has too many dose events."""
    n = dose_count(doses)
    if n > limits.max_doses:
        raise limit_error(path, f"{n} dose events (administrations x sprays); at most {limits.max_doses} "
                                "are allowed")


def _trial_times(data: dict[str, Any]) -> list[tuple[str, float]]:
    """(path, hours) of every parseable time that can set a trial's end."""
    out: list[tuple[str, float]] = []
    h = _hours(data.get("duration"))
    if h is not None:
        out.append(("duration", h))
    endpoints = data.get("endpoints")
    if isinstance(endpoints, list):
        for i, e in enumerate(endpoints):
            if not isinstance(e, dict):
                continue
            for key in ("at", "from"):
                h = _hours(e.get(key))
                if h is not None:
                    out.append((f"endpoints[{i}].{key}", h))
            window = e.get("window")
            if isinstance(window, list):
                for j, w in enumerate(window[:2]):
                    h = _hours(w)
                    if h is not None:
                        out.append((f"endpoints[{i}].window[{j}]", h))
    return out


def check_trial_raw(data: Any, limits: Limits) -> None:
    """413 for a trial spec (raw data) that would exceed the limits while being parsed."""
    if not isinstance(data, dict):
        return
    times = _trial_times(data)
    max_h = limits.max_trial_days * 24.0
    for path, h in times:
        if h > max_h + 1e-9:
            raise limit_error(path, f"{h / 24:g} days; trials are limited to {limits.max_trial_days:g} days")
    end_h = max((h for _, h in times), default=0.0)
    pop = data.get("population")
    if isinstance(pop, dict):
        size = _int(pop.get("size"))
        if size is not None and size > limits.max_trial_patients:
            raise limit_error("population.size", f"{size} patients; at most {limits.max_trial_patients} "
                                                 "per trial")
        check_regimen_raw(pop.get("background"), "population.background", end_h, limits)
    for key, cap in (("arms", limits.max_arms), ("endpoints", limits.max_endpoints),
                     ("compare", limits.max_comparisons)):
        value = data.get(key)
        if isinstance(value, list) and len(value) > cap:
            raise limit_error(key, f"{len(value)} {key}; at most {cap} are allowed")
    arms = data.get("arms")
    if isinstance(arms, list):
        for i, arm in enumerate(arms):
            if not isinstance(arm, dict):
                continue
            size = _int(arm.get("size"))
            if size is not None and size > limits.max_trial_patients:
                raise limit_error(f"arms[{i}].size", f"{size} patients; at most {limits.max_trial_patients} "
                                                     "per trial")
            check_regimen_raw(arm.get("regimen"), f"arms[{i}].regimen", end_h, limits)


def check_trial(spec: TrialSpec, limits: Limits) -> None:
    """413 for a parsed trial beyond the limits (patients, doses, visits, patients x times)."""
    from ketasim.studies.trial.grid import observation_grid

    if spec.population.size > limits.max_trial_patients:
        raise limit_error("population.size", f"{spec.population.size} patients; at most "
                                             f"{limits.max_trial_patients} per trial")
    for i, arm in enumerate(spec.arms):
        check_doses(list(arm.doses), f"arms[{i}].regimen", limits)
        for d in arm.doses:
            if d.duration_h > limits.max_infusion_h:
                raise limit_error(f"{d.field}.duration", f"an infusion of {d.duration_h:g} h; at most "
                                                         f"{limits.max_infusion_h:g} h are allowed")
    for e in spec.endpoints:
        if e.kind in ("relapse", "time_to_relapse") and e.from_h is not None:
            stop = e.at_h if e.at_h is not None else spec.end_h
            visits = (stop - e.from_h) / e.visit_interval_h
            if visits > limits.max_visits:
                raise limit_error(f"{e.path}.visit_interval", f"{visits:.0f} relapse visits; at most "
                                                              f"{limits.max_visits} are allowed")
    grid = observation_grid(spec)
    cells = int(spec.population.size) * int(np.asarray(grid).size)
    if cells > limits.max_trial_cells:
        raise limit_error("population.size", f"{spec.population.size} patients x {grid.size} observation "
                                             f"times = {cells}; at most {limits.max_trial_cells} per trial")
    check_work(spec, limits)


def check_work(spec: TrialSpec, limits: Limits, replicates: int = 1) -> None:
    """413 when a trial's estimated CPU time is beyond the per-job budget (before it is queued)."""
    from ketasim.apps.api.jobs import progress_chunk
    from ketasim.studies.trial.plan import dose_times, grid_points, plan_run

    try:
        plan = plan_run(spec, replicates, progress_chunk(spec.population.size), 1, allow_large=False)
    except UserError as exc:
        raise limit_error(exc.field, exc.message) from None
    if plan.estimate.cpu_s > limits.max_trial_cpu_s:
        raise limit_error("population.size", f"this trial needs {plan.estimate.text()} of computing "
                                             f"({spec.population.size} patients, {dose_times(spec)} doses per arm, "
                                             f"{spec.end_h / 24:g} days, {grid_points(spec)} observation times); "
                                             f"the budget of one job is {limits.max_trial_cpu_s:g} CPU-s")
