"""Adding a user's compound file to the running model library (no code needed).

A new compound becomes a drug family built like the comparators (two-compartment PK with a brain
effect site) and, when it blocks the NMDAR channel, a new channel group of the targets layer
(its own affinity, off-rate, trapping and leak; the ketamine- or memantine-like subunit/Mg2+
table), so its block drives the circuit, synapses and symptoms like any other blocker.
Its `mechanisms` (allosteric modulators, glycine-site agonists, receptor antagonists and
potentiators, kinase inhibitors, ion-channel blockers) drive the model terms listed in
ketasim.layers.targets.mechanisms through their occupancy; SERT/NET affinities drive the
monoaminergic route (ketasim.layers.targets.monoamines). The coded GluN2B-NAM, TrkB and GABA-A
blocks stay reserved for traxoprodil and midazolam.
"""

from __future__ import annotations

from functools import lru_cache

from ketasim.model.compounds.schema import Compound
from ketasim.model.errors import UserError


@lru_cache(maxsize=1)
def builtin_codes() -> frozenset[str]:
    """Codes of the built-in families (the ketamine family and every library file): files cannot reuse them."""
    from ketasim.model.compounds.files import builtin_compounds

    return frozenset({"K", *(c.code for c in builtin_compounds())})


def register_compound(c: Compound) -> str:
    """Make compound `c` available to regimens and build_model; returns its drug name."""
    from ketasim.layers.exposure import comparators
    from ketasim.model.compounds import DRUGS

    if c.reference_only:
        raise UserError(f"{c.name}: reference_only", "a reference file documents a coded family; it cannot be "
                                                     "added as a new compound (set reference_only: false)")
    if c.code in builtin_codes():
        raise UserError(f"{c.name}: code", f"code {c.code!r} belongs to a built-in drug; choose another")
    if c.variant_of is not None:
        return _register_variant(c)
    t = c.targets
    if t.glun2b_nam or t.trkb or t.gabaa:
        raise UserError(f"{c.name}: targets", "glun2b_nam, trkb and gabaa are wired to built-in drugs; "
                                              "describe a new drug's actions under `mechanisms` (e.g. type "
                                              "allosteric_modulator, target glun2b), its channel block under "
                                              "targets.nmdar_channel and transporter occupancy under sert/net")
    existing = comparators.LIBRARY.get(c.name)
    if existing is not None and comparators.COMPOUNDS.get(c.name) == c:
        return c.name  # the same file again
    if c.name in DRUGS or existing is not None:
        raise UserError(f"{c.name}: name", f"a drug named {c.name!r} already exists; rename the compound")
    if any(comp.code == c.code for comp in comparators.COMPOUNDS.values()):
        raise UserError(f"{c.name}: code", f"code {c.code!r} is already used by another compound; choose another")
    comparators.add_compound(c)
    return c.name


def _register_variant(c: Compound) -> str:
    """A variant of the ketamine family: its own parent and norketamine chains, built when a regimen uses it."""
    from ketasim.model.compounds import DRUGS, Drug, drug_from_compound

    drug: Drug = drug_from_compound(c)
    existing = DRUGS.get(c.name)
    if existing == drug:
        return c.name
    if existing is not None:
        raise UserError(f"{c.name}: name", f"a drug named {c.name!r} already exists; rename the compound")
    if any(d.code == c.code for d in DRUGS.values()):
        raise UserError(f"{c.name}: code", f"code {c.code!r} is already used by another compound; choose another")
    DRUGS[c.name] = drug
    USER_VARIANTS.add(c.name)
    return c.name


#: names of the variants register_compound added (unregister_compound removes them)
USER_VARIANTS: set[str] = set()


def unregister_compound(name: str) -> None:
    """Remove a user compound added by register_compound (built-in drugs stay)."""
    from ketasim.layers.exposure import comparators
    from ketasim.layers.targets import parameters as tparams
    from ketasim.model.compounds import DRUGS

    if name in USER_VARIANTS:
        USER_VARIANTS.discard(name)
        DRUGS.pop(name, None)
        return
    c = comparators.COMPOUNDS.get(name)
    if c is None or c.code in builtin_codes():
        return
    for table in (comparators.LIBRARY, comparators.COMPOUNDS, comparators.EXTRA_PARAMS, DRUGS):
        table.pop(name, None)
    tparams.CHANNEL_GROUPS.pop(c.code, None)
    tparams.GROUP_TABLE.pop(c.code, None)
