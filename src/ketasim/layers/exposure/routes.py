"""How a dose by each route is split over the model's dose inputs.

Fractions are expressions in model parameters, so they vary per patient and are exported to
SBML unchanged. The fractions of one administration always add up to exactly 1 (mass balance):
whatever is not absorbed goes to the elimination sink through the `loss_<family>` input.
"""

from __future__ import annotations

from ketasim.model.compounds import Drug
from ketasim.model.errors import UserError


def validate_route(drug: Drug, route: str, field: str) -> None:
    """Raise a UserError unless `drug` can be given by `route`."""
    if route not in drug.routes:
        raise UserError(field, f"route {route!r} is not available for {drug.name}; use one of "
                               f"{', '.join(drug.routes)}")


def _solution_nasal_fraction(spray_index: int, spray_mg_base: float) -> str:
    """Nasal fraction of spray number `spray_index` of a racemic solution session.

    The amount absorbed nasally after a cumulative D mg (base) is A(D) = FRn_max_sol*D50*D/(D50 + D)
    (mucosal capacity and run-off of the volume); spray k of d mg absorbs A(k d) - A((k-1) d),
    i.e. the fraction FRn_max_sol*D50^2/((D50 + k d)(D50 + (k-1) d)). So the bioavailability of
    a session depends on its total dose only: one 50 mg spray and five 10 mg sprays absorb the same.
    """
    k, d = spray_index, spray_mg_base
    return f"(FRn_max_sol*D50_sol**2/((D50_sol + {k * d!r})*(D50_sol + {(k - 1) * d!r})))"


def _ketamine_targets(drug: Drug, route: str, spray_index: int, spray_mg_base: float) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    for analyte, share in drug.analytes.items():
        if analyte == "HNK_R":  # (2R,6R)-HNK given directly
            target = {"iv": "iv_HNK_R", "oral": "oral_HNK_R", "ip": "oral_HNK_R"}[route]
            out.append((target, f"{share}"))
            continue
        e = analyte
        if route == "iv":
            out.append((f"iv_K_{e}", f"{share}"))
        elif route == "oral":
            out.append((f"oral_K_{e}", f"{share}"))
        elif route == "sublingual":
            out.append((f"sublingual_K_{e}", f"{share}*Fsl_mucosal"))
            out.append((f"oral_K_{e}", f"{share}*(1 - Fsl_mucosal)"))
        elif route == "intranasal":
            if drug.name == "esketamine":  # device model of Perez-Ruixo 2021
                frn = "FRn_esk" if spray_index == 1 else "FRn_esk*FRn_dec"
                out.append((f"intranasal_K_{e}", f"{share}*{frn}"))
                out.append((f"oral_K_{e}", f"{share}*(1 - {frn})"))
            else:  # racemic solution sprays: nasal uptake saturates with the session's cumulative dose
                frn = _solution_nasal_fraction(spray_index, spray_mg_base)
                out.append((f"intranasal_sol_K_{e}", f"{share}*{frn}"))
                out.append((f"oral_K_{e}", f"{share}*(1 - {frn})*f_swallow_sol"))
                out.append(("loss_ket", f"{share}*(1 - {frn})*(1 - f_swallow_sol)"))
        else:  # im, sc, ip depots
            out.append((f"{route}_K_{e}", f"{share}"))
    return out


def dose_targets(drug: Drug, route: str, spray_index: int = 1, spray_mg_base: float = 0.0) -> list[tuple[str, str]]:
    """(dose input, fraction expression) pairs for one administration of `drug` by `route`."""
    if drug.family == "ketamine":
        return _ketamine_targets(drug, route, spray_index, spray_mg_base)
    from ketasim.layers.exposure import comparators  # comparator families define their own simple splits

    return comparators.dose_targets(drug, route)
