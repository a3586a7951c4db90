"""One patient (or a small sampled population) under one regimen: trajectories and PK table.

The library behind `ketasim simulate`, `ketasim compounds run` and the API's single runs. It
validates its inputs (UserErrors name the argument: `dose`, `days`, ...), simulates on the fast
engine (or the SciPy reference on request), reads Cmax, Tmax, AUC and the terminal half-life per
plasma analyte, and writes DIR/trajectories.parquet and DIR/figure.png atomically. It never
prints: `progress` callbacks carry what the caller may show.
"""

from __future__ import annotations

import math
import os
import re
import shutil
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from ketasim.model.compounds import get_drug
from ketasim.model.description import Model
from ketasim.model.errors import SolverError, UserError
from ketasim.model.species import REFERENCE_WEIGHT_KG
from ketasim.model.units import _NUMBER_UNIT, parse_quantity, registry
from ketasim.runtime.build import SPECIES, build_model, get_hypothesis
from ketasim.runtime.engines.reference import Trajectory, simulate_reference
from ketasim.runtime.patients import individual_parameters, patient_rng
from ketasim.runtime.regimen import Dose, DoseEvent, dose_events
from ketasim.studies.pkmetrics import PKMetrics, pk_metrics
from ketasim.studies.single_figure import analytes_of
from ketasim.studies.single_result import SimulationResult

#: default body weight per species (kg) and the largest population this module simulates
DEFAULT_WEIGHT_KG = REFERENCE_WEIGHT_KG
MAX_PATIENTS = 500
MAX_DAYS = 365.0
#: concentrations at or below this count as unquantifiable for the terminal half-life (ng/mL)
LLOQ_NG_ML = 0.01
#: tolerances of the SciPy reference engine (engine="reference")
RTOL, ATOL = 1e-8, 1e-11
#: tolerances of the fast engine (the default): outputs within 1e-4 of the reference
FAST_RTOL, FAST_ATOL = 1e-8, 1e-10
ENGINES = ("fast", "reference")
#: up to this many doses every dose gets the fine grid (minutes after it); beyond, only the first and last
DETAILED_DOSES = 28

Progress = Callable[[str], None]
#: a positive number of mg or mg/kg, the usual dose, read without loading pint (same value)
_SIMPLE_DOSE = re.compile(r"^\s*(\+?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)\s*mg(\s*/\s*kg)?\s*$", re.ASCII)


def parse_dose(text: str, field: str = "dose") -> tuple[float | None, float | None]:
    """ "0.5 mg/kg" -> (None, 0.5); "84 mg" -> (84.0, None); anything else is a UserError."""
    example = "write a dose like \"0.5 mg/kg\" or \"84 mg\""
    if not _NUMBER_UNIT.match(text or ""):
        raise UserError(field, f"expected \"NUMBER UNIT\", got {text!r}; {example}")
    simple = _SIMPLE_DOSE.match(text)
    if simple and math.isfinite(value := float(simple.group(1))) and value > 0:  # what pint reads, without pint
        return (None, value) if simple.group(2) else (value, None)
    ureg = registry()
    try:
        q = ureg.Quantity(text.strip())
    except Exception:
        raise UserError(field, f"cannot read {text!r}; {example}") from None
    units = [(name, exp) for name, exp in q.unit_items()]
    masses = all(dict(ureg.Quantity(1, name).dimensionality) == {"[mass]": 1} for name, _ in units)
    exps = sorted(exp for _, exp in units)
    if masses and exps == [1]:
        value, per_kg = float(q.to("mg").magnitude), False
    elif masses and exps == [-1, 1]:
        value, per_kg = float(q.to("mg/kg").magnitude), True
    else:
        raise UserError(field, f"{text!r} is not a dose in mg or mg/kg; {example}")
    if not math.isfinite(value) or value <= 0:
        raise UserError(field, f"the dose must be positive, got {text!r}")
    return (None, value) if per_kg else (value, None)


def dose_times(at: Sequence[str], every: str | None, count: int | None, start: str) -> tuple[float, ...]:
    """Dose times (h) from explicit times `at` ("0 h", "3.5 d, 7 d") or a schedule `every` x `count` from `start`."""
    if at and (every or count):
        raise UserError("at", "give dose times either with `at` or with `every`/`count`, not both")
    if every or count:
        if not (every and count):
            raise UserError("every", "a schedule needs both `every` (e.g. \"3.5 d\") and `count` (e.g. 8)")
        if count < 1:
            raise UserError("count", f"`count` must be at least 1, got {count}")
        step = parse_quantity(every, "every", "h", "3.5 d")
        if step <= 0:
            raise UserError("every", f"the dosing interval must be positive, got {every!r}")
        t0 = parse_quantity(start, "start", "h", "0 d")
        return tuple(t0 + k * step for k in range(count))
    if not at:
        return (0.0,)
    out = []
    for text in at:
        for part in text.split(","):
            if part.strip():
                out.append(parse_quantity(part.strip(), "at", "h", "0 h"))
    return tuple(sorted(out))


