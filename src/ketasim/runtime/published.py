"""Published values on a trial endpoint (`published:` in contracts/trial-spec.md), checked.

Per arm (`ARM: number`) or per comparison (`"A - B": number`, the published difference first arm
minus second), with a `source` (required) and a `note`; numbers are in the endpoint's unit.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from ketasim.model.errors import UserError


@dataclass(frozen=True)
class Published:
    """Published values of an endpoint: per arm and per comparison ("a - b", a minus b), with the source."""

    arms: tuple[tuple[str, float], ...]
    comparisons: tuple[tuple[tuple[str, str], float], ...]
    source: str
    note: str | None = None

    def arm(self, name: str) -> float | None:
        """The published value of arm `name`, or None."""
        return dict(self.arms).get(name)

    def comparison(self, a: str, b: str) -> float | None:
        """The published difference a - b (or minus b - a), or None."""
        found = dict(self.comparisons)
        if (a, b) in found:
            return found[(a, b)]
        return -found[(b, a)] if (b, a) in found else None


def parse_published(data: dict[str, Any], path: str, arms: list[str]) -> Published:
    """Check `published:`: arm names or "a - b" comparisons with numbers, a `source`, an optional `note`."""
    source, note = data.get("source"), data.get("note")
    if not isinstance(source, str) or not source.strip():
        raise UserError(f"{path}.source",
                        "published values need their source, e.g. source: \"Author et al. Year, Journal\"")
    if note is not None and not isinstance(note, str):
        raise UserError(f"{path}.note", f"a note is text, got {note!r}")
    per_arm: list[tuple[str, float]] = []
    per_comp: list[tuple[tuple[str, str], float]] = []
    for key, value in data.items():
        if key in ("source", "note"):
            continue
        where = f"{path}.{key}"
        pair = tuple(p.strip() for p in str(key).split(" - ")) if " - " in str(key) else None
        if pair is None and key not in arms:
            raise UserError(where, f"no arm is named {key!r}; give an arm ({', '.join(arms)}), a comparison "
                                   f"\"{arms[0]} - {arms[-1]}\", source or note")
        if pair is not None and not (len(pair) == 2 and all(p in arms for p in pair) and pair[0] != pair[1]):
            raise UserError(where, f"a published comparison names two arms as \"a - b\"; arms are {', '.join(arms)}")
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
            raise UserError(where, f"a published value is a number in the endpoint's unit, got {value!r}")
        if pair is None:
            per_arm.append((str(key), float(value)))
        else:
            per_comp.append(((pair[0], pair[1]), float(value)))
    if not per_arm and not per_comp:
        raise UserError(path, f"give at least one published value, per arm (e.g. {arms[0]}: 0.64) or per "
                              f"comparison (\"{arms[0]} - {arms[-1]}\": 0.36)")
    return Published(tuple(per_arm), tuple(per_comp), source.strip(), note)
