"""Crossover designs: every patient receives several treatments in sequence, one per period.

In a crossover spec each arm is a *sequence* (its regimen written in trial time, the washout
included), `crossover.periods` gives the start of each period and `crossover.sequences` names the
treatment each arm receives in each period. Endpoint times are read relative to each period's
start, and a period's baseline is the score at its start. Internally every endpoint becomes one
endpoint per period (`NAME_period1`, `NAME_period2`, ...), so the per-sequence results appear in
the summary like any arm's; treatments are compared within patients (studies/trial/crossover.py).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ketasim.model.errors import UserError
from ketasim.runtime.spec_items import _time
from ketasim.runtime.spec_schema import CrossoverModel

if TYPE_CHECKING:
    from ketasim.runtime.spec import Endpoint

CROSSOVER_KINDS = ("value", "change", "percent_change", "response", "remission", "peak", "peak_change")


@dataclass(frozen=True)
class Crossover:
    """A checked crossover design (times in hours)."""

    periods_h: tuple[float, ...]
    sequences: dict[str, tuple[str, ...]]  # arm (sequence) -> treatment in each period
    treatments: tuple[str, ...]
    comparisons: tuple[tuple[str, str], ...]
    endpoints: tuple[Endpoint, ...]  # as written: times relative to a period's start
    period_endpoints: tuple[Endpoint, ...]  # one per endpoint and period, in trial time

    def endpoint_in_period(self, name: str, period: int) -> str:
        """Internal name of endpoint `name` read in period `period` (1-based)."""
        return f"{name}_period{period}"


def _periods(model: CrossoverModel) -> tuple[float, ...]:
    if len(model.periods) < 2:
        raise UserError("crossover.periods", "a crossover needs at least two periods, e.g. [\"0 d\", \"14 d\"]")
    starts = tuple(_time(p, f"crossover.periods[{i}]") for i, p in enumerate(model.periods))
    for i in range(1, len(starts)):
        if not starts[i] > starts[i - 1]:
            raise UserError(f"crossover.periods[{i}]", "periods must start in increasing order")
    return starts


def _shift(e: Endpoint, start: float, k: int) -> Endpoint:
    def move(t: float | None) -> float | None:
        return None if t is None else t + start

    window = None if e.window_h is None else (e.window_h[0] + start, e.window_h[1] + start)
    return dataclasses.replace(e, name=f"{e.name}_period{k}", at_h=move(e.at_h), window_h=window,
                               base_h=start if start > 0 else None)


def _check_endpoints(endpoints: list[Endpoint], starts: tuple[float, ...]) -> None:
    shortest = min(b - a for a, b in zip(starts, starts[1:], strict=False))
    for e in endpoints:
        if e.kind not in CROSSOVER_KINDS:
            raise UserError(f"{e.path}.kind", f"kind {e.kind} is not read per period in a crossover; use one of "
                                              f"{', '.join(CROSSOVER_KINDS)}")
        last = max(e.times())
        if last >= shortest:
            raise UserError(f"{e.path}", f"read {last:g} h after a period starts, but the shortest period lasts "
                                         f"{shortest:g} h; endpoint times in a crossover are relative to each period")


def compile_crossover(model: CrossoverModel, arms: list[str], endpoints: list[Endpoint]) -> Crossover:
    """Check a crossover section against the arms and endpoints and expand endpoints per period."""
    starts = _periods(model)
    for name in model.sequences:
        if name not in arms:
            raise UserError(f"crossover.sequences.{name}", f"no arm is named {name!r}; each sequence is an arm "
                                                           f"({', '.join(arms)})")
    sequences: dict[str, tuple[str, ...]] = {}
    for name in arms:
        seq = model.sequences.get(name)
        if seq is None:
            raise UserError("crossover.sequences", f"arm {name!r} has no sequence; give every arm its treatments "
                                                   "per period")
        if len(seq) != len(starts):
            raise UserError(f"crossover.sequences.{name}", f"{len(seq)} treatments for {len(starts)} periods; "
                                                           "give one treatment per period")
        sequences[name] = tuple(seq)
    treatments = tuple(dict.fromkeys(t for seq in sequences.values() for t in seq))
    pairs = []
    for i, pair in enumerate(model.compare):
        path = f"crossover.compare[{i}]"
        if len(pair) != 2 or pair[0] == pair[1]:
            raise UserError(path, f"a comparison names two different treatments, e.g. [{treatments[0]}, ...]")
        for j, t in enumerate(pair):
            if t not in treatments:
                raise UserError(f"{path}[{j}]", f"no treatment {t!r}; treatments are {', '.join(treatments)}")
        for arm, seq in sequences.items():
            if seq.count(pair[0]) != 1 or seq.count(pair[1]) != 1:
                raise UserError(path, f"sequence {arm!r} must give {pair[0]} and {pair[1]} once each to compare "
                                      "them within patients")
        pairs.append((pair[0], pair[1]))
    _check_endpoints(endpoints, starts)
    expanded = tuple(_shift(e, s, k + 1) for k, s in enumerate(starts) for e in endpoints)
    return Crossover(starts, sequences, treatments, tuple(pairs), tuple(endpoints), expanded)
