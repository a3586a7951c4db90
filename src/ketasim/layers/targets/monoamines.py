"""Monoamine transporters: SERT and NET occupancy by the monoaminergic antidepressants.

Each compound file with a `sert` or `net` target (escitalopram, sertraline, the model's SSRI
citalopram, venlafaxine, nortriptyline; docs/antidepressants.md) adds its unbound brain
concentration to the transporter's exposure, X = sum Cu_d/Ki_d (competitive, Hill 1), so two
drugs at one transporter share it. The monoaminergic drive of the signalling layer reads the
combined occupancy mono_occ = 1 - (1 - SERT)(1 - NET): an SSRI acts through SERT, a tricyclic
such as nortriptyline mostly through NET, an SNRI through both.
"""

from __future__ import annotations

from ketasim.model.description import ModelBuilder, Param
from ketasim.model.motifs import occupancy

#: the built-in SSRI keeps the parameter name it has always had (tests link the file to it)
LEGACY_KI = {("SSRI", "sert"): "ssri_sert_ki"}


def monoaminergic_drugs(b: ModelBuilder) -> list[tuple[str, object]]:
    """(code, compound) of every drug in this model with a SERT or NET target."""
    from ketasim.layers.exposure.comparators import COMPOUNDS

    out = []
    for c in COMPOUNDS.values():
        if f"Cu_{c.code}" in b.lets and (c.targets.sert is not None or c.targets.net is not None):
            out.append((c.code, c))
    return sorted(out, key=lambda x: x[0])


def _ki_param(code: str, name: str, transporter: str, q: object) -> Param:
    lo = getattr(q, "low", None) or q.value / 3  # type: ignore[attr-defined]
    hi = getattr(q, "high", None) or q.value * 3  # type: ignore[attr-defined]
    return Param(LEGACY_KI.get((code, transporter), f"Ki_{transporter.upper()}_{code}"), q.value,  # type: ignore[attr-defined]
                 "uM", q.source, q.flag, f"{name} affinity for the {transporter.upper()} transporter",  # type: ignore[attr-defined]
                 low=lo, high=hi)


def add_monoamine_targets(b: ModelBuilder) -> bool:
    """Add SERT/NET occupancy and mono_occ when a monoaminergic drug is present; True if one is."""
    drugs = monoaminergic_drugs(b)
    if not drugs:
        return False
    for transporter in ("sert", "net"):
        terms = []
        for code, c in drugs:
            target = getattr(c.targets, transporter)  # type: ignore[attr-defined]
            if target is None:
                continue
            p = _ki_param(code, c.name, transporter, target.affinity)  # type: ignore[attr-defined]
            if p.name not in b.params:
                b.param(p)
            terms.append(f"pd_scale*Cu_{code}/{p.name}")
        x = " + ".join(terms) if terms else "0"
        b.let(f"X_{transporter}", x, "dimensionless", f"{transporter.upper()} exposure in units of affinity")
        b.let(f"{transporter}_occ", occupancy(f"X_{transporter}"), "dimensionless",
              f"{transporter.upper()} occupancy by monoaminergic antidepressants")
    b.let("mono_occ", "1 - (1 - sert_occ)*(1 - net_occ)", "dimensionless",
          "monoamine-transporter occupancy (SERT or NET)")
    b.output("sert_occupancy", "sert_occ", "dimensionless", "serotonin-transporter occupancy")
    b.output("net_occupancy", "net_occ", "dimensionless", "noradrenaline-transporter occupancy")
    return True
