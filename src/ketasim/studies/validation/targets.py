"""The calibration targets: the project's own copy of calibration-targets.yaml, loaded as records.

The copy lives in ketasim/data so that an installed package never reads the shared domain folder.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from typing import Any

import yaml

TARGETS_FILE = "calibration-targets.yaml"
#: what a target is for: `training` (the parameters were tuned to it), `test` (never tuned to; held
#: out to measure prediction), `input` (its evaluator can only echo an input parameter; not scored)
USES = ("training", "test", "input")


@dataclass(frozen=True)
class Target:
    """One calibration target as published (see the schema at the top of the YAML file)."""

    id: str
    layer: str
    species: str
    condition: dict[str, Any]
    quantity: str
    value: Any
    tolerance: str
    kind: str
    flag: str
    source: str
    range: Any = None
    units: Any = None
    negative_control: bool = False
    note: str = ""
    use: str = "training"
    uncertainty: Any = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def scored(self) -> bool:
        """Whether the target counts in the score (input echoes do not)."""
        return self.use != "input"

    def expected_text(self) -> str:
        """The published value or acceptable band, in one line (for the scorecard)."""
        if self.range is None:
            if isinstance(self.value, dict):
                unit = self.units if isinstance(self.units, str) else ""
                return "; ".join(f"{k} {v}" for k, v in self.value.items()) + (f" {unit}" if unit else "")
            return str(self.value)
        if isinstance(self.range, dict):
            parts = []
            for key, band in self.range.items():
                unit = self.units.get(key, "") if isinstance(self.units, dict) else (self.units or "")
                parts.append(f"{key} {_band(band)} {unit}".rstrip())
            return "; ".join(parts)
        return f"{_band(self.range)} {self.units or ''}".rstrip()


def _band(band: Any) -> str:
    lo, hi = band
    return f"{lo:g}..{hi:g}"


def targets_text() -> str:
    """The raw YAML text of the packaged targets file."""
    return resources.files("ketasim").joinpath("data", TARGETS_FILE).read_text(encoding="utf-8")


@lru_cache(maxsize=1)
def load_targets() -> tuple[Target, ...]:
    """All calibration targets, in file order."""
    doc = yaml.safe_load(targets_text())
    known = {f for f in Target.__dataclass_fields__ if f != "extra"}
    out = []
    for raw in doc["targets"]:
        fields = {k: v for k, v in raw.items() if k in known}
        extra = {k: v for k, v in raw.items() if k not in known}
        out.append(Target(**fields, extra=extra))
    ids = [t.id for t in out]
    if len(ids) != len(set(ids)):
        raise ValueError("calibration-targets.yaml: duplicate target ids")
    bad = [t.id for t in out if t.use not in USES]
    if bad:
        raise ValueError(f"calibration-targets.yaml: use must be one of {', '.join(USES)} ({', '.join(bad)})")
    return tuple(out)


def target_by_id(target_id: str) -> Target:
    """Look up one target by id (KeyError if absent)."""
    for t in load_targets():
        if t.id == target_id:
            return t
    raise KeyError(target_id)
