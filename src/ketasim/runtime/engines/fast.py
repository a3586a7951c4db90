"""The fast engine: many patients at once, with a stiff Rosenbrock method (`simulate_batch`, `FastEngine`).

Two drivers run the same algorithm on the same Rosenbrock core (engines/rosenbrock.py: the
tableaux as data, one step-size controller): "numba" (engines/fast_numba.py: each patient
integrated on its own by a compiled kernel, outputs too, ~2.3-2.7 ms CPU per full-model patient
over 28 days, also for a single patient) and "numpy" (engines/fast_numpy.py: all patients of a
chunk advance together in NumPy calls, ~12 ms per patient in batches of 1000, ~2.8 s for one patient alone).
They agree to ~1e-9 relative.

Everything model-specific is generated from the model description (model/codegen_fast.py,
engines/compiled.py): the right-hand side split into a linear part (sparse matrix-vector
product) and a nonlinear remainder, its analytic Jacobian (chain rule through the lets,
common-subexpression elimination, parameter-only subexpressions hoisted out of the time loop)
and the sparsity pattern that the sparse LU (engines/fast_linalg.py) plans its elimination for.

Integrator: RODAS5P by default (Steinebach 2023; 8 stages, order 5 with an embedded order-4
error estimate, stiffly accurate, L-stable, order-4 continuous output) or RODAS4 (Hairer &
Wanner 1996, Solving ODEs II, section VI.4), with the step size adapted per patient.
Defaults (rtol 1e-7, atol 1e-9) give up to ~4e-5 relative error against the reference solver
on every output above 1e-3 (docs/benchmarks.md). Output times are served by the continuous
output, so they do not shorten steps; dose breakpoints are hit exactly (bolus jumps and
infusion-rate steps from `dosing.make_plan`), and the step size is re-initialised after each.
A patient whose integration fails (non-finite values, step size underflow, too many steps) is
reported in `Result.failed` with a message; its results are NaN from there on."""

from __future__ import annotations

import os
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from weakref import WeakKeyDictionary

import numpy as np
import sympy as sp

from ketasim.model.description import Model
from ketasim.runtime.engines.base import Doses, doses_per_patient, parameter_matrix
from ketasim.runtime.engines.chunk import ChunkRecord
from ketasim.runtime.engines.compiled import CompiledEngine, compiled_engine
from ketasim.runtime.engines.dosing import group_plan, output_grid, schedule_key
from ketasim.runtime.engines.fast_numpy import integrate, prepare
from ketasim.runtime.engines.jacobian import dense_jacobian
from ketasim.runtime.engines.result import BatchResult, Result
from ketasim.runtime.engines.rosenbrock import ATOL, MAX_STEPS, METHODS, RODAS4, RODAS5P, RTOL, Tableau

CHUNK = 1024

__all__ = ["ATOL", "BatchResult", "FastEngine", "MAX_STEPS", "RODAS4", "RODAS5P", "RTOL", "Result",
           "dense_jacobian", "resolve_backend", "simulate_batch"]


BACKENDS = ("auto", "numba", "numpy")


#: "auto" picks numba from this many patients on: below it, numba's one-time compilation of a
#: model (about a minute for the full model, then cached on disk) costs more than it saves
NUMBA_MIN_PATIENTS = 1000


def resolve_backend(backend: str = "auto", n_patients: int | None = None) -> str:
    """"numba" or "numpy": the backend that `backend` selects for a run of `n_patients`.

    "auto": $KETASIM_FAST_BACKEND when set ("numba" or "numpy"), else numba when importable and
    the run has at least NUMBA_MIN_PATIENTS patients (or its size is not given), else NumPy.
    The choice depends on the inputs only (never on what is cached), so results are reproducible.
    """
    if backend not in BACKENDS:
        raise ValueError(f"backend must be one of {BACKENDS}, got {backend!r}")
    if backend == "auto" and os.environ.get("KETASIM_FAST_BACKEND"):
        env = os.environ["KETASIM_FAST_BACKEND"]
        if env not in BACKENDS:
            raise ValueError(f"KETASIM_FAST_BACKEND must be one of {BACKENDS}, got {env!r}")
        backend = env
    if backend == "auto":
        if n_patients is not None and n_patients < NUMBA_MIN_PATIENTS:
            return "numpy"
        try:
            import numba  # noqa: F401
        except ImportError:
            return "numpy"
        return "numba"
    return backend


_OUTPUT_ROWS: WeakKeyDictionary[Model, dict[tuple[str, ...], np.ndarray]] = WeakKeyDictionary()


def _output_rows(model: Model, names: list[str]) -> np.ndarray:
    """Indices of the states that the outputs `names` depend on (through the lets; cached per model)."""
    cache = _OUTPUT_ROWS.setdefault(model, {})
    key = tuple(names)
    if key not in cache:
        cache[key] = _states_used(model, names)
    return cache[key]


