"""Reading compound files: YAML -> validated `Compound`, with one-line errors naming the field."""

from __future__ import annotations

from functools import lru_cache
from importlib import resources
from pathlib import Path

import yaml
from pydantic import ValidationError

from ketasim.model.compounds.schema import Compound
from ketasim.model.errors import UserError, yaml_error_parts


def library_dir() -> Path:
    """The built-in compound library (package data)."""
    return Path(str(resources.files("ketasim") / "data" / "compounds"))


def parse_compound(text: str, name: str = "compound file") -> Compound:
    """Validate YAML text as a compound; any problem is a UserError naming `name: field`."""
    try:
        raw = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        line, _, _ = yaml_error_parts(exc)
        where = f" at line {line}" if line is not None else ""
        raise UserError(name, f"not valid YAML{where}; check indentation and colons") from None
    if not isinstance(raw, dict):
        raise UserError(name, "expected a mapping of fields (name, code, molar_mass, pk, targets, ...)")
    try:
        return Compound.model_validate(raw)
    except ValidationError as exc:
        err = exc.errors()[0]
        loc = ".".join(str(x) for x in err["loc"]) or "(top level)"
        msg = err["msg"].removeprefix("Value error, ")
        if err["type"] == "missing":
            msg = "this field is required; add it (see docs/compounds.md)"
        elif err["type"] == "extra_forbidden":
            msg = "unknown field; remove it or check its spelling (see docs/compounds.md)"
        more = f" (and {exc.error_count() - 1} more problem(s))" if exc.error_count() > 1 else ""
        raise UserError(f"{name}: {loc}", msg + more) from None


def _hint(loc: str) -> str:
    """How to fill a missing field: a Quantity example with its unit, or the allowed values."""
    from ketasim.model.compounds.schema import MECHANISMS, QUANTITY_UNITS

    last = loc.rsplit(".", 1)[-1]
    if last in QUANTITY_UNITS:
        return f"add e.g. {last}: {{value: ..., unit: {QUANTITY_UNITS[last]}, source: \"...\", flag: A}}"
    if last == "type":
        return f"add type: one of {', '.join(MECHANISMS)}"
    if last == "target":
        return "add target: the receptor, channel or kinase (see docs/compounds.md, Mechanism types)"
    return "add it (see docs/compounds.md)"


def compound_problems(text: str, name: str = "compound file") -> list[str]:
    """Every problem of a compound file, one line each: `name: field: what is wrong; how to fix it`."""
    try:
        raw = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        line, _, _ = yaml_error_parts(exc)
        where = f" at line {line}" if line is not None else ""
        return [f"{name}: not valid YAML{where}; check indentation and colons"]
    if not isinstance(raw, dict):
        return [f"{name}: expected a mapping of fields (name, code, molar_mass, pk, targets, mechanisms, ...)"]
    try:
        Compound.model_validate(raw)
    except ValidationError as exc:
        out = []
        for err in exc.errors():
            loc = ".".join(str(x) for x in err["loc"]) or "(top level)"
            msg = err["msg"].removeprefix("Value error, ").removeprefix(f"{loc.rsplit('.', 1)[-1]}: ")
            if err["type"] == "missing":
                msg = f"this field is required; {_hint(loc)}"
            elif err["type"] == "extra_forbidden":
                msg = "unknown field; remove it or check its spelling (see docs/compounds.md)"
            elif err["type"] == "literal_error":
                msg = f"{msg}; got {err.get('input')!r}"
            out.append(f"{name}: {loc}: {msg}")
        return out
    return []


def load_compound(path: str | Path, field: str = "compound") -> Compound:
    """Read and validate one compound file."""
    p = Path(path)
    if not p.is_file():
        raise UserError(field, f"compound file {str(p)!r} does not exist")
    try:
        text = p.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise UserError(field, f"cannot read {str(p)!r}: {exc}") from None
    return parse_compound(text, p.name)


@lru_cache(maxsize=1)
def builtin_compounds() -> tuple[Compound, ...]:
    """Every compound file of the built-in library, sorted by name."""
    files = sorted(library_dir().glob("*.yaml"))
    return tuple(load_compound(f, "library") for f in files)
