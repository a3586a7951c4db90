"""Competing hypotheses of ketamine's antidepressant action, derived from the model's switch rows.

Every hypothesis switch (`hyp_*`, 0..1) is a parameter row written with `motifs.switch()` in the
layer that uses it; the row names the variant that turns it on, the other switches that variant
needs, and its weight in the `combined` variant. `derive_hypotheses` reads those rows, so there
is no separate list to keep in step: a new hypothesis is a new switch row (system.md section 8).
`default` is the switch values as written (the disinhibition variant, the calibrated reference).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from ketasim.model.description import Param
from ketasim.model.errors import UserError

COMBINED = "combined"
COMBINED_DESCRIPTION = "several initiating routes weighted into the shared BDNF/mTORC1 -> spine backbone"


@dataclass(frozen=True)
class Switch(Param):
    """A hypothesis switch row: the parameter plus the variant it defines.

    `variant` turns this switch to 1 (and the switches in `implies` to their values);
    `combined` is this switch's weight in the `combined` variant.
    """

    variant: str = ""
    variant_description: str = ""
    implies: tuple[tuple[str, float], ...] = ()
    combined: float = 0.0


@dataclass(frozen=True)
class Hypothesis:
    """A model variant: a one-line description and the switch values it sets."""

    name: str
    description: str
    switches: dict[str, float] = field(default_factory=dict)


def derive_hypotheses(params: Iterable[Param]) -> dict[str, Hypothesis]:
    """The variants defined by the switch rows among `params`: default, one per switch, combined."""
    rows = [p for p in params if isinstance(p, Switch)]
    off = {s.name: 0.0 for s in rows}
    variants: dict[str, Hypothesis] = {}
    for s in rows:
        values = {**off, s.name: 1.0}
        for other, v in s.implies:
            if other not in off:
                raise ValueError(f"switch {s.name}: variant {s.variant!r} implies unknown switch {other!r}")
            values[other] = float(v)
        variants[s.variant] = Hypothesis(s.variant, s.variant_description, values)
    default = {s.name: float(s.value) for s in rows}
    same = [h.name for h in variants.values() if h.switches == default]
    text = f"the {same[0]} variant (calibrated reference)" if same else "the switch values as written"
    out = {"default": Hypothesis("default", text, default)}
    out.update({name: variants[name] for name in same})  # the default's own variant next, then layer order
    out.update(variants)
    if any(s.combined for s in rows):
        out[COMBINED] = Hypothesis(COMBINED, COMBINED_DESCRIPTION, {s.name: float(s.combined) for s in rows})
    return out


def check_name(name: str, known: Mapping[str, Hypothesis], field: str = "hypothesis") -> Hypothesis:
    """The variant `name` among `known`; an unknown name is a user error listing the choices."""
    if name not in known:
        raise UserError(field, f"unknown hypothesis {name!r}; choose one of {', '.join(known)}")
    return known[name]


def switch_on(params: Iterable[Param], hypothesis: str, name: str) -> bool:
    """Whether variant `hypothesis` sets switch `name` above 0, judged from the switch rows in `params`.

    Layers use it to build a variant's own states only in the variants that use them: a state
    that no equation reads still enters the solver's error norm, so building it everywhere would
    move the other variants' numbers in the last digits. A variant not (yet) known is off.
    """
    known = derive_hypotheses(params)
    return hypothesis in known and known[hypothesis].switches.get(name, 0.0) > 0.0