def _states_used(model: Model, names: list[str]) -> np.ndarray:
    """Indices of the states that the outputs `names` depend on (through the lets)."""
    lets = {sp.Symbol(let.name, real=True): let.expr for let in model.lets}
    states = {sp.Symbol(s.name, real=True): i for i, s in enumerate(model.states)}
    seen: set[sp.Symbol] = set()
    stack = [sym for k in names for sym in model.outputs[k].expr.free_symbols]
    while stack:
        sym = stack.pop()
        if sym not in seen:
            seen.add(sym)
            stack.extend(lets[sym].free_symbols if sym in lets else ())
    return np.array(sorted(states[s] for s in seen if s in states), dtype=np.intp)


@dataclass
class _Driver:
    """Runs chunks on the chosen backend; "auto" falls back to NumPy when numba cannot compile the model."""

    model: Model
    eng: CompiledEngine
    tab: Tableau
    backend: str
    may_fall_back: bool
    rtol: float
    atol: float
    max_steps: int
    rows: np.ndarray | None
    dense: bool
    threads: int

    def run(self, p: np.ndarray, y0: np.ndarray, plan_t: np.ndarray, jumps: np.ndarray, rates: np.ndarray,
            t_out: np.ndarray) -> ChunkRecord:
        """Integrate the patients p (columns) of one chunk."""
        if self.backend == "numba":
            from numba.core.errors import NumbaError

            from ketasim.runtime.engines.fast_numba import integrate_chunk

            try:
                return integrate_chunk(self.eng, self.tab, p, y0, plan_t, jumps, rates, t_out, self.rtol, self.atol,
                                       self.max_steps, self.rows, self.dense, self.threads)
            except NumbaError as exc:  # a model numba cannot compile: "auto" falls back to NumPy
                if not self.may_fall_back:
                    raise
                warnings.warn(f"fast engine: numba could not compile model {self.model.name!r} ({exc}); "
                              "using the NumPy backend", RuntimeWarning, stacklevel=3)
                self.backend = "numpy"
        ctx = prepare(self.eng, p, len(self.model.inputs))
        return integrate(self.eng, self.tab, ctx, y0, plan_t, jumps, rates, t_out, self.rtol, self.atol,
                         self.max_steps, self.rows, self.dense)


@dataclass
class _Store:
    """The batch's results, filled chunk by chunk."""

    t_out: np.ndarray
    states: np.ndarray
    outputs: dict[str, np.ndarray]
    failed: np.ndarray
    messages: list[str]
    dosed: np.ndarray
    steps: np.ndarray
    rejected: np.ndarray
    keep_states: bool

    @classmethod
    def empty(cls, n: int, n_pat: int, t_out: np.ndarray, names: list[str], keep_states: bool) -> _Store:
        """Room for n_pat patients' results."""
        return cls(t_out, np.empty((n, n_pat if keep_states else 0, t_out.size)),
                   {k: np.empty((n_pat, t_out.size)) for k in names}, np.zeros(n_pat, dtype=bool), [""] * n_pat,
                   np.zeros(n_pat), np.zeros(n_pat, dtype=np.int64), np.zeros(n_pat, dtype=np.int64), keep_states)

    def put(self, eng: CompiledEngine, idx: np.ndarray, p: np.ndarray, res: ChunkRecord, dose: np.ndarray,
            rows: np.ndarray | None, order: dict[str, int] | None = None) -> None:
        """Store one chunk (patients idx): its states, the outputs computed from them, the bookkeeping.

        With `order` (the outputs' positions in the model; numba backend), the outputs are computed
        by the compiled kernel, else by the NumPy `outputs`."""
        nt = self.t_out.size
        if order is not None:
            from ketasim.runtime.engines.fast_numba import outputs

            with np.errstate(all="ignore"):
                compiled = outputs(eng, self.t_out, res.out, rows, p, np.array([order[k] for k in self.outputs]))
            if compiled is None:  # outputs numba cannot compile: the NumPy ones
                order = None
            else:
                for q, k in enumerate(self.outputs):
                    self.outputs[k][idx] = compiled[q]
        x = np.empty(0)
        if self.keep_states or order is None:
            if rows is None:
                x = np.ascontiguousarray(res.out.transpose(2, 0, 1))  # (n_states, m, n_times)
            else:  # states the outputs do not use stay zero
                x = np.zeros((eng.n, idx.size, nt))
                x[rows] = res.out.transpose(2, 0, 1)
        if order is None:
            with np.errstate(all="ignore"):
                outs = eng.cm.outputs(self.t_out, x, p[:, :, None])
            for k in self.outputs:
                self.outputs[k][idx] = outs[k]
        if self.keep_states:
            self.states[:, idx, :] = x
        self.dosed[idx] = dose
        self.failed[idx] = res.failed
        self.steps[idx] = res.steps
        self.rejected[idx] = res.rejected
        for k, i in enumerate(idx):
            self.messages[i] = res.messages[k]

    def result(self) -> Result:
        """The filled batch as a `Result`."""
        return Result(self.t_out, self.states, self.outputs, self.failed, self.messages, self.dosed, self.steps,
                      self.rejected)


