"""`ketasim bench`: throughput and accuracy of the engines side by side, in one run.

All engines simulate the same virtual patients (between-patient variability, weights 50-110 kg,
both sexes) under the standard regimen (0.5 mg/kg racemic ketamine IV over 40 min) on the full
model (`build_model("human", {("ketamine", "iv")}, layers="all")`) for D days:

- fast: the fast engine (engines/fast.py; numba backend when numba is installed, else NumPy)
  on all N patients;
- scipy: the reference solver (SciPy Radau, rtol 1e-10) on the first few patients;
- roadrunner: libRoadRunner on the exported SBML of the same model and doses, on the first
  patients (rtol 1e-6, atol 1e-10: its loosest setting that still meets the 1e-4 accuracy bar,
  so the speed comparison favours it), skipped with a note when the export is not available.

patients_per_s is patients simulated per second of wall-clock time, code generation and JIT
compilation excluded (reported as setup_s; compile_s is the numba part: compilation on a
machine's first run, a cache load after); cpu_patients_per_s uses this process's CPU time,
which other jobs on a shared machine disturb less. max_rel_error is the largest
|engine - reference| / max(|reference|, floor) over every output, time and reference patient,
with floor = 1e-3 in the output's unit (ng/mL, nM or dimensionless).
"""

from __future__ import annotations

import importlib
import json
import os
import platform
import time
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from ketasim.model.errors import SolverError, UserError

if TYPE_CHECKING:  # the model and the engines are imported when the bench runs: flag errors answer at once
    import numpy as np

    from ketasim.model.description import Model
    from ketasim.runtime.regimen import Dose, DoseEvent

FLOOR = 1e-3
SLICE = 2048  # patients per fast-engine call (bounds memory for large N)
RR_RTOL, RR_ATOL = 1e-7, 1e-12


@lru_cache(maxsize=1)
def _regimen() -> Dose:
    from ketasim.runtime.regimen import Dose

    return Dose("ketamine", "iv", (0.0,), mg_per_kg=0.5, duration_h=40 / 60)


def __getattr__(name: str) -> Any:
    if name == "REGIMEN":  # the standard regimen (a Dose), made on first use
        return _regimen()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def output_times(days: float) -> np.ndarray:
    """Every 15 min for 6 h, hourly to 48 h, then every 6 h, to `days` days."""
    import numpy as np

    end = 24.0 * days
    grid = np.concatenate([np.arange(0, 6, 0.25), np.arange(6, 48, 1.0), np.arange(48, end, 6.0), [end]])
    return np.unique(grid[grid <= end])


def virtual_patients(model: Model, n: int, seed: int, first: int = 0) -> tuple[np.ndarray, list[list[DoseEvent]]]:
    """Patients first..first+n-1: random effects, weight 50-110 kg, alternating sex; their dose events."""
    import numpy as np

    from ketasim.runtime.patients import individual_parameters, patient_rng
    from ketasim.runtime.regimen import dose_events

    params, events = [], []
    for i in range(first, first + n):
        rng = patient_rng(seed, i)
        weight = float(rng.uniform(50.0, 110.0))
        params.append(individual_parameters(model, rng, covariates={"WT": weight, "FEMALE": float(i % 2)}))
        events.append(dose_events(_regimen(), weight))
    return np.stack(params, axis=1), events


def max_rel_error(result: dict[str, np.ndarray], reference: dict[str, np.ndarray]) -> float:
    """Largest |result - reference| / max(|reference|, FLOOR) over outputs and times (inf if any
    value is missing: NaN after a failure)."""
    import numpy as np

    worst = 0.0
    for k, ref in reference.items():
        rel = np.abs(result[k] - ref) / np.maximum(np.abs(ref), FLOOR)
        worst = max(worst, float(np.max(rel)) if np.all(np.isfinite(rel)) else np.inf)
    return worst


def _timed(fn: Callable[[], object]) -> tuple[object, float, float]:
    wall, cpu = time.perf_counter(), time.process_time()
    out = fn()
    return out, time.perf_counter() - wall, time.process_time() - cpu


def _machine() -> str:
    import numpy as np

    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as f:
            names = [line.split(":", 1)[1].strip() for line in f if line.startswith("model name")]
        cpu = names[0] if names else cpu
    except OSError:
        pass
    return f"{cpu}, {os.cpu_count()} cores, Python {platform.python_version()}, NumPy {np.__version__}"


