"""Fanta et al. 2015 S-ketamine disposition with the Otto et al. 2021 S-norketamine model (IV).

Sources: Fanta S, Kinnunen M, Backman JT, Kalso E. Population pharmacokinetics of S-ketamine
and norketamine in healthy volunteers after intravenous and oral dosing. Eur J Clin Pharmacol
2015;71(4):441-447, doi:10.1007/s00228-015-1826-y (11 healthy men, 0.125 mg/kg IV bolus and
0.25 mg/kg oral, venous sampling to 23.5 h). Otto ME, Bergmann KR, Jacobs G, van Esdonk MJ.
Predictive performance of parent-metabolite population pharmacokinetic models of (S)-ketamine
in healthy volunteers. Eur J Clin Pharmacol 2021;77(8):1181-1192, doi:10.1007/s00228-021-03104-1:
Fanta's model predicted their external IV data best; Otto Table 3 and the supplementary NONMEM
code fix the S-ketamine parameters to Fanta's values (THETA 1-6 FIX), re-estimate their
between-subject variability and give a new S-norketamine model. Values as transcribed in
nlmixr2lib (inst/modeldb/specificDrugs/Otto_2021_s_ketamine.R) and in
/work/shared/domain/parameters.md section 3.1.

Structure: three-compartment S-ketamine (V1, Vp1/Q1, Vp2/Q2, CL from the central compartment);
all S-ketamine clearance forms S-norketamine (Otto 2021 Methods), which has two compartments.
Central volumes scale with WT/70, clearances with (WT/70)^0.75 (Otto Table 3 footnote); the
reference subject is 70 kg.

Assumptions:
- Only IV dosing is encoded: the oral absorption and presystemic norketamine formation of
  Fanta's oral model were not retrieved (only its F = 8%), so the oral route is not compared.
- S-norketamine is carried in mg of S-ketamine (no molar-mass conversion), as in Otto's code;
  S-norketamine concentrations are converted here to ng/mL of norketamine with the molar-mass
  ratio 223.7/237.7 (noted because Otto's code does not convert).
- Venous sampling: V1 133 L is large because early venous concentrations lag the arterial ones.
"""

from __future__ import annotations

import numpy as np

from .linear import Bolus, Infusion, LinearSystem

SOURCE = "Fanta et al. 2015 (S-ketamine, fixed in Otto et al. 2021 Table 3) and Otto 2021 (S-norketamine)"
SAMPLING = "venous"
MW_KETAMINE, MW_NORKETAMINE = 237.73, 223.70

TYPICAL = {
    "V1": 133.0,    # L, Otto Table 3 (Fanta), THETA(1) FIX
    "CL": 95.2,     # L/h, THETA(2) FIX
    "Vp1": 187.0,   # L, THETA(3) FIX
    "Q1": 23.2,     # L/h, THETA(4) FIX
    "Vp2": 98.8,    # L, THETA(5) FIX
    "Q2": 157.0,    # L/h, THETA(6) FIX
    "Vn": 98.6,     # L, S-norketamine central, Otto Table 3 (RSE 3.8%)
    "CLn": 57.7,    # L/h, RSE 5.7%
    "Vpn": 160.0,   # L, RSE 17.6%
    "Qn": 42.8,     # L/h, RSE 7.5%
}
#: Otto Table 3 OMEGA blocks (log scale): (var V, cov, var CL) for the parent and for norketamine
OMEGA_PARENT = np.array([[0.084177, 0.02261], [0.02261, 0.026048]])
OMEGA_NK = np.array([[0.040426, 0.04456], [0.04456, 0.10319]])

CENTRAL, P1, P2, NK, NKP = range(5)


def draw(rng: np.random.Generator | None) -> dict[str, float]:
    p = dict(TYPICAL)
    if rng is None:
        return p
    ev, ecl = rng.multivariate_normal(np.zeros(2), OMEGA_PARENT)
    p["V1"] *= float(np.exp(ev))
    p["CL"] *= float(np.exp(ecl))
    ev, ecl = rng.multivariate_normal(np.zeros(2), OMEGA_NK)
    p["Vn"] *= float(np.exp(ev))
    p["CLn"] *= float(np.exp(ecl))
    return p


def system(p: dict[str, float]) -> LinearSystem:
    a = np.zeros((5, 5))

    def flow(src: int, dst: int | None, k: float) -> None:
        a[src, src] -= k
        if dst is not None:
            a[dst, src] += k

    flow(CENTRAL, NK, p["CL"] / p["V1"])
    flow(CENTRAL, P1, p["Q1"] / p["V1"])
    flow(P1, CENTRAL, p["Q1"] / p["Vp1"])
    flow(CENTRAL, P2, p["Q2"] / p["V1"])
    flow(P2, CENTRAL, p["Q2"] / p["Vp2"])
    flow(NK, None, p["CLn"] / p["Vn"])
    flow(NK, NKP, p["Qn"] / p["Vn"])
    flow(NKP, NK, p["Qn"] / p["Vpn"])
    return LinearSystem(a)


def regimen_inputs(p: dict[str, float], route: str, mg: float, duration_h: float = 0.0) -> list[Bolus | Infusion]:
    if route != "iv":
        raise ValueError("only IV S-ketamine is encoded")
    return [Infusion(0.0, duration_h, CENTRAL, mg) if duration_h > 0 else Bolus(0.0, CENTRAL, mg)]


def concentrations(p: dict[str, float], inputs: list[Bolus | Infusion], t_h: np.ndarray) -> dict[str, np.ndarray]:
    x = system(p).simulate(inputs, t_h)
    return {"s_ketamine": x[:, CENTRAL] / p["V1"] * 1000.0,
            "s_norketamine": x[:, NK] / p["Vn"] * 1000.0 * MW_NORKETAMINE / MW_KETAMINE}