def output_times(events: Sequence[DoseEvent], t_end_h: float) -> np.ndarray:
    """Grid that reads well on a log axis and stays small for long courses.

    Hourly throughout, every 30 min to 3 days, and every dose's start and end; after a dose,
    every minute for 2 h and every 10 min for 12 h (after every dose up to DETAILED_DOSES
    dosing times, else after the first and the last only, so daily doses do not multiply it).
    """
    parts = [np.arange(0.0, t_end_h, 1.0), [t_end_h], np.arange(0.0, min(t_end_h, 72.0), 0.5)]
    starts = sorted({ev.time_h for ev in events})
    detailed = set(starts) if len(starts) <= DETAILED_DOSES else {starts[0], starts[-1]}
    for ev in events:
        parts.append([ev.time_h, ev.time_h + ev.duration_h])
        if ev.time_h in detailed:
            parts += [ev.time_h + np.arange(0.0, 2.0, 1 / 60), ev.time_h + np.arange(0.0, 12.0, 1 / 6)]
    t = np.unique(np.round(np.concatenate([np.asarray(p, dtype=float) for p in parts]), 9))
    return t[(t >= 0) & (t <= t_end_h)]


def kernel_needs_compiling(model: Model, engine: str = "fast") -> bool:
    """True when this run will first compile the fast engine's kernel (about a minute, once per machine)."""
    if engine != "fast":
        return False
    from ketasim.runtime.engines.fast import resolve_backend

    if resolve_backend("auto", None) != "numba":
        return False
    from ketasim.runtime.engines.fast_numba import is_cached

    return not is_cached(model)


def simulate_patients(model: Model, events: Sequence[DoseEvent] | Sequence[Sequence[DoseEvent]],
                      params: np.ndarray, times: np.ndarray, engine: str = "fast") -> list[Trajectory]:
    """Trajectories of the patients in the columns of `params` (n_params, n) on `times`.

    engine "fast": the compiled Rosenbrock engine (numba when installed, else NumPy), within
    1e-4 of the reference; "reference": SciPy Radau at rtol 1e-8.
    """
    if engine not in ENGINES:
        raise UserError("engine", f"unknown engine {engine!r}; choose one of {', '.join(ENGINES)}")
    shared = not events or isinstance(events[0], DoseEvent)
    if engine == "reference":
        return [simulate_reference(model, events if shared else events[i], params[:, i], times,  # type: ignore[arg-type]
                                   rtol=RTOL, atol=ATOL) for i in range(params.shape[1])]
    from ketasim.runtime.engines.fast import resolve_backend, simulate_batch

    res = simulate_batch(model, events, params, times, rtol=FAST_RTOL, atol=FAST_ATOL,
                         backend=resolve_backend("auto", None))
    if res.failed.any():
        i = int(np.flatnonzero(res.failed)[0])
        raise SolverError(f"patient {i}: {res.messages[i]}")
    return [res.trajectory(i) for i in range(res.n_patients)]


def _check_run(species: str, weight: float, patients: int, days: float, hypothesis: str) -> None:
    if species not in SPECIES:
        raise UserError("species", f"unknown species {species!r}; choose one of {', '.join(SPECIES)}")
    if not (math.isfinite(weight) and weight > 0):
        raise UserError("weight_kg", f"body weight must be positive, e.g. \"70 kg\"; got {weight:g} kg")
    if not 1 <= patients <= MAX_PATIENTS:
        raise UserError("patients", f"simulate between 1 and {MAX_PATIENTS} patients, got {patients}")
    if not (math.isfinite(days) and 0 < days <= MAX_DAYS):
        raise UserError("days", f"`days` must be above 0 and at most {MAX_DAYS:g}, got {days:g}")
    get_hypothesis(hypothesis, "hypothesis")


def run_simulation(
    dose: Dose,
    species: str = "human",
    weight_kg: float | None = None,
    female: bool = False,
    cyp2b6_poor: bool = False,
    patients: int = 1,
    seed: int = 0,
    days: float = 7.0,
    hypothesis: str = "default",
    layers: str = "all",
    engine: str = "fast",
    progress: Progress | None = None,
) -> SimulationResult:
    """Simulate `patients` patients (1: the typical patient; more: sampled with `seed`).

    `progress` hears, before it starts, when the fast engine must first compile the model.
    """
    weight = DEFAULT_WEIGHT_KG.get(species, 70.0) if weight_kg is None else weight_kg
    _check_run(species, weight, patients, days, hypothesis)
    t_end = days * 24.0
    events = dose_events(dose, weight)
    last = max(e.time_h + e.duration_h for e in events)
    if last >= t_end:
        raise UserError("days", f"the last dose ends at {last:g} h, after the simulated {days:g} days; "
                                "raise `days`")
    model = build_model(species, frozenset({(get_drug(dose.drug).name, dose.route)}), hypothesis, layers)
    covariates = {"WT": weight, "FEMALE": float(female), "CYP2B6_PM": float(cyp2b6_poor)}
    params = np.stack([individual_parameters(model, patient_rng(seed, i) if patients > 1 else None, covariates)
                       for i in range(patients)], axis=1)
    _announce(model, engine, progress)
    trajectories = simulate_patients(model, events, params, output_times(events, t_end), engine)
    return SimulationResult(model, trajectories[0].times_h, trajectories, sorted({e.time_h for e in events}),
                            get_drug(dose.drug).name)


