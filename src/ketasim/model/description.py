"""The one model description: parameters, states, fluxes, rates, dose inputs and outputs.

Layers add to a `ModelBuilder` with readable expression strings (as in Antimony or mrgsolve);
`ModelBuilder.build()` freezes a `Model`, from which the reference solver, the fast engine,
the SBML export and docs/model.md are all generated. Nothing downstream writes equations again.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cached_property

import sympy as sp

from ketasim.model.units import registry

#: provenance flags of parameters.md
FLAGS = {"P": "primary", "T": "third-party transcription", "S": "secondary", "A": "assumption"}

_FUNCTIONS = {
    "exp": sp.exp,
    "log": sp.log,
    "sqrt": sp.sqrt,
    "tanh": sp.tanh,
    "Piecewise": sp.Piecewise,
    "pi": sp.pi,
}
_TIME = sp.Symbol("t", real=True)
#: names the generated code uses itself (codegen.py) or that mean something in expressions
RESERVED = frozenset({"x", "p", "u", "t", "zero", "numpy", "np", "exp", "log", "sqrt", "tanh", "pi", "E", "I"})


def canonical_unit(unit: str) -> str:
    """The internal unit for a published unit: h for time, L for volume, umol, kg, uM."""
    dims = dict(registry().Quantity(1, unit).dimensionality)
    if not dims:
        return "dimensionless"
    parts: list[str] = []
    for dim, exp in sorted(dims.items()):
        base = {"[time]": "h", "[mass]": "kg", "[substance]": "umol"}.get(dim)
        if dim == "[length]":
            if exp % 3:
                return unit  # e.g. pressure: keep the published unit
            base, exp = "L", exp / 3
        if base is None:
            return unit
        parts.append(base if exp == 1 else f"{base}**{int(exp)}")
    return " * ".join(parts)


@dataclass(frozen=True)
class Param:
    """A parameter with its published value, unit, provenance and uncertainty.

    `low`/`high` give the plausible range (in `unit`); `iiv` is the between-patient SD on the
    `iiv_scale` ("log": value*exp(eta); "logit": for fractions; "none"). Covariates are
    parameters set per patient (weight, sex, genotype), flagged `covariate=True`.
    """

    name: str
    value: float
    unit: str
    source: str
    flag: str
    description: str
    low: float | None = None
    high: float | None = None
    iiv: float = 0.0
    iiv_scale: str = "log"
    iiv_source: str = ""
    covariate: bool = False
    internal_unit: str | None = None

    def __post_init__(self) -> None:
        if self.flag not in FLAGS:
            raise ValueError(f"parameter {self.name}: flag must be one of {sorted(FLAGS)}")
        if self.flag == "A" and (self.low is None or self.high is None):
            raise ValueError(f"parameter {self.name}: an assumption needs a plausible range")
        if not math.isfinite(self.value):
            raise ValueError(f"parameter {self.name}: value must be finite")

    @cached_property
    def model_unit(self) -> str:
        return self.internal_unit or canonical_unit(self.unit)

    @cached_property
    def internal_value(self) -> float:
        if self.model_unit == self.unit:
            return float(self.value)
        return float(registry().Quantity(self.value, self.unit).to(self.model_unit).magnitude)

    def internal(self, value: float) -> float:
        """Convert another value in the published unit (e.g. a range bound) to internal units."""
        if self.model_unit == self.unit:
            return float(value)
        return float(registry().Quantity(value, self.unit).to(self.model_unit).magnitude)


@dataclass(frozen=True)
class State:
    """A dynamic state. `amount=True` marks drug amounts (umol) that enter the mass balance."""

    name: str
    unit: str
    description: str
    layer: str
    initial: sp.Expr
    amount: bool = False


@dataclass(frozen=True)
class Flux:
    """A transfer of amount from `source` to `target` (either may be None: outside the model)."""

    name: str
    source: str | None
    target: str | None
    rate: sp.Expr
    description: str
    layer: str


@dataclass(frozen=True)
class Let:
    """A named algebraic quantity (an SBML assignment rule)."""

    name: str
    expr: sp.Expr
    unit: str
    description: str
    layer: str


#: per-administration quantities a dose split may use besides parameters (set for each dose event):
#: 1 for every spray of a session after the first, and the session's cumulative mg of base before
#: and through this spray
EVENT_VARIABLES = ("later_spray", "spray_mg_before", "spray_mg_through")


@dataclass(frozen=True)
class DoseSplit:
    """The fraction of one administration of `drug` by `route` that enters dose input `input`.

    `fraction` is an expression in parameters and EVENT_VARIABLES; the fractions of one
    administration add up to 1 (what is not absorbed enters a loss input).
    """

    drug: str
    route: str
    input: str
    fraction: str


@dataclass(frozen=True)
class Output:
    """A reported quantity (concentration, occupancy, score...)."""

    name: str
    expr: sp.Expr
    unit: str
    description: str
    layer: str


@dataclass
class ModelBuilder:
    """Collects the pieces that layer modules contribute; `build()` returns the frozen Model."""

    name: str = "ketasim"
    params: dict[str, Param] = field(default_factory=dict)
    states: dict[str, State] = field(default_factory=dict)
    lets: dict[str, Let] = field(default_factory=dict)
    fluxes: list[Flux] = field(default_factory=list)
    extra_rates: dict[str, list[sp.Expr]] = field(default_factory=dict)
    inputs: dict[str, str] = field(default_factory=dict)
    outputs: dict[str, Output] = field(default_factory=dict)
    switches: dict[str, str] = field(default_factory=dict)
    dose_splits: list[DoseSplit] = field(default_factory=list)
    layer: str = "model"

    # -- symbols -------------------------------------------------------------------------
    def _symbols(self) -> dict[str, sp.Symbol]:
        names = [*self.params, *self.states, *self.lets, *(f"u_{i}" for i in self.inputs)]
        table: dict[str, object] = {n: sp.Symbol(n, real=True) for n in names}
        table.update(_FUNCTIONS)
        table["t"] = _TIME
        return table  # type: ignore[return-value]

    def expr(self, text: str | float | sp.Expr) -> sp.Expr:
        """Parse an expression string against the names defined so far (unknown names fail)."""
        if isinstance(text, sp.Expr):
            return text
        if isinstance(text, (int, float)):
            return sp.Float(text)
        table = self._symbols()
        parsed = sp.parse_expr(text, local_dict=table)
        unknown = {s.name for s in parsed.free_symbols} - set(table)
        if unknown:
            raise ValueError(f"[{self.layer}] unknown names {sorted(unknown)} in {text!r}")
        return parsed

    def _new_name(self, name: str) -> None:
        if name in RESERVED or not name.isidentifier():
            raise ValueError(f"[{self.layer}] {name!r} is reserved or not an identifier; rename it")
        if name in self.params or name in self.states or name in self.lets:
            raise ValueError(f"[{self.layer}] name {name!r} defined twice")

    # -- contributions -------------------------------------------------------------------
    def param(self, p: Param) -> sp.Symbol:
        self._new_name(p.name)
        self.params[p.name] = p
        return sp.Symbol(p.name, real=True)

    def params_from(self, table: Iterable[Param]) -> None:
        for p in table:
            self.param(p)

    def state(
        self, name: str, unit: str, description: str, initial: str | float = 0.0, amount: bool = False
    ) -> sp.Symbol:
        self._new_name(name)
        self.states[name] = State(name, unit, description, self.layer, self.expr(initial), amount)
        return sp.Symbol(name, real=True)

    def let(self, name: str, expr: str, unit: str, description: str) -> sp.Symbol:
        self._new_name(name)
        self.lets[name] = Let(name, self.expr(expr), unit, description, self.layer)
        return sp.Symbol(name, real=True)

    def flux(
        self, name: str, source: str | None, target: str | None, rate: str, description: str = ""
    ) -> None:
        for s in (source, target):
            if s is not None and s not in self.states:
                raise ValueError(f"[{self.layer}] flux {name}: unknown state {s!r}")
        self.fluxes.append(Flux(name, source, target, self.expr(rate), description, self.layer))

    def rate(self, state: str, expr: str) -> None:
        """Add a term to d(state)/dt (for non-amount states such as signalling levels)."""
        if state not in self.states:
            raise ValueError(f"[{self.layer}] rate: unknown state {state!r}")
        self.extra_rates.setdefault(state, []).append(self.expr(expr))

    def dose_input(self, name: str, state: str) -> None:
        """A dosing entry point: boluses add to `state`, infusions add rate u_<name>."""
        if state not in self.states:
            raise ValueError(f"[{self.layer}] dose input {name}: unknown state {state!r}")
        self.inputs[name] = state

    def dose_split(self, drug: str, route: str, parts: Iterable[tuple[str, str]]) -> None:
        """How one administration of `drug` by `route` is split: (dose input, fraction) pairs."""
        table = {**self._symbols(), **{v: sp.Symbol(v, real=True) for v in EVENT_VARIABLES}}
        for inp, fraction in parts:
            if inp not in self.inputs:
                raise ValueError(f"[{self.layer}] dose split {drug} {route}: unknown dose input {inp!r}")
            unknown = {s.name for s in sp.parse_expr(fraction, local_dict=table).free_symbols} - set(table)
            if unknown:
                raise ValueError(f"[{self.layer}] dose split {drug} {route}: unknown names {sorted(unknown)}")
            self.dose_splits.append(DoseSplit(drug, route, inp, fraction))

    def output(self, name: str, expr: str, unit: str, description: str) -> None:
        if name in self.outputs:
            raise ValueError(f"[{self.layer}] output {name!r} defined twice")
        self.outputs[name] = Output(name, self.expr(expr), unit, description, self.layer)

    def switch(self, name: str, description: str) -> None:
        """Record a hypothesis switch (a 0/1 parameter) with a one-line meaning."""
        self.switches[name] = description

    def build(self) -> Model:
        return Model(
            name=self.name,
            params=list(self.params.values()),
            states=list(self.states.values()),
            lets=list(self.lets.values()),
            fluxes=list(self.fluxes),
            extra_rates={k: sp.Add(*v) for k, v in self.extra_rates.items()},
            inputs=dict(self.inputs),
            outputs=dict(self.outputs),
            switches=dict(self.switches),
            dose_splits=list(self.dose_splits),
        )


@dataclass(frozen=True, eq=False)
class Model:
    """A frozen model: the single source of truth for every engine and export."""

    name: str
    params: list[Param]
    states: list[State]
    lets: list[Let]
    fluxes: list[Flux]
    extra_rates: dict[str, sp.Expr]
    inputs: dict[str, str]
    outputs: dict[str, Output]
    switches: dict[str, str]
    meta: dict[str, str] = field(default_factory=dict)
    dose_splits: list[DoseSplit] = field(default_factory=list)

    @cached_property
    def state_index(self) -> dict[str, int]:
        return {s.name: i for i, s in enumerate(self.states)}

    @cached_property
    def param_index(self) -> dict[str, int]:
        return {p.name: i for i, p in enumerate(self.params)}

    @cached_property
    def input_names(self) -> list[str]:
        return list(self.inputs)

    def param(self, name: str) -> Param:
        return self.params[self.param_index[name]]

    def split(self, drug: str, route: str) -> list[DoseSplit]:
        """The dose split of one administration of `drug` by `route` (empty if not in this model)."""
        return [s for s in self.dose_splits if (s.drug, s.route) == (drug, route)]

    @cached_property
    def derivatives(self) -> dict[str, sp.Expr]:
        """d(state)/dt for every state: fluxes out/in, extra rate terms and infusion inputs."""
        terms: dict[str, list[sp.Expr]] = {s.name: [] for s in self.states}
        for f in self.fluxes:
            if f.source is not None:
                terms[f.source].append(-f.rate)
            if f.target is not None:
                terms[f.target].append(f.rate)
        for name, expr in self.extra_rates.items():
            terms[name].append(expr)
        for inp, state in self.inputs.items():
            terms[state].append(sp.Symbol(f"u_{inp}", real=True))
        return {k: sp.Add(*v) for k, v in terms.items()}

    @cached_property
    def default_parameters(self) -> list[float]:
        return [p.internal_value for p in self.params]

    def with_params(self, **values: float) -> list[float]:
        """Default internal parameter vector with some values replaced (internal units)."""
        vec = list(self.default_parameters)
        for k, v in values.items():
            if k not in self.param_index:
                raise KeyError(f"unknown parameter {k!r}")
            vec[self.param_index[k]] = float(v)
        return vec
