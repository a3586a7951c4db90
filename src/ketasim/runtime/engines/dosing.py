"""Turn dose events into what a solver applies: state jumps and piecewise-constant input rates.

Every engine (reference, fast, SBML events) uses the same plan, so dosing is defined once.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any
from weakref import WeakKeyDictionary

import numpy as np
import sympy as sp

from ketasim.model.description import Model
from ketasim.runtime.regimen import CONTACT, INTERVENTIONS, DoseEvent

_FRACTIONS: WeakKeyDictionary[Model, dict[str, Callable[..., float]]] = WeakKeyDictionary()


def _numpy_namespace() -> dict[str, object]:
    """What `lambdify(..., "numpy")` evaluates in, without its `from numpy import *` (which imports
    numpy's lazy submodules, f2py and testing included: a fifth of a second)."""
    names = {k: v for k, v in vars(np).items() if not k.startswith("_")}
    return {**names, "numpy": np, "I": 1j, "Heaviside": np.heaviside, "Abs": abs}


def lambdify_numpy(args: Sequence[sp.Symbol], expr: sp.Expr) -> Callable[..., Any]:
    """`sp.lambdify(args, expr, "numpy")`: the same printer and settings, so the same code and numbers."""
    from sympy.printing.numpy import NumPyPrinter

    printer = NumPyPrinter({"fully_qualified_modules": False, "inline": True, "allow_unknown_functions": True,
                            "user_functions": {}})
    return sp.lambdify(args, expr, modules=[_numpy_namespace()], printer=printer)


def fraction_function(model: Model, text: str) -> Callable[[np.ndarray], np.ndarray]:
    """Compile a dose-fraction expression of model parameters (cached per model)."""
    cache = _FRACTIONS.setdefault(model, {})
    if text not in cache:
        symbols = [sp.Symbol(p.name, real=True) for p in model.params]
        expr = sp.parse_expr(text, local_dict={s.name: s for s in symbols})
        cache[text] = lambdify_numpy(symbols, expr)
    fn = cache[text]
    return lambda p: fn(*p)


@dataclass(frozen=True)
class DosePlan:
    """Breakpoints with the amounts added to states and the input rates that start there."""

    times: np.ndarray  # (n_break,)
    jumps: np.ndarray  # (n_break, n_states, ...) amounts added at each breakpoint
    rates: np.ndarray  # (n_break, n_inputs, ...) input rates from each breakpoint to the next
    dosed_umol: float | np.ndarray  # total amount given (for mass balance)


def one_contact_per_visit(model: Model, jumps: np.ndarray) -> None:
    """Items given at the same time are one visit: at most one clinical contact per breakpoint (in place)."""
    if CONTACT in model.inputs:
        i = model.state_index[model.inputs[CONTACT]]
        np.minimum(jumps[:, i], 1.0, out=jumps[:, i])


def make_plan(model: Model, events: Sequence[DoseEvent], p: np.ndarray) -> DosePlan:
    """Build the dose plan; `p` is one parameter vector or a batch of shape (n_params, n)."""
    p = np.asarray(p, dtype=float)
    batch = p.shape[1:]
    n_states, n_inputs = len(model.states), len(model.inputs)
    times = sorted({e.time_h for e in events} | {e.time_h + e.duration_h for e in events if e.duration_h > 0})
    index = {t: i for i, t in enumerate(times)}
    jumps = np.zeros((len(times), n_states, *batch))
    rate_changes = np.zeros((len(times), n_inputs, *batch))
    input_pos = {name: i for i, name in enumerate(model.input_names)}
    total = np.zeros(batch)
    for ev in events:
        for target, fraction in ev.targets:
            if target == CONTACT and target not in input_pos:  # no symptoms layer: contacts do nothing
                continue
            if target not in input_pos:
                raise KeyError(f"dose input {target!r} is not in the model; rebuild it with this route")
            amount = ev.amount_umol * fraction_function(model, fraction)(p)
            if target not in INTERVENTIONS:  # sessions are not drug: no part of the mass balance
                total = total + amount
            if ev.duration_h > 0:
                rate = amount / ev.duration_h
                rate_changes[index[ev.time_h], input_pos[target]] += rate
                rate_changes[index[ev.time_h + ev.duration_h], input_pos[target]] -= rate
            else:
                jumps[index[ev.time_h], model.state_index[model.inputs[target]]] += amount
    one_contact_per_visit(model, jumps)
    rates = np.cumsum(rate_changes, axis=0)
    rates[np.abs(rates) < 1e-12 * (np.abs(rate_changes).max(initial=0.0) + 1e-300)] = 0.0  # no doses: empty
    return DosePlan(np.array(times, dtype=float), jumps, rates, total)


def output_grid(times_h: Sequence[float] | np.ndarray) -> np.ndarray:
    """The requested output times as floats; ValueError unless sorted, non-negative and not empty."""
    t_out = np.asarray(times_h, dtype=float)
    if t_out.ndim != 1 or t_out.size == 0 or np.any(np.diff(t_out) < 0) or t_out[0] < 0:
        raise ValueError("times_h must be a non-empty, sorted array of non-negative hours")
    return t_out


def schedule_key(events: Sequence[DoseEvent]) -> tuple:
    """What patients must share to be integrated together: dose times, durations and targets."""
    return tuple(sorted((float(e.time_h), float(e.duration_h), tuple(e.targets)) for e in events))


def group_plan(model: Model, events_per: list[list[DoseEvent]], p: np.ndarray
                ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Plan (times, jumps, rates, dosed) for patients sharing breakpoint times.

    Amounts may differ between patients (mg/kg times weight): the plan is linear in each
    event's amount, so each event's unit-amount plan is scaled per patient and summed.
    """
    m = p.shape[1]
    if not events_per[0]:
        return np.zeros(0), np.zeros((0, len(model.states), m)), np.zeros((0, len(model.inputs), m)), np.zeros(m)
    first = sorted(events_per[0], key=lambda e: (e.time_h, e.duration_h, e.targets))
    per = [sorted(ev, key=lambda e: (e.time_h, e.duration_h, e.targets)) for ev in events_per]
    amounts = np.array([[e.amount_umol for e in ev] for ev in per]).reshape(len(per), len(first))
    # (always per unit amount, even when all amounts agree: a patient's plan, to the last bit,
    # then does not depend on the other patients of the batch)
    times = make_plan(model, [replace(e, amount_umol=1.0) for e in first], p[:, :1]).times
    jumps = np.zeros((times.size, len(model.states), m))
    rates = np.zeros((times.size, len(model.inputs), m))
    dosed = np.zeros(m)
    for k, ev in enumerate(first):
        unit = make_plan(model, [replace(ev, amount_umol=1.0)], p)
        a = amounts[:, k]
        where = np.searchsorted(times, unit.times)
        for q, w in enumerate(where):
            jumps[w] += a * unit.jumps[q]
            upto = where[q + 1] if q + 1 < where.size else times.size
            rates[w:upto] += a * unit.rates[q]
        dosed += a * unit.dosed_umol
    one_contact_per_visit(model, jumps)
    return times, jumps, rates, dosed
