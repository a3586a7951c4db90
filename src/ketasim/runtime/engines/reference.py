"""The reference solver: SciPy's stiff integrator at tight tolerances, one patient at a time.

Slow but trustworthy: the fast engine and the SBML export are checked against it. Doses are
applied exactly at breakpoints (bolus jumps, infusion rate steps), never smoothed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from ketasim.model.codegen import CompiledModel, compile_model
from ketasim.model.description import Model
from ketasim.model.errors import SolverError
from ketasim.runtime.engines.base import Doses, one_patient_at_a_time
from ketasim.runtime.engines.dosing import make_plan, output_grid
from ketasim.runtime.engines.jacobian import dense_jacobian
from ketasim.runtime.engines.result import Result, Trajectory
from ketasim.runtime.regimen import DoseEvent

RTOL = 1e-10
ATOL = 1e-12
MAX_SEGMENT_H = 168.0

__all__ = ["ReferenceEngine", "Trajectory", "simulate_reference"]


def _rhs(cm: CompiledModel, t: float, y: np.ndarray, p: np.ndarray, u: np.ndarray) -> np.ndarray:
    """f(t, y) of one patient: the plain-float code, or the NumPy code where floats raise (1/0)."""
    try:
        return np.array(cm.rhs1(t, y, p, u))
    except (ArithmeticError, ValueError):
        return np.asarray(cm.rhs(t, y, p, u), dtype=float)


def simulate_reference(
    model: Model,
    events: Sequence[DoseEvent],
    params: Sequence[float] | np.ndarray,
    times_h: Sequence[float] | np.ndarray,
    rtol: float = RTOL,
    atol: float = ATOL,
    method: str = "Radau",
    analytic_jacobian: bool = True,
) -> Trajectory:
    """Integrate one patient from t = 0 through `times_h` (sorted, >= 0).

    The analytic Jacobian (generated from the model description) only steers the Newton
    iterations; `analytic_jacobian=False` uses SciPy's finite differences instead.
    """
    cm = compile_model(model)
    p = np.asarray(params, dtype=float)
    t_out = output_grid(times_h)
    plan = make_plan(model, events, p)
    jac = None
    if analytic_jacobian:
        jac = dense_jacobian(model, p)
    from scipy.integrate import solve_ivp  # (imported here: a second of import that fast-engine runs skip)

    x = np.asarray(cm.initial(p), dtype=float)
    u = np.zeros(len(model.inputs))
    t_end = float(t_out[-1])
    # restart the integrator at least every MAX_SEGMENT_H: SciPy's finite-difference Jacobian grows its
    # step factor without bound for columns nothing depends on (elimination sinks) and overflows on
    # long runs; a fresh solver resets it
    chunks = np.arange(0.0, t_end, MAX_SEGMENT_H)
    breaks = sorted({0.0, t_end, *chunks.tolist(), *[t for t in plan.times if t <= t_end]})
    plan_index = {t: i for i, t in enumerate(plan.times)}
    result = np.empty((len(model.states), t_out.size))
    for i, t0 in enumerate(breaks):
        if t0 in plan_index:
            k = plan_index[t0]
            x = x + plan.jumps[k]
            u = plan.rates[k]
        t1 = breaks[i + 1] if i + 1 < len(breaks) else t0
        last = i + 1 >= len(breaks) - 1
        mask = (t_out >= t0) & ((t_out <= t1) if last else (t_out < t1))
        if t1 <= t0:
            result[:, mask] = x[:, None]
            continue
        pts = t_out[mask]
        wanted = pts if pts.size and pts[-1] == t1 else np.append(pts, t1)
        sol = solve_ivp(
            lambda t, y, u=u: _rhs(cm, t, y, p, u),
            (t0, t1),
            x,
            method=method,
            t_eval=wanted,
            rtol=rtol,
            atol=atol,
            jac=None if jac is None else (lambda t, y, u=u: jac(t, y, u)),
        )
        if sol.status != 0 or not np.all(np.isfinite(sol.y)):
            raise SolverError(f"reference solver failed between {t0:g} h and {t1:g} h: {sol.message}")
        result[:, mask] = sol.y[:, : pts.size]
        x = sol.y[:, -1]
        if last:
            break
    outs = cm.outputs(t_out, result, p[:, None])
    return Trajectory(t_out, result, {k: np.asarray(v, dtype=float) for k, v in outs.items()},
                      float(plan.dosed_umol))



@dataclass(frozen=True)
class ReferenceEngine:
    """The `Engine` of the SciPy reference solver: patients one after another, tight tolerances."""

    rtol: float = RTOL
    atol: float = ATOL
    method: str = "Radau"
    analytic_jacobian: bool = True
    name: str = field(default="reference", init=False)

    def simulate(self, model: Model, doses: Doses, parameters: np.ndarray | Sequence[float],
                 times: Sequence[float] | np.ndarray) -> Result:
        """Every patient with `simulate_reference`; a patient whose solver fails is marked failed."""
        return one_patient_at_a_time(model, doses, parameters, times, lambda ev, p, t: simulate_reference(
            model, ev, p, t, self.rtol, self.atol, self.method, self.analytic_jacobian))
