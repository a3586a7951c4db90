"""The HTTP API's documented limits (docs/api.md): requests beyond them answer 413.

These are per-request budgets on top of ketasim's own limits (ketasim.runtime.limits: dose
bounds, hard trial bounds), which apply here exactly as on the command line.

They bound the work one request can cause, so no request can hang the server or exhaust its
memory. `Limits` is a frozen dataclass so tests (and `create_app`) can use smaller values.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Limits:
    """What one request may ask for."""

    #: request body, bytes (JSON or YAML)
    max_body_bytes: int = 1_000_000
    #: nodes (mappings, lists, scalars) in a parsed body: guards against YAML alias bombs
    max_body_nodes: int = 50_000
    #: simulated days of POST /api/v1/simulate
    max_days: float = 90.0
    #: regimen items in one regimen (a simulate request, an arm, or the trial background)
    max_regimen_items: int = 20
    #: dose events (administrations x sprays) of a simulate request or of one trial arm
    max_doses: int = 200
    #: sprays or devices in one intranasal session
    max_sprays: int = 20
    #: length of one infusion, hours
    max_infusion_h: float = 7 * 24.0
    #: virtual patients in one trial (all arms)
    max_trial_patients: int = 400
    #: trial length, days (duration or the last endpoint time)
    max_trial_days: float = 365.0
    #: arms, endpoints and comparisons of one trial
    max_arms: int = 12
    max_endpoints: int = 50
    max_comparisons: int = 50
    #: patients x observation times of one trial (bounds its run time and its patients.parquet)
    max_trial_cells: int = 2_000_000
    #: relapse assessment visits of one relapse endpoint
    max_visits: int = 1000
    #: estimated CPU seconds of one trial (ketasim.runtime.limits.estimate_run), checked before it is queued
    max_trial_cpu_s: float = 600.0
    #: wall-clock seconds a running trial may take; beyond it the job stops and is reported failed
    max_job_wall_s: float = 1800.0
    #: trials waiting to run; more answer 429 (queue full)
    max_queued_trials: int = 8
    #: finished trials kept (with their files); older ones are deleted
    max_kept_trials: int = 32
    #: simulate requests computed at the same time; others wait up to `busy_wait_s`, then 429
    max_concurrent_simulations: int = 2
    busy_wait_s: float = 60.0


DEFAULT_LIMITS = Limits()
