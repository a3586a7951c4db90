"""Compose the model from its layer modules, in data-flow order.

regimen -> exposure -> targets -> circuit -> signalling -> synapses -> symptoms.
Only the drug families and absorption routes a regimen uses are built, so models stay small.
"""

from __future__ import annotations

from functools import lru_cache

from ..compounds import get_drug
from ..exposure.comparators import LIBRARY, add_comparator
from ..exposure.ketamine import add_ketamine_family
from .description import Model, ModelBuilder

SPECIES = ("human", "mouse", "rat")
#: layer builders after exposure, registered by the mechanistic layers (issue 3)
DOWNSTREAM: list = []


def family_routes(drugs_routes: frozenset[tuple[str, str]]) -> dict[str, set[str]]:
    """Group (drug, route) pairs into model families and their routes."""
    out: dict[str, set[str]] = {"ketamine": set()}
    for drug, route in drugs_routes:
        out.setdefault(get_drug(drug).family, set()).add(route)
    return out


@lru_cache(maxsize=64)
def build_model(
    species: str = "human",
    drugs_routes: frozenset[tuple[str, str]] = frozenset({("ketamine", "iv")}),
    hypothesis: str = "default",
    layers: str = "all",
) -> Model:
    """Build the model for `species` covering the given (drug, route) pairs.

    `layers="exposure"` stops after pharmacokinetics; "all" adds every downstream layer.
    """
    if species not in SPECIES:
        raise ValueError(f"unknown species {species!r}")
    b = ModelBuilder(name=f"ketasim_{species}")
    fam = family_routes(drugs_routes)
    add_ketamine_family(b, species, fam.pop("ketamine"))
    for name, routes in sorted(fam.items()):
        if name in LIBRARY:
            add_comparator(b, name, species, routes)
    if layers == "all":
        for add_layer in DOWNSTREAM:
            add_layer(b, species, hypothesis, set(fam))
    model = b.build()
    model.meta.update({"species": species, "hypothesis": hypothesis, "layers": layers})
    return model
