"""Kamp et al. 2020: meta-analysis of racemic ketamine pharmacokinetics (weighted mean V and CL).

Source: Kamp J, Olofsen E, Henthorn TK, van Velzen M, Niesters M, Dahan A. Ketamine
Pharmacokinetics: A Systematic Review of the Literature, Meta-analysis, and Population
Analysis. Anesthesiology 2020;133(6):1192-1213, doi:10.1097/ALN.0000000000003577. Abstract:
18 studies; weighted mean volume of distribution 252 L/70 kg (95% CI 200-304) and weighted
mean clearance 79 L/h at 70 kg (95% CI 69-90); no covariate effect.

What is encoded: the meta-analysis summary only, as a one-compartment model (V 252 L, CL 79 L/h).
The raw-data model of the same paper (arterial central compartment, two peripheral and two venous
delay compartments) and the metabolite model of Kamp et al. 2020 Br J Anaesth 125:750 were not
retrieved (their parameter tables are not in the searchable sources), so:
- only AUC (dose/CL) is a valid comparator: a one-compartment summary has no distribution phase,
  so its Cmax and Tmax are not predictions of the paper and are not compared;
- the 95% CIs are of the mean, not between-subject variability: no population is drawn.
"""

from __future__ import annotations

import numpy as np

from .linear import Bolus, Infusion, LinearSystem

SOURCE = "Kamp et al. 2020, Anesthesiology 133:1192, abstract (meta-analysis V 252 L, CL 79 L/h)"
SAMPLING = "mixed (arterial and venous studies)"
TYPICAL = {"V": 252.0, "CL": 79.0}  # L, L/h at 70 kg
CI95 = {"V": (200.0, 304.0), "CL": (69.0, 90.0)}


def draw(rng: np.random.Generator | None) -> dict[str, float]:
    if rng is not None:
        raise ValueError("Kamp 2020's meta-analysis gives no between-subject variability")
    return dict(TYPICAL)


def regimen_inputs(p: dict[str, float], route: str, mg: float, duration_h: float = 0.0) -> list[Bolus | Infusion]:
    if route != "iv":
        raise ValueError("only IV is encoded")
    return [Infusion(0.0, duration_h, 0, mg) if duration_h > 0 else Bolus(0.0, 0, mg)]


def concentrations(p: dict[str, float], inputs: list[Bolus | Infusion], t_h: np.ndarray) -> dict[str, np.ndarray]:
    x = LinearSystem(np.array([[-p["CL"] / p["V"]]])).simulate(inputs, t_h)
    return {"ketamine": x[:, 0] / p["V"] * 1000.0}
