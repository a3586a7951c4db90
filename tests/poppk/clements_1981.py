"""Clements and Nimmo 1981: racemic ketamine, two-compartment model (IV).

Source: Clements JA, Nimmo WS. Pharmacokinetics and analgesic effect of ketamine in man.
Br J Anaesth 1981;53:27-30, doi:10.1093/bja/53.1.27, as tabulated in opentiva (ketamine models)
and in /work/shared/domain/parameters.md section 2.1 [T]: V1 = 1.752 L/kg; k10 0.0109,
k12 0.0186, k21 0.0137 min^-1 (V1 123 L, CL about 80 L/h at 70 kg; half-lives 18 min and 3.0 h).
Venous sampling.

Assumptions: no between-subject variability is published with the model (typical subject
only); 70 kg.
"""

from __future__ import annotations

import numpy as np

from .linear import Bolus, Infusion, LinearSystem

SOURCE = "Clements and Nimmo 1981, Br J Anaesth 53:27 (opentiva; parameters.md 2.1)"
SAMPLING = "venous"
V1_L_PER_KG = 1.752
K_PER_MIN = {"k10": 0.0109, "k12": 0.0186, "k21": 0.0137}
WEIGHT_KG = 70.0


def draw(rng: np.random.Generator | None) -> dict[str, float]:
    if rng is not None:
        raise ValueError("no between-subject variability is published with this model")
    return {"V1": V1_L_PER_KG * WEIGHT_KG, **{k: v * 60.0 for k, v in K_PER_MIN.items()}}


def regimen_inputs(p: dict[str, float], route: str, mg: float, duration_h: float = 0.0) -> list[Bolus | Infusion]:
    if route != "iv":
        raise ValueError("only IV is encoded")
    return [Infusion(0.0, duration_h, 0, mg) if duration_h > 0 else Bolus(0.0, 0, mg)]


def concentrations(p: dict[str, float], inputs: list[Bolus | Infusion], t_h: np.ndarray) -> dict[str, np.ndarray]:
    a = np.array([[-(p["k10"] + p["k12"]), p["k21"]], [p["k12"], -p["k21"]]])
    x = LinearSystem(a).simulate(inputs, t_h)
    return {"ketamine": x[:, 0] / p["V1"] * 1000.0}