def simulate_batch(
    model: Model,
    events: Doses,
    params: np.ndarray | Sequence[Sequence[float]],
    times_h: Sequence[float] | np.ndarray,
    rtol: float = RTOL,
    atol: float = ATOL,
    max_steps: int = MAX_STEPS,
    chunk: int = CHUNK,
    method: str = "RODAS5P",
    keep_states: bool = True,
    output_names: Sequence[str] | None = None,
    dense: bool = True,
    backend: str = "auto",
    threads: int = 1,
) -> Result:
    """Simulate many patients from t = 0 through `times_h` (sorted, >= 0).

    `params` has shape (n_params, n_patients) (internal units; one vector is one patient).
    `events` is one list of dose events shared by all patients, or one list per patient;
    patients whose events have the same times, durations and targets are integrated together
    (their amounts may differ). Outputs at a dose time are reported after that dose.
    `method` is "RODAS4" or "RODAS5P". `dense=False` steps onto every output time instead of
    using the continuous output (more steps; for outputs with sharp kinks). For large batches,
    `keep_states=False` (states is then an empty array) and `output_names` (a subset of the
    model's outputs) save memory. `backend` is "numba" (compiled per-patient integrator,
    engines/fast_numba.py), "numpy" (vectorised over patients) or "auto" (numba from
    NUMBA_MIN_PATIENTS patients on, see `resolve_backend`); both give the same results to
    rounding (~1e-9 relative). With numba, `threads` > 1 integrates slices of patients on that
    many threads (results identical to one thread: every patient is integrated on its own, so
    its result does not depend on the batch).
    """
    if method not in METHODS:
        raise ValueError(f"method must be one of {sorted(METHODS)}, got {method!r}")
    p = parameter_matrix(model, params)
    n_pat = p.shape[1]
    t_out = output_grid(times_h)
    per, shared = doses_per_patient(events, n_pat)
    names = list(model.outputs) if output_names is None else list(output_names)
    unknown = sorted(set(names) - set(model.outputs))
    if unknown:
        raise ValueError(f"output_names: unknown outputs {unknown}")
    eng = compiled_engine(model)
    rows = None if keep_states else _output_rows(model, names)
    store = _Store.empty(eng.n, n_pat, t_out, names, keep_states)
    driver = _Driver(model, eng, METHODS[method], resolve_backend(backend, n_pat), backend == "auto", rtol, atol,
                     max_steps, rows, dense, threads)
    order = {k: q for q, k in enumerate(model.outputs)}
    groups: dict[tuple, list[int]] = {}
    for i, ev in enumerate(per):
        groups.setdefault(() if shared else schedule_key(ev), []).append(i)
    for members in groups.values():
        for start in range(0, len(members), chunk):
            idx = np.array(members[start:start + chunk])
            pc = p[:, idx]
            plan_t, jumps, rates, dose = group_plan(model, [per[i] for i in idx], pc)
            y0 = np.array(eng.cm.initial(pc), dtype=float).reshape(eng.n, idx.size)
            res = driver.run(pc, y0, plan_t, jumps, rates, t_out)
            store.put(eng, idx, pc, res, dose, rows, order if driver.backend == "numba" else None)
    return store.result()


@dataclass(frozen=True)
class FastEngine:
    """The `Engine` of the fast Rosenbrock integrator (`simulate_batch` with these settings)."""

    backend: str = "auto"
    rtol: float = RTOL
    atol: float = ATOL
    method: str = "RODAS5P"
    keep_states: bool = True
    output_names: tuple[str, ...] | None = None
    threads: int = 1

    @property
    def name(self) -> str:
        """"numpy", "numba" or "fast" (the backend chosen per run)."""
        return "fast" if self.backend == "auto" else self.backend

    def simulate(self, model: Model, doses: Doses, parameters: np.ndarray | Sequence[float],
                 times: Sequence[float] | np.ndarray) -> Result:
        """All patients with `simulate_batch`."""
        return simulate_batch(model, doses, parameters, times, rtol=self.rtol, atol=self.atol, method=self.method,
                              keep_states=self.keep_states, output_names=self.output_names, backend=self.backend,
                              threads=self.threads)
