"""Which parameters a fit estimates, within which bounds, on a log scale.

`--param NAME` uses the parameter's plausible range (Param.low/high) when it has one, else the
nominal value x/÷ 10; `--param NAME=LOW:HIGH` gives bounds in the parameter's published unit.
Estimation works on log(value), so every bound must be positive.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ketasim.model.description import Model
from ketasim.model.errors import UserError

#: default bound factor when a parameter has no plausible range
DEFAULT_FACTOR = 10.0


@dataclass(frozen=True)
class FitParam:
    """One estimated parameter: name, nominal value and bounds in its published unit."""

    name: str
    unit: str
    nominal: float
    low: float
    high: float
    #: published unit -> internal unit factor
    factor: float

    @property
    def log_bounds(self) -> tuple[float, float]:
        return math.log(self.low), math.log(self.high)

    def internal(self, value: float | np.ndarray) -> float | np.ndarray:
        """Published-unit value(s) -> internal units."""
        return value * self.factor


def _number(text: str, spec: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise UserError("param", f"{spec!r}: {text!r} is not a number; write NAME=LOW:HIGH, e.g. "
                                   "CL_K_S=50:150") from None
    if not (math.isfinite(value) and value > 0):
        raise UserError("param", f"{spec!r}: bounds must be positive numbers (the fit is on a log scale)")
    return value


def parse_params(model: Model, specs: tuple[str, ...] | list[str]) -> list[FitParam]:
    """Parse `param` specs against `model`; unknown names or bad bounds are UserErrors."""
    if not specs:
        raise UserError("param", "give at least one parameter to estimate, e.g. `param` CL_K_S")
    out: list[FitParam] = []
    for spec in specs:
        name, _, bounds = spec.partition("=")
        name = name.strip()
        if name not in model.param_index:
            close = [p.name for p in model.params if name.lower() in p.name.lower()][:6]
            hint = f" (similar: {', '.join(close)})" if close else ""
            raise UserError("param", f"unknown parameter {name!r} in this model{hint}; docs/model.md lists "
                                       "every parameter")
        if any(p.name == name for p in out):
            raise UserError("param", f"{name} is given twice; give each parameter once")
        p = model.param(name)
        if not p.value > 0:
            raise UserError("param", f"{name} has nominal value {p.value:g}; only positive parameters "
                                       "can be estimated on a log scale")
        if bounds:
            lo_t, sep, hi_t = bounds.partition(":")
            if not sep:
                raise UserError("param", f"{spec!r}: write bounds as NAME=LOW:HIGH, e.g. {name}="
                                           f"{p.value / 2:g}:{p.value * 2:g}")
            lo, hi = _number(lo_t, spec), _number(hi_t, spec)
        elif p.low is not None and p.high is not None and p.low > 0 and p.high > p.low:
            lo, hi = float(p.low), float(p.high)
        else:
            lo, hi = p.value / DEFAULT_FACTOR, p.value * DEFAULT_FACTOR
        if not lo < hi:
            raise UserError("param", f"{spec!r}: LOW must be below HIGH")
        nominal = min(max(p.value, lo), hi)
        out.append(FitParam(name, p.unit, float(nominal), lo, hi, p.internal(1.0)))
    return out


def latin_hypercube(params: list[FitParam], n: int, seed: int) -> np.ndarray:
    """`n` seeded Latin-hypercube starts in log space (rows), the nominal values as the first."""
    from scipy.stats import qmc

    lo = np.array([p.log_bounds[0] for p in params])
    hi = np.array([p.log_bounds[1] for p in params])
    nominal = np.log([p.nominal for p in params])
    if n <= 1:
        return nominal[None, :]
    u = qmc.LatinHypercube(d=len(params), seed=seed).random(n - 1)
    return np.vstack([nominal, lo + u * (hi - lo)])
