"""Small helpers shared by the mechanistic layers: parameter shorthands and smooth functions.

The mechanistic layers write their equations as strings for `ModelBuilder`; these helpers keep
the tables short (`A(...)` for modelling assumptions with a plausible range) and provide smooth
stand-ins for max(x, 0) that are exactly 0 at 0, so a model without drug stays at baseline.
"""

from __future__ import annotations

from collections.abc import Mapping

import sympy as sp

from ketasim.model.description import ModelBuilder, Param
from ketasim.model.hypotheses import Switch

#: smoothing width of the positive part (in the units of its argument, usually relative levels)
POS_EPS = 1e-3


def A(name: str, value: float, unit: str, low: float, high: float, source: str, description: str,  # noqa: N802
      **kw: object) -> Param:
    """A modelling assumption (flag A) with its plausible range."""
    return Param(name, value, unit, source, "A", description, low=low, high=high, **kw)  # type: ignore[arg-type]


def P(name: str, value: float, unit: str, source: str, flag: str, description: str,  # noqa: N802
      **kw: object) -> Param:
    """A parameter taken from a source (flag P, T or S; ranges optional)."""
    return Param(name, value, unit, source, flag, description, **kw)  # type: ignore[arg-type]


def switch(name: str, value: float, description: str, variant: str, variant_description: str,
           implies: Mapping[str, float] | None = None, combined: float = 0.0) -> Switch:
    """A hypothesis switch hyp_<name> (0..1) and the variant that turns it on.

    `variant` (with `variant_description`, one line) is the hypothesis listed by
    `ketasim hypotheses`; it also sets the switches in `implies`; `combined` is this switch's
    weight in the `combined` variant.
    """
    return Switch(name, value, "dimensionless", "hypothesis switch (system.md section 8)", "A", description,
                  low=0.0, high=1.0, variant=variant, variant_description=variant_description,
                  implies=tuple((implies or {}).items()), combined=combined)


def perturbation(name: str, description: str, source: str) -> Param:
    """An experimental perturbation (0 = absent), set by experiments through overrides."""
    return Param(name, 0.0, "dimensionless", source, "A", description, low=0.0, high=1.0)


def pos(x: str) -> str:
    """Smooth positive part of expression `x`: 0 at 0, ~x for x >> eps, ~-eps/2 for x << 0."""
    return f"(0.5*(({x}) + sqrt(({x})**2 + {POS_EPS**2!r}) - {POS_EPS!r}))"


def pos0(x: str) -> str:
    """Smooth positive part that is never negative: 0 at 0, ~x for x >> eps, ~eps^2/(4|x|) for x << 0.

    Used where a slightly negative value would act (spine formation from a synthesis dip), so a
    regimen never removes what a smaller one would not have built.
    """
    return f"(0.5*(({x}) + sqrt(({x})**2 + {POS_EPS**2!r}))*({x})**2/(({x})**2 + {POS_EPS**2!r}))"


def forward_expr(b: ModelBuilder, text: str, later: tuple[str, ...]) -> sp.Expr:
    """Parse `text` allowing names that a later layer defines (checked when the model is built)."""
    table = b._symbols()  # noqa: SLF001 (the builder's own symbol table)
    for name in later:
        table.setdefault(name, sp.Symbol(name, real=True))
    return sp.parse_expr(text, local_dict=table)


# -- named motifs: the recurring terms of the layers' equations, written once --------------------
#: allometric exponent of clearances (CL ~ W^0.75); volumes scale with W^1 (parameters.md 6)
CLEARANCE_EXPONENT = 0.75
#: levels kept in percent of baseline (glutamate) are divided by this to give a multiple of baseline
PERCENT = 100


def occupancy(x: str) -> str:
    """Fraction bound at exposure `x` in units of its affinity (one-site binding, Hill slope 1)."""
    return f"{x}/(1 + {x})"


def hill(x: str, k: str, n: str | None = None) -> str:
    """Hill function x^n/(x^n + k^n) of `x` with half-maximum `k` (slope 1 when `n` is None)."""
    if n is None:
        return f"{x}/({x} + {k})"
    return f"{x}**{n}/({x}**{n} + {k}**{n})"


def induction(level: str, theta: str, n: str) -> str:
    """Thresholded induction by a relative `level` (1 = baseline): Hill term of its rise above baseline."""
    return hill(pos(f"{level} - 1"), theta, n)


def relax(state: str, target: str, rate: str) -> str:
    """First-order approach of `state` to `target` at `rate` (1/h): the right side of d(state)/dt."""
    return f"{rate}*({target} - {state})"


def allometric(weight_ratio: str, exponent: float = CLEARANCE_EXPONENT) -> str:
    """Allometric scaling factor of `weight_ratio` (W/W_ref): exponent 0.75 for clearances, 1 for volumes."""
    return f"({weight_ratio})**{exponent}"


def relative(percent: str) -> str:
    """A level kept in percent of baseline as a multiple of baseline (100 % -> 1)."""
    return f"{percent}/{PERCENT}"


def molar_to_mass(conc_um: str, molar_mass: float) -> str:
    """uM to ng/mL: umol/L times g/mol is ug/L, i.e. ng/mL."""
    return f"({conc_um})*{molar_mass}"


def micro_to_nano(conc_um: str) -> str:
    """uM to nM."""
    return f"({conc_um})*1000"


def session_trace(b: ModelBuilder, state: str, tau: str, input_name: str, route: str, description: str) -> None:
    """A dimensionless trace that each session (an input event of amount 1 on `route`) raises by one and
    that decays with time constant `tau`: clinical contacts and psychotherapy sessions reach the model so."""
    b.state(state, "dimensionless", description, 0.0)
    b.rate(state, f"-{state}/{tau}")
    b.dose_input(input_name, state)
    b.dose_split(input_name, route, [(input_name, "1")])