def _reference_runs(model: Model, params: np.ndarray, events: list[list[DoseEvent]], times: np.ndarray,
                    n_ref: int, echo: Callable[[str], None]) -> tuple[list[dict[str, np.ndarray]], dict]:
    """The SciPy reference on the first `n_ref` patients: their outputs and the engine's figures."""
    from ketasim.runtime.engines.reference import ReferenceEngine
    from ketasim.runtime.engines.result import Result

    res, wall, cpu = _timed(lambda: ReferenceEngine().simulate(model, events[:n_ref], params[:, :n_ref], times))
    assert isinstance(res, Result)
    if res.failed.any():
        raise SolverError(f"reference solver failed: {[m for m in res.messages if m][0]}")
    refs = [{k: v[i] for k, v in res.outputs.items()} for i in range(n_ref)]
    echo(f"scipy       {n_ref / wall:12.2f} patients/s  (reference, {n_ref} patients)")
    return refs, {"patients_per_s": n_ref / wall, "max_rel_error": 0.0, "n_patients": n_ref, "wall_s": wall,
                  "cpu_s": cpu, "settings": "SciPy Radau, rtol 1e-10, atol 1e-12 (the reference)"}


def _fast_runs(model: Model, params: np.ndarray, events: list[list[DoseEvent]], times: np.ndarray,
               refs: list[dict[str, np.ndarray]], echo: Callable[[str], None]) -> dict:
    """The fast engine on every patient, in slices of SLICE (setup timed apart, on two patients)."""
    from ketasim.runtime.engines.fast import ATOL, RTOL, FastEngine, resolve_backend

    backend = resolve_backend()  # the engine's best backend, whatever the number of patients
    engine = FastEngine(backend=backend, keep_states=False)
    _, setup, _ = _timed(lambda: engine.simulate(model, events[:2], params[:, :2], times[:3]))
    compile_s = None
    if backend == "numba":
        from ketasim.runtime.engines import fast_numba

        compile_s = fast_numba.last_compile_s
    n_patients, n_ref = params.shape[1], len(refs)
    kept: dict[str, np.ndarray] = {}
    failed = 0

    def run_fast() -> None:
        nonlocal failed
        for start in range(0, n_patients, SLICE):
            stop = min(start + SLICE, n_patients)
            res = engine.simulate(model, events[start:stop], params[:, start:stop], times)
            failed += int(res.failed.sum())
            if start < n_ref:
                for k, v in res.outputs.items():
                    kept[k] = v[: n_ref - start]

    _, wall, cpu = _timed(run_fast)
    err = max(max_rel_error({k: v[i] for k, v in kept.items()}, refs[i]) for i in range(n_ref))
    echo(f"fast        {n_patients / wall:12.2f} patients/s  max_rel_error {err:.2e}  ({backend} backend; setup "
         f"{setup:.1f} s" + (f", of which numba compilation or cache load {compile_s:.1f} s)" if compile_s else ")"))
    return {"patients_per_s": n_patients / wall, "max_rel_error": err, "n_patients": n_patients,
            "wall_s": wall, "cpu_s": cpu, "setup_s": setup, "compile_s": compile_s, "failed": failed,
            "settings": f"RODAS5P, rtol {RTOL:g}, atol {ATOL:g}, per-patient step size, {backend} backend, "
                        "one thread"}


def _roadrunner_runs(model: Model, params: np.ndarray, events: list[list[DoseEvent]], times: np.ndarray,
                     refs: list[dict[str, np.ndarray]], n_roadrunner: int, echo: Callable[[str], None]) -> dict:
    """libRoadRunner on the exported SBML of the first patients, or a note saying why it was skipped."""
    try:
        rr_mod = importlib.import_module("ketasim.runtime.engines.roadrunner_engine")
    except ImportError as exc:
        note = f"skipped: ketasim.runtime.engines.roadrunner_engine is not available ({exc})"
        echo(f"roadrunner  {note}")
        return {"patients_per_s": None, "max_rel_error": None, "skipped": note}
    from ketasim.runtime.engines.result import Result

    engine = rr_mod.RoadRunnerEngine(rtol=RR_RTOL, atol=RR_ATOL)
    n_rr = min(n_roadrunner, params.shape[1])
    _, setup, _ = _timed(lambda: engine.simulate(model, events[0], params[:, 0], times))
    res, wall, cpu = _timed(lambda: engine.simulate(model, events[:n_rr], params[:, :n_rr], times))
    assert isinstance(res, Result)
    err = max(max_rel_error({k: v[i] for k, v in res.outputs.items()}, refs[i]) for i in range(min(len(refs), n_rr)))
    echo(f"roadrunner  {n_rr / wall:12.2f} patients/s  max_rel_error {err:.2e}")
    return {"patients_per_s": n_rr / wall, "max_rel_error": err, "n_patients": n_rr, "wall_s": wall,
            "cpu_s": cpu, "setup_s": setup, "settings": f"libRoadRunner CVODE, rtol {RR_RTOL:g}, atol {RR_ATOL:g}"}


def _compile_note(model: Model) -> str:
    """What the fast engine must do first: compile the model's kernels (the first run on a machine) or not."""
    from ketasim.runtime.engines.fast import resolve_backend

    if resolve_backend() != "numba":
        return ""
    from ketasim.runtime.engines.fast_numba import is_cached

    return "" if is_cached(model) else " (first run on this machine: compiling the model's kernels, about a minute)"


