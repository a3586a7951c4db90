"""Domino et al. 1982: racemic ketamine, three-compartment model (IV).

Source: Domino et al. 1982, Anesth Analg (PMID 7198883), as tabulated in opentiva (ketamine
models) and in /work/shared/domain/parameters.md section 2.1 [T]:
V1 = 0.063 L/kg; k10 0.4381, k12 0.5921, k13 0.590, k21 0.247, k31 0.0146 min^-1
(V1 4.4 L, V2 10.6 L, V3 178 L, CL about 116 L/h at 70 kg; half-lives 0.4, 4.6 and 115 min).
Sampling site: not recorded in the sources used here.

Assumptions: no between-subject variability is published with the model (typical subject
only); 70 kg.
"""

from __future__ import annotations

import numpy as np

from .linear import Bolus, Infusion, LinearSystem

SOURCE = "Domino et al. 1982 (opentiva; parameters.md 2.1)"
SAMPLING = "not recorded here"
V1_L_PER_KG = 0.063
K_PER_MIN = {"k10": 0.4381, "k12": 0.5921, "k13": 0.590, "k21": 0.247, "k31": 0.0146}
WEIGHT_KG = 70.0


def draw(rng: np.random.Generator | None) -> dict[str, float]:
    if rng is not None:
        raise ValueError("no between-subject variability is published with this model")
    return {"V1": V1_L_PER_KG * WEIGHT_KG, **{k: v * 60.0 for k, v in K_PER_MIN.items()}}  # L, 1/h


def regimen_inputs(p: dict[str, float], route: str, mg: float, duration_h: float = 0.0) -> list[Bolus | Infusion]:
    if route != "iv":
        raise ValueError("only IV is encoded")
    return [Infusion(0.0, duration_h, 0, mg) if duration_h > 0 else Bolus(0.0, 0, mg)]


def concentrations(p: dict[str, float], inputs: list[Bolus | Infusion], t_h: np.ndarray) -> dict[str, np.ndarray]:
    a = np.array([[-(p["k10"] + p["k12"] + p["k13"]), p["k21"], p["k31"]],
                  [p["k12"], -p["k21"], 0.0],
                  [p["k13"], 0.0, -p["k31"]]])
    x = LinearSystem(a).simulate(inputs, t_h)
    return {"ketamine": x[:, 0] / p["V1"] * 1000.0}