def _announce(model: Model, engine: str, progress: Progress | None) -> None:
    if progress is not None and kernel_needs_compiling(model, engine):
        progress("compiling the model for the fast engine (once per machine and model version; about a minute, "
                 "longer on a busy machine)...")


def run_nonmem(path: Path, species: str = "human", days: float | None = None, hypothesis: str = "default",
               engine: str = "fast", progress: Progress | None = None) -> SimulationResult:
    """Simulate every subject of a NONMEM-style dataset (its doses, weight and observation times).

    Trajectories are in dataset order; the time grid covers every subject's doses and observations.
    """
    from ketasim.runtime.nonmem import load_nonmem

    subjects = load_nonmem(path)
    if not subjects:
        raise UserError("nonmem", f"{path}: the dataset has no subjects")
    get_hypothesis(hypothesis, "hypothesis")
    plans = []
    for sid, subj in subjects.items():
        weight = subj.weight_kg or DEFAULT_WEIGHT_KG[species]
        events = [ev for d in subj.doses for ev in dose_events(d, weight)]
        plans.append((sid, subj, weight, events))
    all_events = [ev for *_, evs in plans for ev in evs]
    if not all_events:
        raise UserError("nonmem", f"{path}: the dataset has no dose records (EVID 1)")
    last = max([e.time_h + e.duration_h for e in all_events]
               + [t for _, s, _, _ in plans for t in s.observation_times_h])
    t_end = days * 24.0 if days is not None else last + 24.0
    if last > t_end:
        raise UserError("days", f"the dataset runs to {last:g} h, after the simulated {t_end / 24:g} days")
    pairs = frozenset((get_drug(d.drug).name, d.route) for _, s, _, _ in plans for d in s.doses)
    model = build_model(species, pairs, hypothesis, "all")
    obs = [t for _, s, _, _ in plans for t in s.observation_times_h]
    times = np.unique(np.concatenate([output_times(all_events, t_end), np.asarray(obs, dtype=float)]))
    params = np.stack([individual_parameters(model, None, {"WT": weight, **subj.covariates})
                       for _, subj, weight, _ in plans], axis=1)
    _announce(model, engine, progress)
    trajectories = simulate_patients(model, [evs for *_, evs in plans], params, times, engine)
    drug = get_drug(plans[0][1].doses[0].drug).name if plans[0][1].doses else "ketamine"
    return SimulationResult(model, trajectories[0].times_h, trajectories, sorted({e.time_h for e in all_events}),
                            drug)


def metrics_table(result: SimulationResult) -> pd.DataFrame:
    """Cmax, Tmax, AUC0-last, AUC0-inf and terminal half-life per analyte (median over patients).

    The terminal phase is read after the last dose, from points above LLOQ_NG_ML.
    """
    start = result.dose_times_h[-1] if len(result.dose_times_h) > 1 else None
    rows = []
    for name, label in analytes_of(result, result.drug).items():
        ms: list[PKMetrics] = [pk_metrics(result.times_h, tr.outputs[name], lloq=LLOQ_NG_ML, start_h=start)
                               for tr in result.trajectories]
        values = {k: np.array([getattr(m, k) for m in ms]) for k in
                  ("cmax", "tmax_h", "auc_last", "auc_inf", "half_life_h")}
        row: dict[str, object] = {"analyte": label}
        for k, v in values.items():
            if k == "tmax_h":
                v = np.where(values["cmax"] > 0, v, math.nan)  # no peak, no time of peak
            row[k] = float(np.nanmedian(v)) if np.any(np.isfinite(v)) else math.nan
            if len(ms) > 1:
                finite = v[np.isfinite(v)]
                row[k + "_p5"] = float(np.percentile(finite, 5)) if finite.size else math.nan
                row[k + "_p95"] = float(np.percentile(finite, 95)) if finite.size else math.nan
        rows.append(row)
    return pd.DataFrame(rows)


def check_out(out: Path) -> None:
    """The output folder must be a folder (or not exist yet) in an existing parent folder."""
    if out.exists() and not out.is_dir():
        raise UserError("out", f"{out} exists and is not a folder; give a folder path")
    parent = out.resolve().parent
    if not parent.is_dir():
        raise UserError("out", f"the folder {parent} does not exist; create it or choose another `out`")


def write_outputs(result: SimulationResult, out: Path, title: str) -> None:
    """Write trajectories.parquet and figure.png into a temporary folder, then move them to `out`."""
    from ketasim.studies.single_figure import make_figure

    check_out(out)
    tmp = Path(tempfile.mkdtemp(prefix=".ketasim-simulate-", dir=out.resolve().parent))
    try:
        result.frame().to_parquet(tmp / "trajectories.parquet", index=False)
        make_figure(result, tmp / "figure.png", title)
        out.mkdir(exist_ok=True)
        for name in ("trajectories.parquet", "figure.png"):
            os.replace(tmp / name, out / name)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
