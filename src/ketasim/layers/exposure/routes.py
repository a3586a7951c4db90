"""How a dose by each route is split over the model's dose inputs (part of the model description).

Fractions are expressions in model parameters (and, for nasal sessions, the per-spray event
variables of description.EVENT_VARIABLES), so they vary per patient, appear in docs/model.md
and are exported to SBML. The fractions of one administration always add up to exactly 1
(mass balance): whatever is not absorbed goes to the elimination sink through a `loss_*` input.
"""

from __future__ import annotations

import re

from ketasim.model.compounds import DRUGS, Drug
from ketasim.model.description import EVENT_VARIABLES, ModelBuilder
from ketasim.model.errors import UserError

#: nasal fraction of one spray of a racemic solution session. The amount absorbed nasally after a
#: cumulative D mg (base) is A(D) = FRn_max_sol*D50*D/(D50 + D) (mucosal capacity and run-off of the
#: volume); a spray absorbs A(through) - A(before), i.e. the fraction below of its own dose. So the
#: bioavailability of a session depends on its total dose only: one 50 mg spray and five 10 mg
#: sprays absorb the same.
SOLUTION_NASAL_FRACTION = "(FRn_max_sol*D50_sol**2/((D50_sol + spray_mg_through)*(D50_sol + spray_mg_before)))"
#: nasal fraction of an esketamine device (Perez-Ruixo 2021): later devices of a session absorb less
DEVICE_NASAL_FRACTION = "FRn_esk*FRn_dec**later_spray"
#: (2R,6R)-HNK given directly: dose input by route
HNK_INPUTS = {"iv": "iv_HNK_R", "oral": "oral_HNK_R", "ip": "oral_HNK_R"}
_EVENT_NAME = re.compile(r"\b(" + "|".join(EVENT_VARIABLES) + r")\b")


def validate_route(drug: Drug, route: str, field: str) -> None:
    """Raise a UserError unless `drug` can be given by `route`."""
    if route not in drug.routes:
        raise UserError(field, f"route {route!r} is not available for {drug.name}; use one of "
                               f"{', '.join(drug.routes)}")


def _ketamine_nasal(drug: Drug, e: str, share: float) -> list[tuple[str, str]]:
    if drug.name == "esketamine":  # device model of Perez-Ruixo 2021
        frn = DEVICE_NASAL_FRACTION
        return [(f"intranasal_K_{e}", f"{share}*{frn}"), (f"oral_K_{e}", f"{share}*(1 - {frn})")]
    frn = SOLUTION_NASAL_FRACTION  # racemic solution sprays: nasal uptake saturates with the session's dose
    return [(f"intranasal_sol_K_{e}", f"{share}*{frn}"), (f"oral_K_{e}", f"{share}*(1 - {frn})*f_swallow_sol"),
            ("loss_ket", f"{share}*(1 - {frn})*(1 - f_swallow_sol)")]


def _ketamine_split(drug: Drug, route: str) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    for analyte, share in drug.analytes.items():
        e = analyte
        if analyte == "HNK_R":
            out.append((HNK_INPUTS[route], f"{share}"))
        elif route == "sublingual":
            out += [(f"sublingual_K_{e}", f"{share}*Fsl_mucosal"), (f"oral_K_{e}", f"{share}*(1 - Fsl_mucosal)")]
        elif route == "intranasal":
            out += _ketamine_nasal(drug, e, share)
        else:  # iv, oral, and the im, sc, ip depots
            out.append((f"{route}_K_{e}", f"{share}"))
    return out


def _comparator_split(drug: Drug, route: str) -> list[tuple[str, str]]:
    """Comparators: IV and inhaled into blood, oral and i.p. via the depot with F, icv into the brain depot,
    other routes via the depot."""
    a = next(iter(drug.analytes))
    if route in ("iv", "inhaled"):
        return [(f"iv_{a}", "1")]
    if route == "icv":
        return [(f"icv_{a}", "1")]
    if route in ("oral", "ip"):
        return [(f"depot_{a}", f"F_{a}"), (f"loss_{a}", f"1 - F_{a}")]
    return [(f"depot_{a}", "1")]


def dose_split(drug: Drug, route: str) -> list[tuple[str, str]]:
    """(dose input, fraction) pairs of one administration, fractions in parameters and event variables."""
    return _ketamine_split(drug, route) if drug.family == "ketamine" else _comparator_split(drug, route)


def add_dose_splits(b: ModelBuilder, family: str, routes: set[str]) -> None:
    """Record in the model the splits of every drug of `family` by every route whose inputs it has."""
    for drug in DRUGS.values():
        if drug.family != family:
            continue
        for route in drug.routes:
            parts = dose_split(drug, route)
            if (route in routes or route == "iv") and all(inp in b.inputs for inp, _ in parts):
                b.dose_split(drug.name, route, parts)


def dose_targets(drug: Drug, route: str, spray_index: int = 1, spray_mg_base: float = 0.0) -> list[tuple[str, str]]:
    """(dose input, fraction expression) pairs for spray `spray_index` of `spray_mg_base` mg of base."""
    values = {"later_spray": 0 if spray_index == 1 else 1, "spray_mg_before": (spray_index - 1) * spray_mg_base,
              "spray_mg_through": spray_index * spray_mg_base}
    return [(inp, _EVENT_NAME.sub(lambda m: repr(values[m.group(1)]), fraction))
            for inp, fraction in dose_split(drug, route)]
