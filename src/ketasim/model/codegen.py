"""Generate NumPy source code for a Model's right-hand side, algebraic quantities and outputs.

The generated functions work on one patient (x of shape (n_states,)) or on a batch
(x of shape (n_states, n_patients)); parameters and inputs broadcast the same way.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from weakref import WeakKeyDictionary

import numpy as np
import sympy as sp
from sympy.printing.numpy import NumPyPrinter

from .description import Model


class _Printer(NumPyPrinter):
    """NumPy printer that writes `numpy.` calls and plain float literals."""

    def _print_Float(self, expr: sp.Float) -> str:  # noqa: N802 (sympy's naming)
        return repr(float(expr))


def _header(model: Model, with_inputs: bool) -> list[str]:
    lines = [f"    {s.name} = x[{i}]" for i, s in enumerate(model.states)]
    lines += [f"    {p.name} = p[{i}]" for i, p in enumerate(model.params)]
    if with_inputs:
        lines += [f"    u_{n} = u[{i}]" for i, n in enumerate(model.input_names)]
    return lines


def _lets(model: Model, printer: _Printer) -> list[str]:
    return [f"    {let.name} = {printer.doprint(let.expr)}" for let in model.lets]


def generate_source(model: Model) -> str:
    """Python source of `rhs(t, x, p, u)`, `lets(t, x, p)` and `outputs(t, x, p)`."""
    pr = _Printer({"fully_qualified_modules": True})
    out = ["import numpy", "", "", "def rhs(t, x, p, u):"]
    out += _header(model, True) + _lets(model, pr)
    derivs = model.derivatives
    out.append("    zero = 0.0 * x[0]")
    out.append("    return numpy.array([")
    for s in model.states:
        out.append(f"        zero + ({pr.doprint(derivs[s.name])}),")
    out.append("    ])")
    out += ["", "", "def lets(t, x, p):"]
    out += _header(model, False) + _lets(model, pr)
    out.append("    zero = 0.0 * x[0]")
    out.append("    return {" + ", ".join(f"'{let.name}': zero + {let.name}" for let in model.lets) + "}")
    out += ["", "", "def outputs(t, x, p):"]
    out += _header(model, False) + _lets(model, pr)
    out.append("    zero = 0.0 * x[0]")
    out.append("    return {")
    for o in model.outputs.values():
        out.append(f"        '{o.name}': zero + ({pr.doprint(o.expr)}),")
    out.append("    }")
    out += ["", "", "def initial(p):"]
    out += [f"    {p.name} = p[{i}]" for i, p in enumerate(model.params)]
    out.append("    zero = 0.0 * p[0]")
    out.append("    return numpy.array([")
    for s in model.states:
        out.append(f"        zero + ({pr.doprint(s.initial)}),")
    out.append("    ])")
    return "\n".join(out) + "\n"


@dataclass(frozen=True)
class CompiledModel:
    """The generated NumPy functions of a model."""

    rhs: Callable[[float, np.ndarray, np.ndarray, np.ndarray], np.ndarray]
    lets: Callable[[float, np.ndarray, np.ndarray], dict[str, np.ndarray]]
    outputs: Callable[[float, np.ndarray, np.ndarray], dict[str, np.ndarray]]
    initial: Callable[[np.ndarray], np.ndarray]
    source: str


@lru_cache(maxsize=32)
def _compile_source(source: str, name: str) -> CompiledModel:
    namespace: dict[str, object] = {}
    exec(compile(source, f"<ketasim generated: {name}>", "exec"), namespace)  # noqa: S102
    return CompiledModel(
        rhs=namespace["rhs"],  # type: ignore[arg-type]
        lets=namespace["lets"],  # type: ignore[arg-type]
        outputs=namespace["outputs"],  # type: ignore[arg-type]
        initial=namespace["initial"],  # type: ignore[arg-type]
        source=source,
    )


_COMPILED: WeakKeyDictionary[Model, CompiledModel] = WeakKeyDictionary()


def compile_model(model: Model) -> CompiledModel:
    """Generate and compile the NumPy functions of `model` (cached per model and by source text).

    The per-model cache matters: printing the source with sympy takes about a second for the
    full model, far longer than simulating one patient.
    """
    compiled = _COMPILED.get(model)
    if compiled is None:
        compiled = _COMPILED[model] = _compile_source(generate_source(model), model.name)
    return compiled
