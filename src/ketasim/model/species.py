"""The species the model covers and the reference body weight each parameter set applies to."""

from __future__ import annotations

from ketasim.model.errors import UserError

#: species with a parameter set, in the order they are listed
SPECIES = ("human", "mouse", "rat")
#: body weight (kg) at which each species' volumes and clearances apply (the typical subject)
REFERENCE_WEIGHT_KG = {"human": 70.0, "mouse": 0.025, "rat": 0.25}


def check_species(species: str, field: str = "species") -> str:
    """`species` if the model has a parameter set for it; otherwise a UserError on `field`."""
    if species not in SPECIES:
        raise UserError(field, f"unknown species {species!r}; use one of {', '.join(SPECIES)}")
    return species


def reference_weight(species: str) -> float:
    """Reference body weight (kg) of `species` (the weight its parameters are given for)."""
    return REFERENCE_WEIGHT_KG[check_species(species)]