def _ratios(engines: dict[str, dict]) -> dict[str, float]:
    """Fast against the others, per wall-clock second and per CPU second."""
    for e in engines.values():
        if e.get("cpu_s"):
            e["cpu_patients_per_s"] = e["n_patients"] / e["cpu_s"]
    fast = engines["fast"]
    ratios = {"fast_vs_scipy": fast["patients_per_s"] / engines["scipy"]["patients_per_s"],
              "fast_vs_scipy_cpu": fast["cpu_patients_per_s"] / engines["scipy"]["cpu_patients_per_s"]}
    if engines["roadrunner"]["patients_per_s"]:
        ratios["fast_vs_roadrunner"] = fast["patients_per_s"] / engines["roadrunner"]["patients_per_s"]
        ratios["fast_vs_roadrunner_cpu"] = fast["cpu_patients_per_s"] / engines["roadrunner"]["cpu_patients_per_s"]
    return ratios


def run_bench(n_patients: int, days: float, n_reference: int = 3, n_roadrunner: int = 50, seed: int = 1,
              echo: Callable[[str], None] = lambda s: None) -> dict:
    """Run the benchmark (every engine through the `Engine` interface) and return the JSON-ready result."""
    from ketasim.runtime.build import build_model

    model = build_model("human", frozenset({("ketamine", "iv")}), layers="all")
    hypothesis = model.meta.get("hypothesis", "default")
    times = output_times(days)
    params, events = virtual_patients(model, n_patients, seed)
    echo(f"model {model.name} (hypothesis {hypothesis}): {len(model.states)} states, {days:g} days, "
         f"{times.size} output times, {n_patients} patients")
    n_ref = min(n_reference, n_patients)
    echo(f"... scipy: the reference solver on {n_ref} patients (seconds each)")
    refs, scipy = _reference_runs(model, params, events, times, n_ref, echo)
    echo(f"... fast: {n_patients} patients" + _compile_note(model))
    fast = _fast_runs(model, params, events, times, refs, echo)
    echo(f"... roadrunner: {min(n_roadrunner, n_patients)} patients (after compiling the exported SBML)")
    engines = {"scipy": scipy, "fast": fast,
               "roadrunner": _roadrunner_runs(model, params, events, times, refs, n_roadrunner, echo)}
    ratios = _ratios(engines)
    echo("ratios (wall clock; _cpu: CPU time of this process): "
         + ", ".join(f"{k} {v:.1f}x" for k, v in ratios.items()))
    million = 1e6 / engines["fast"]["patients_per_s"]
    echo(f"1,000,000 patient-courses with the fast engine: about {million / 3600:.2f} h on this machine "
         "(estimated from the measured throughput, one process)")
    return {
        "model": f"{model.name} (hypothesis {hypothesis})",
        "days": days,
        "engines": engines,
        "n_states": len(model.states),
        "n_patients": n_patients,
        "n_times": int(times.size),
        "regimen": "0.5 mg/kg racemic ketamine IV over 40 min at t = 0",
        "floor": FLOOR,
        "ratios": ratios,
        "million_patients_s_estimate": million,
        "machine": _machine(),
    }


@click.command("bench")
@click.option("--patients", "n_patients", type=int, default=1000, show_default=True,
              help="virtual patients for the fast engine")
@click.option("--days", type=float, default=28.0, show_default=True, help="simulated days")
@click.option("--json", "json_file", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="write the results to this JSON file")
@click.option("--reference-patients", type=int, default=3, show_default=True,
              help="patients simulated by the SciPy reference (sets the accuracy check)")
@click.option("--roadrunner-patients", type=int, default=50, show_default=True,
              help="patients simulated by libRoadRunner")
@click.option("--seed", type=int, default=1, show_default=True, help="seed of the virtual patients")
def command(n_patients: int, days: float, json_file: Path | None, reference_patients: int,
            roadrunner_patients: int, seed: int) -> None:
    """Measure the engines side by side: patients per second and accuracy against the reference."""
    if n_patients < 1:
        raise UserError("--patients", f"needs at least 1 patient, got {n_patients}")
    if not (days > 0 and days <= 365):
        raise UserError("--days", f"give a number of days between 0 and 365, got {days:g}")
    if reference_patients < 1:
        raise UserError("--reference-patients", "needs at least 1 patient")
    if roadrunner_patients < 1:
        raise UserError("--roadrunner-patients", "needs at least 1 patient")
    if json_file is not None and not json_file.parent.exists():
        raise UserError("--json", f"directory {str(json_file.parent)!r} does not exist; create it first")
    result = run_bench(n_patients, days, reference_patients, roadrunner_patients, seed, echo=click.echo)
    if json_file is not None:  # (an infinite error, after a failure, is written as null)
        text = json.dumps(result, indent=2).replace("Infinity", "null")
        json_file.write_text(text + "\n")
        click.echo(f"wrote {json_file}")
