"""Quantities as "NUMBER UNIT" strings, parsed with pint into the model's internal units.

Internal units: time h, volume L, amount umol, concentration umol/L (uM), body weight kg.
pint is imported when a quantity is first parsed (`registry()`; `ureg` is the same registry), so
commands that read none start without it.
"""

from __future__ import annotations

import math
import re
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from ketasim.model.errors import UserError

if TYPE_CHECKING:
    import pint


@lru_cache(maxsize=1)
def registry() -> pint.UnitRegistry:
    """The one unit registry (created, and pint imported, on first use)."""
    import pint

    ureg = pint.UnitRegistry()
    ureg.define("year_age = 365.25 * day = yr")
    return ureg


def __getattr__(name: str) -> Any:
    if name == "ureg":  # `from ketasim.model.units import ureg` creates the registry then
        return registry()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

#: expected dimension name -> (pint dimensionality, internal unit, example for messages)
DIMENSIONS: dict[str, tuple[str, str, str]] = {
    "time": ("[time]", "h", "40 min"),
    "mass": ("[mass]", "mg", "84 mg"),
    "mass_per_weight": ("", "mg/kg", "0.5 mg/kg"),
    "body_mass": ("[mass]", "kg", "70 kg"),
    "volume": ("[length] ** 3", "L", "5 L"),
    "concentration_mass": ("[mass] / [length] ** 3", "ng/mL", "100 ng/mL"),
}

_NUMBER_UNIT = re.compile(r"^\s*([-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?)\s*(.*)$")


@lru_cache(maxsize=4096)
def _parse(text: str) -> pint.Quantity:
    return registry().Quantity(text)


def parse_quantity(text: str | float | int, field: str, unit: str, example: str) -> float:
    """Parse "NUMBER UNIT" and return its magnitude in `unit`; raise UserError naming `field`."""
    if isinstance(text, bool) or not isinstance(text, (str, int, float)):
        raise UserError(field, f"expected a quantity such as \"{example}\", got {text!r}")
    if isinstance(text, (int, float)):
        raise UserError(field, f"a unit is required: write it as \"{example}\", not {text!r}")
    match = _NUMBER_UNIT.match(text)
    if not match or not match.group(4).strip():
        raise UserError(field, f"expected \"NUMBER UNIT\" such as \"{example}\", got {text!r}")
    try:
        q = _parse(text.strip())
    except Exception:  # pint raises several unrelated error types for bad units
        raise UserError(field, f"unknown unit in {text!r}; write it like \"{example}\"") from None
    import pint

    try:
        value = float(q.to(unit).magnitude)
    except pint.DimensionalityError:
        raise UserError(
            field, f"{text!r} has the wrong dimension; expected something like \"{example}\""
        ) from None
    except (OverflowError, TypeError, ValueError):
        value = math.inf
    if not math.isfinite(value):
        raise UserError(field, f"{text!r} is not a finite quantity; write a number such as \"{example}\"")
    return value


def to_internal(value: float, unit: str, internal: str) -> float:
    """Convert a parameter value from its published unit to the model's internal unit."""
    return float(registry().Quantity(value, unit).to(internal).magnitude)
