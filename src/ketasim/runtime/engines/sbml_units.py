"""SBML unit definitions from the model's unit strings (pint), for the SBML export (engines/sbml.py)."""

from __future__ import annotations

import re

import libsbml

from ketasim.model.units import ureg


def check(code: int, what: str) -> None:
    """Raise ValueError unless a libsbml setter succeeded."""
    if code != libsbml.LIBSBML_OPERATION_SUCCESS:
        raise ValueError(f"libsbml could not set {what}: {libsbml.OperationReturnValue_toString(code)}")


_KINDS = [  # (pint dimensionality, SBML unit kind, pint unit of that kind)
    ({"[substance]": 1}, libsbml.UNIT_KIND_MOLE, "mole"),
    ({"[length]": 3}, libsbml.UNIT_KIND_LITRE, "liter"),
    ({"[length]": 1}, libsbml.UNIT_KIND_METRE, "meter"),
    ({"[time]": 1}, libsbml.UNIT_KIND_SECOND, "second"),
    ({"[mass]": 1}, libsbml.UNIT_KIND_GRAM, "gram"),
    ({"[current]": 1}, libsbml.UNIT_KIND_AMPERE, "ampere"),
    ({"[temperature]": 1}, libsbml.UNIT_KIND_KELVIN, "kelvin"),
]


def _unit_parts(unit: str) -> list[tuple[int, float, float]] | None:
    """(SBML kind, multiplier, exponent) for a unit string, or None if it has no SBML form."""
    try:
        q = ureg.Quantity(1.0, unit)
    except Exception:  # pint raises several error types for unknown units
        return None
    if not q.dimensionality:
        return [] if abs(q.to("dimensionless").magnitude - 1.0) < 1e-12 else None
    parts: list[tuple[int, float, float]] = []
    for name, exponent in q.units._units.items():
        dims = dict(ureg.Quantity(1.0, name).dimensionality)
        for kind_dims, kind, base in _KINDS:
            if dims == kind_dims:
                mult = float(ureg.Quantity(1.0, name).to(base).magnitude)
                parts.append((kind, mult, float(exponent)))
                break
        else:  # a composite unit (molar, pascal, mmHg): decompose into SI base units
            b = ureg.Quantity(1.0, name).to_base_units()
            first = True
            for bname, bexp in b.units._units.items():
                bd = dict(ureg.Quantity(1.0, bname).dimensionality)
                match = [k for k in _KINDS if k[0] == bd]
                if not match:
                    return None
                kd, kind, base = match[0]
                mult = float(ureg.Quantity(1.0, bname).to(base).magnitude)
                if first:  # the composite unit's magnitude goes on the first factor
                    mult *= float(b.magnitude) ** (1.0 / (bexp * exponent))
                    first = False
                parts.append((kind, mult, float(bexp * exponent)))
    return parts


def _unit_id(unit: str) -> str:
    """An SBML identifier for a unit name."""
    text = unit.replace("**", "^").replace(" ", "")
    text = text.replace("/", "_per_").replace("*", "_").replace("^-", "_pow_m").replace("^", "_pow_")
    text = re.sub(r"[^A-Za-z0-9_]", "_", text)
    return "unit_" + text


class Units:
    """Unit definitions of a document, created once per distinct unit."""

    def __init__(self, model: libsbml.Model) -> None:
        """Definitions are added to `model`."""
        self.model = model
        self.ids: dict[str, str | None] = {}
        self.by_parts: dict[tuple[tuple[int, float, float], ...], str] = {}

    def get(self, unit: str) -> str | None:
        """The id of the unit definition of `unit` (created on first use), "dimensionless", or None."""
        if unit in self.ids:
            return self.ids[unit]
        parts = _unit_parts(unit)
        if parts is None:
            self.ids[unit] = None
            return None
        if not parts:
            self.ids[unit] = "dimensionless"
            return "dimensionless"
        key = tuple(sorted(parts))
        if key in self.by_parts:
            self.ids[unit] = self.by_parts[key]
            return self.by_parts[key]
        try:
            name = f"{ureg.Unit(unit):~}"
        except Exception:  # pint cannot write every unit it parses in short form
            name = unit
        name = re.sub(r"\b([mun]?)l\b", r"\1L", name.replace("µ", "u"))
        uid = _unit_id(name)
        while self.model.getUnitDefinition(uid) is not None:
            uid += "_"
        self.by_parts[key] = uid
        ud = self.model.createUnitDefinition()
        check(ud.setId(uid), uid)
        ud.setName(name)
        for kind, mult, exponent in parts:
            u = ud.createUnit()
            u.setKind(kind)
            u.setExponent(exponent)
            u.setScale(0)
            u.setMultiplier(mult)
        self.ids[unit] = uid
        return uid
