"""Adding a user's compound file to the running model library (no code needed).

A new compound becomes a drug family built like the comparators (two-compartment PK with a brain
effect site) and, when it blocks the NMDAR channel, a new channel group of the targets layer
(its own affinity, off-rate, trapping and leak; the ketamine- or memantine-like subunit/Mg2+
table), so its block drives the circuit, synapses and symptoms like any other blocker.
Only NMDAR channel block is supported for new compounds (the GluN2B-NAM, SERT, TrkB and GABA-A
terms of the built-in comparators are wired into the layers by name).
"""

from __future__ import annotations

from ketasim.model.compounds.schema import Compound, Quantity
from ketasim.model.description import Param
from ketasim.model.errors import UserError

#: codes of the built-in families (files cannot redefine them)
BUILTIN_CODES = frozenset({"K", "MDZ", "MEM", "MK", "LAN", "TRX", "SSRI", "ESC", "SER", "VEN", "NOR"})


def _param(name: str, q: Quantity, description: str, fallback_range: tuple[float, float]) -> Param:
    lo, hi = (q.low, q.high) if q.low is not None else fallback_range
    flag = q.flag
    return Param(name, q.value, q.unit, q.source, flag, description, low=lo, high=hi)


def target_params(c: Compound) -> list[Param]:
    """Targets-layer parameters of a new channel blocker (names as the built-in groups use)."""
    ch = c.targets.nmdar_channel
    if ch is None:
        return []
    g = c.code
    return [
        _param(f"Ki_{g}", ch.affinity, f"{c.name} channel-site affinity (GluN2A, 0 Mg2+)",
               (ch.affinity.value / 3, ch.affinity.value * 3)),
        _param(f"koff_{g}", ch.off_rate, f"{c.name} off-rate from open channels",
               (ch.off_rate.value / 3, ch.off_rate.value * 3)),
        _param(f"f_trap_{g}", ch.trapping, f"fraction of {c.name} block trapped on closure",
               (max(0.0, ch.trapping.value - 0.2), min(1.0, ch.trapping.value + 0.2))),
        _param(f"k_leak_{g}", ch.leak, f"slow leak of trapped {c.name}", (ch.leak.value / 3, ch.leak.value * 3)),
    ]


def register_compound(c: Compound) -> str:
    """Make compound `c` available to regimens and build_model; returns its drug name."""
    from ketasim.layers.exposure import comparators
    from ketasim.layers.targets import parameters as tparams
    from ketasim.model.compounds import DRUGS

    if c.reference_only:
        raise UserError(f"{c.name}: reference_only", "a reference file documents a coded family; it cannot be "
                                                     "added as a new compound (set reference_only: false)")
    if c.code in BUILTIN_CODES:
        raise UserError(f"{c.name}: code", f"code {c.code!r} belongs to a built-in drug; choose another")
    t = c.targets
    if t.glun2b_nam or t.trkb or t.gabaa:
        raise UserError(f"{c.name}: targets", "new compounds support nmdar_channel, sert and net targets only; "
                                              "remove glun2b_nam, trkb and gabaa")
    existing = comparators.LIBRARY.get(c.name)
    if existing is not None and comparators.COMPOUNDS.get(c.name) == c:
        return c.name  # the same file again
    if c.name in DRUGS or existing is not None:
        raise UserError(f"{c.name}: name", f"a drug named {c.name!r} already exists; rename the compound")
    if any(comp.code == c.code for comp in comparators.COMPOUNDS.values()):
        raise UserError(f"{c.name}: code", f"code {c.code!r} is already used by another compound; choose another")
    comparators.add_compound(c)
    if t.nmdar_channel is not None:
        tparams.CHANNEL_GROUPS[c.code] = (c.code,)
        tparams.GROUP_TABLE[c.code] = "MEM" if t.nmdar_channel.subunit_profile == "memantine" else "K"
        comparators.EXTRA_PARAMS[c.name] = target_params(c)
    return c.name


def unregister_compound(name: str) -> None:
    """Remove a user compound added by register_compound (built-in drugs stay)."""
    from ketasim.layers.exposure import comparators
    from ketasim.layers.targets import parameters as tparams
    from ketasim.model.compounds import DRUGS

    c = comparators.COMPOUNDS.get(name)
    if c is None or c.code in BUILTIN_CODES:
        return
    for table in (comparators.LIBRARY, comparators.COMPOUNDS, comparators.EXTRA_PARAMS, DRUGS):
        table.pop(name, None)
    tparams.CHANNEL_GROUPS.pop(c.code, None)
    tparams.GROUP_TABLE.pop(c.code, None)
