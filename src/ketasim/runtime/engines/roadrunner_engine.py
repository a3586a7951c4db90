"""libRoadRunner on the exported SBML: an independent engine that checks the export end to end.

The SBML document (dose events included) is compiled once per model and dosing schedule;
each patient then only sets parameter values and dose amounts and resets, so the JIT
compilation is not repeated. Results come back as a `Trajectory` (engines/result.py), with
states and outputs under the same names and in the same order.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from weakref import WeakKeyDictionary

import numpy as np

from ketasim.model.codegen import compile_model
from ketasim.model.description import Model
from ketasim.model.errors import SolverError
from ketasim.runtime.engines.base import Doses, one_patient_at_a_time
from ketasim.runtime.engines.dosing import make_plan, output_grid
from ketasim.runtime.engines.result import Result, Trajectory
from ketasim.runtime.engines.sbml import event_times, to_sbml
from ketasim.runtime.regimen import DoseEvent

RTOL = 1e-10
ATOL = 1e-14
MAX_STEPS = 200_000
#: compiled documents kept per model (one per distinct dose schedule)
CACHE_PER_MODEL = 16

_Key = tuple[tuple[float, float, tuple[tuple[str, str], ...]], ...]
_CACHE: WeakKeyDictionary[Model, dict[_Key, object]] = WeakKeyDictionary()


def _schedule(events: Sequence[DoseEvent]) -> _Key:
    """What the compiled document depends on: times, durations and targets (not amounts)."""
    return tuple((float(e.time_h), float(e.duration_h), tuple(e.targets)) for e in events)


def load_roadrunner(model: Model, events: Sequence[DoseEvent] = (), rtol: float = RTOL,
                    atol: float = ATOL) -> object:
    """A RoadRunner instance for `model` with `events` (cached per model and dose schedule)."""
    import roadrunner  # imported here: the package works without libRoadRunner installed

    cache = _CACHE.setdefault(model, {})
    key = _schedule(events)
    rr = cache.get(key)
    if rr is None:
        rr = roadrunner.RoadRunner(to_sbml(model, events, dynamics_only=True))
        while len(cache) >= CACHE_PER_MODEL:  # drop the oldest schedule
            cache.pop(next(iter(cache)))
        cache[key] = rr
    integ = rr.integrator  # type: ignore[attr-defined]
    integ.relative_tolerance = rtol
    integ.absolute_tolerance = atol
    integ.maximum_num_steps = MAX_STEPS
    integ.stiff = True
    return rr


def simulate_roadrunner(
    model: Model,
    events: Sequence[DoseEvent],
    params: Sequence[float] | np.ndarray,
    times_h: Sequence[float] | np.ndarray,
    rtol: float = RTOL,
    atol: float = ATOL,
) -> Trajectory:
    """Simulate one patient with libRoadRunner from t = 0 through `times_h` (sorted, >= 0).

    Same contract as `simulate_reference`: `params` is the internal parameter vector; states
    and outputs are reported after any dose given exactly at a requested time.
    """
    p = np.asarray(params, dtype=float)
    if p.shape != (len(model.params),):
        raise ValueError(f"params must have {len(model.params)} values, got shape {p.shape}")
    t_out = output_grid(times_h)
    events = list(events)
    rr = load_roadrunner(model, events, rtol, atol)
    for inp in model.inputs:  # events change these; reset() leaves global parameters alone
        rr[f"u_{inp}"] = 0.0  # type: ignore[index]
    for par, value in zip(model.params, p, strict=True):
        rr[par.name] = float(value)  # type: ignore[index]
    for k, ev in enumerate(events, start=1):
        rr[f"dose{k}_umol"] = float(ev.amount_umol)  # type: ignore[index]
    for n, t in enumerate(event_times(events), start=1):  # exact doubles (the file has 15 digits)
        rr[f"dose_time_{n}"] = float(t)  # type: ignore[index]
    rr.reset()  # type: ignore[attr-defined]  (re-evaluates initial assignments with these values)

    grid, inverse = np.unique(t_out, return_inverse=True)
    lead = grid[0] > 0  # roadrunner starts at the first requested time: start at 0
    if lead:
        grid = np.concatenate([[0.0], grid])
    single = grid.size == 1  # roadrunner needs an interval: integrate a moment, keep t = 0
    if single:
        grid = np.array([0.0, 1e-9])
    selections = [s.name for s in model.states]  # outputs: the model's own generated function, below
    try:
        result = np.asarray(rr.simulate(times=grid.tolist(), selections=selections))  # type: ignore[attr-defined]
    except RuntimeError as exc:
        raise SolverError(f"libRoadRunner failed: {exc}") from None
    if single:
        result = result[:1]
    if lead:
        result = result[1:]
    result = result[inverse]
    if not np.all(np.isfinite(result)):
        raise SolverError("libRoadRunner returned non-finite values")
    n = len(model.states)
    outs = compile_model(model).outputs(t_out, np.ascontiguousarray(result[:, :n].T), p[:, None])
    outputs = {o: np.ascontiguousarray(np.broadcast_to(np.asarray(outs[o], float), t_out.shape)) for o in model.outputs}
    dosed = float(make_plan(model, events, p).dosed_umol)
    return Trajectory(t_out, np.ascontiguousarray(result[:, :n].T), outputs, dosed)


@dataclass(frozen=True)
class RoadRunnerEngine:
    """The `Engine` of libRoadRunner on the exported SBML: patients one after another."""

    rtol: float = RTOL
    atol: float = ATOL
    name: str = field(default="roadrunner", init=False)

    def simulate(self, model: Model, doses: Doses, parameters: np.ndarray | Sequence[float],
                 times: Sequence[float] | np.ndarray) -> Result:
        """Every patient with `simulate_roadrunner`; a patient whose solver fails is marked failed."""
        return one_patient_at_a_time(model, doses, parameters, times, lambda ev, p, t: simulate_roadrunner(
            model, ev, p, t, self.rtol, self.atol))
