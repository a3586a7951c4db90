"""Step 1 of reading a trial spec: its structure, checked by pydantic models with strict types.

Unknown fields are errors (never ignored); a bool or a string is never read as a number, a number
never as a name, and nan/inf are refused. `_pydantic_error` turns pydantic's first error into a
one-line UserError naming the YAML path and, for unknown fields, the fields allowed there.
"""

from __future__ import annotations

import re
import types
import typing
from collections.abc import Sequence
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from ketasim.model.errors import UserError

_NAME = re.compile(r"^[A-Za-z_][\w-]*$")


class _Strict(BaseModel):
    """Strict types: no bool or string read as a number, no number read as a string, no nan/inf."""

    model_config = ConfigDict(extra="forbid", populate_by_name=False, strict=True, allow_inf_nan=False)


class RegimenItemModel(_Strict):
    """One regimen item as written in YAML (quantities are "NUMBER UNIT" strings).

    A drug item needs `drug` and `route`; a non-drug item names `intervention` (psychotherapy)
    instead, with its session times and optional session length (`duration`).
    """

    drug: str | None = None
    route: str | None = None
    intervention: str | None = None
    dose: Any = None
    duration: Any = None
    at: Any = None
    start: Any = None
    every: Any = None
    count: int | None = None
    sprays: int | None = None
    spray_interval: Any = None
    salt: str | None = None


class DistributionModel(_Strict):
    """A covariate distribution: normal, truncated to [min, max]."""

    mean: Any
    sd: Any
    min: Any = None
    max: Any = None


class BaselineModel(_Strict):
    """Depression severity at entry on one scale, truncated to the inclusion bounds."""

    scale: str = "MADRS"
    mean: float
    sd: float
    min: float | None = None
    max: float | None = None


class PopulationModel(_Strict):
    """Who is enrolled."""

    size: int | None = None
    species: str = "human"
    diagnosis: str = "trd"
    baseline: BaselineModel | None = None
    weight: DistributionModel | None = None
    age: DistributionModel | None = None
    female_fraction: float | None = None
    cyp2b6_pm_fraction: float | None = None
    val66met_fraction: float | None = None
    prior_failures: Any = None  # a whole number, or {mean, sd, min, max}
    background: list[RegimenItemModel] = Field(default_factory=list)


class DropoutModel(_Strict):
    """Dropout of an arm: `fraction` of its patients have left by `by` (constant hazard)."""

    fraction: float
    by: Any


class ArmModel(_Strict):
    """One arm: a name, its share of the population (or exact size), its regimen and dropout."""

    name: str
    allocation: float | None = None
    size: int | None = None
    regimen: list[RegimenItemModel] = Field(default_factory=list)
    dropout: DropoutModel | None = None


class RelapseRuleModel(_Strict):
    """A trial-style relapse rule: score >= score_at_least at `consecutive` visits `every` apart.

    Without `every`, the trial's `visits` after `from` (or daily visits when it has none).
    """

    score_at_least: float
    consecutive: int = 1
    every: Any = None


class VisitBlockModel(_Strict):
    """Visits from `start` every `every` up to `until` (inclusive)."""

    start: Any
    every: Any
    until: Any


class EndpointModel(_Strict):
    """One endpoint; which fields it needs depends on `kind` (see ENDPOINT_FIELDS)."""

    name: str
    kind: str
    measure: str
    at: Any = None
    window: Any = None
    from_: Any = Field(default=None, alias="from")
    threshold: float | None = None
    cutoff: float | None = None
    consecutive: int | None = None
    visit_interval: Any = None
    rule: RelapseRuleModel | None = None
    published: dict[str, Any] | None = None


class CrossoverModel(_Strict):
    """A crossover design: period starts, each arm's sequence of treatments, treatment comparisons."""

    periods: list[Any]
    sequences: dict[str, list[str]]
    compare: list[list[str]] = Field(default_factory=list)


class SpecModel(_Strict):
    """The whole specification."""

    ketasim: int
    name: str
    seed: int
    population: PopulationModel
    arms: list[ArmModel]
    endpoints: list[EndpointModel]
    compare: list[list[str]] = Field(default_factory=list)
    duration: Any = None
    hypothesis: str = "default"
    layers: str = "all"
    description: str | None = None
    missing: str | None = None
    crossover: CrossoverModel | None = None
    visits: list[str | VisitBlockModel] | None = None


def _path(loc: Sequence[str | int]) -> str:
    """YAML path of a location; a key that is not a plain name is quoted, e.g. arms[0]['a b']."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        elif not _NAME.match(str(part)):
            out += f"[{str(part)!r}]"
        else:
            out += ("." if out else "") + ("from" if part == "from_" else str(part))
    return out


def _model_at(loc: Sequence[str | int]) -> type[BaseModel] | None:
    """The pydantic model whose fields are allowed at `loc` (to list them in messages)."""
    cls: Any = SpecModel
    for part in loc:
        if isinstance(part, int):
            continue
        if not (isinstance(cls, type) and issubclass(cls, BaseModel)):
            return None
        f = next((f for n, f in cls.model_fields.items() if (f.alias or n) == part or n == part), None)
        if f is None:
            return None
        cls = f.annotation
        while typing.get_origin(cls) in (list, typing.Union, types.UnionType):
            args = [a for a in typing.get_args(cls) if a is not type(None)]
            cls = args[0] if args else None
    return cls if isinstance(cls, type) and issubclass(cls, BaseModel) else None


def _allowed(cls: type[BaseModel]) -> str:
    return ", ".join(f.alias or n for n, f in cls.model_fields.items())


def _pydantic_error(exc: ValidationError) -> UserError:
    err = exc.errors()[0]
    loc = list(err["loc"])
    path = _path(loc)
    kind = err["type"]
    if kind == "extra_forbidden":
        parent = _model_at(loc[:-1])
        allowed = f"; allowed here: {_allowed(parent)}" if parent else ""
        return UserError(path, f"unknown field{allowed}")
    if kind == "missing":
        return UserError(path, "required field is missing; add it")
    if kind in ("model_type", "model_attributes_type", "dict_type"):
        parent = _model_at(loc)
        fields = f" with fields {_allowed(parent)}" if parent else ""
        return UserError(path, f"expected a mapping{fields}, got {err.get('input')!r}")
    return UserError(path, f"{err['msg']}, got {err.get('input')!r}")
