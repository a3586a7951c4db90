"""Perez-Ruixo et al. 2021: esketamine (intranasal, IV, oral) and noresketamine population PK.

Source: Perez-Ruixo C, Rossenu S, Zannikos P, Nandy P, Singh J, Drevets WC, Perez-Ruixo JJ.
Population Pharmacokinetics of Esketamine Nasal Spray and its Metabolite Noresketamine in
Healthy Subjects and Patients with Treatment-Resistant Depression. Clin Pharmacokinet
2021;60(4):501-516, doi:10.1007/s40262-020-00953-4. 820 subjects (256 healthy, 564 TRD),
venous plasma; intranasal 14-112 mg, IV 28 mg, oral 84 mg (ESKETINTRD1009).
Values: Table 3, as transcribed in nlmixr2lib (inst/modeldb/specificDrugs/PerezRuixo_2020_esketamine.R,
whose comments give the table row of each value). Rate constants are in 1/h (the paper's table
prints some as L/h). The paper's Table 4 (typical-subject Cmax and AUC0-24 by dose) is
reproduced in `TABLE4` and asserted by tests/test_poppk.py, as a check of this encoding.

Structure (Section 2.3, Fig. 1): three-compartment esketamine (central Vc, peripheral Vp1 and
Vp2) exchanging with a hepato-portal compartment (Vh, blood flow Qh) where esketamine is
eliminated (kel) or N-demethylated to noresketamine (kmet): a well-stirred liver, so
CL = Qh*E with E = Vh(kel+kmet)/(Qh + Vh(kel+kmet)). Nasal: a fraction FRn of each device is
absorbed first order (ka_n) into the central compartment, the rest is swallowed (zero-order
over Dsw into a gut depot, then ka_sw into the liver, after a gut loss 1 - Fgut). Oral
solution: zero order over Dpo, then ka_po into the liver. Noresketamine: two apparent
compartments (Vcn/F, Vpn/F, CLn/F, Q3/F) fed by kmet.

Assumptions (written down, not in the paper's tables):
- Devices are 28 mg of esketamine base, given 5 min apart (Spravato label); the 2nd and 3rd
  device each absorb 0.62 x FRn nasally (Table 3 'dose effect on FRn', applied per device and not
  compounded; this gives the abstract's absolute F of 54% at 56 mg and 51% at 84 mg).
- The printed ODEs for the nasal and swallowed depots contain a typo (Section 2.3; see the
  nlmixr2lib vignette's errata); this encoding follows Fig. 1 and the F formulae instead.
- IIV of kmet is reported in Section 2.4 but its value is blank in Table 3; 30% CV is used
  (the nlmixr2lib placeholder). Dsw and Dpo carry no IIV (none is reported).
- Reference subject: non-Asian, non-Japanese, age <= 60 (no covariate effect applies).
- Noresketamine is carried in mg of esketamine (no molar-mass conversion), as in the literal
  encoding; that encoding matches Table 4's noresketamine Cmax but over-predicts its AUC0-24
  by about 1.4 (= 1/fraction metabolised; nlmixr2lib vignette errata 1). Noresketamine AUC is
  therefore not used as a comparator.
"""

from __future__ import annotations

import math

import numpy as np

from .linear import Bolus, Infusion, LinearSystem

SOURCE = "Perez-Ruixo et al. 2021, Clin Pharmacokinet 60:501, Table 3 (via nlmixr2lib)"
SAMPLING = "venous"

#: Table 3 typical values (units in the key's comment)
TYPICAL = {
    "FRn": 0.54,        # fraction of a 28 mg device absorbed nasally
    "dose_FRn": 0.62,   # multiplier of FRn for the 2nd and 3rd device
    "ka_n": 2.93,       # 1/h, nasal absorption
    "Dsw": 0.53,        # h, zero-order duration of the swallowed part
    "ka_sw": 1.45,      # 1/h, absorption of the swallowed part
    "Dpo": 0.32,        # h, zero-order duration of an oral solution
    "ka_po": 0.97,      # 1/h, oral absorption
    "Fgut": 0.64,       # fraction escaping gut-wall metabolism
    "Vc": 192.0,        # L
    "Q1": 84.3,         # L/h
    "Vp1": 143.0,       # L
    "Q2": 37.6,         # L/h
    "Vp2": 417.0,       # L
    "Qh": 151.0,        # L/h, hepatic blood flow
    "Vh": 101.0,        # L, hepato-portal volume
    "kel": 1.11,        # 1/h, hepatic elimination to other metabolites
    "kmet": 2.77,       # 1/h, hepatic N-demethylation to noresketamine
    "Vcn": 70.0,        # L (apparent, /F)
    "CLn": 38.0,        # L/h (apparent, /F)
    "Vpn": 115.0,       # L (apparent, /F)
    "Q3": 26.1,         # L/h (apparent, /F)
}

#: Table 3 between-subject variability: log-normal variances (omega^2 = ln(1 + CV^2)), except FRn
#: (additive on the logit scale, SD 0.708). kmet: placeholder 30% CV (value missing in Table 3).
IIV_LOG_VARIANCE = {
    "ka_n": 0.319, "ka_sw": 1.009, "ka_po": 1.009, "Vc": 0.0730, "Vp1": 0.218, "Qh": 0.0524,
    "Vh": 0.113, "kel": 0.892, "kmet": 0.0862, "Vcn": 0.0955, "CLn": 0.0625,
}
FRN_LOGIT_SD = 0.708

#: Table 4, 18-60 y Caucasian, typical subject: dose mg -> (esketamine Cmax ng/mL, AUC0-24 ng*h/mL,
#: noresketamine Cmax ng/mL)
TABLE4 = {28: (43.8, 147.3, 59.1), 56: (72.5, 254.7, 119.7), 84: (101.0, 362.2, 180.0)}

DEVICE_MG = 28.0
DEVICE_INTERVAL_H = 5.0 / 60.0
# state indices
NASAL, SWALLOWED, ORAL, CENTRAL, P1, P2, LIVER, NK, NKP = range(9)


def draw(rng: np.random.Generator | None) -> dict[str, float]:
    """One subject's parameters (rng None: the typical subject)."""
    p = dict(TYPICAL)
    if rng is None:
        return p
    for name, var in IIV_LOG_VARIANCE.items():
        p[name] *= math.exp(rng.normal(0.0, math.sqrt(var)))
    logit = math.log(p["FRn"] / (1 - p["FRn"])) + rng.normal(0.0, FRN_LOGIT_SD)
    p["FRn"] = 1.0 / (1.0 + math.exp(-logit))
    return p


def system(p: dict[str, float]) -> LinearSystem:
    a = np.zeros((9, 9))

    def flow(src: int, dst: int | None, k: float) -> None:
        a[src, src] -= k
        if dst is not None:
            a[dst, src] += k

    flow(NASAL, CENTRAL, p["ka_n"])
    flow(SWALLOWED, LIVER, p["ka_sw"])
    flow(ORAL, LIVER, p["ka_po"])
    flow(CENTRAL, P1, p["Q1"] / p["Vc"])
    flow(P1, CENTRAL, p["Q1"] / p["Vp1"])
    flow(CENTRAL, P2, p["Q2"] / p["Vc"])
    flow(P2, CENTRAL, p["Q2"] / p["Vp2"])
    flow(CENTRAL, LIVER, p["Qh"] / p["Vc"])
    flow(LIVER, CENTRAL, p["Qh"] / p["Vh"])
    flow(LIVER, None, p["kel"])
    flow(LIVER, NK, p["kmet"])
    flow(NK, None, p["CLn"] / p["Vcn"])
    flow(NK, NKP, p["Q3"] / p["Vcn"])
    flow(NKP, NK, p["Q3"] / p["Vpn"])
    return LinearSystem(a)


def nasal_inputs(p: dict[str, float], devices: int) -> list[Bolus | Infusion]:
    out: list[Bolus | Infusion] = []
    for k in range(devices):
        t = k * DEVICE_INTERVAL_H
        frn = p["FRn"] * (1.0 if k == 0 else p["dose_FRn"])
        out.append(Bolus(t, NASAL, frn * DEVICE_MG))
        out.append(Infusion(t, p["Dsw"], SWALLOWED, (1.0 - frn) * p["Fgut"] * DEVICE_MG))
    return out


def iv_inputs(mg: float, duration_h: float) -> list[Bolus | Infusion]:
    return [Infusion(0.0, duration_h, CENTRAL, mg)]


def oral_inputs(p: dict[str, float], mg: float) -> list[Bolus | Infusion]:
    return [Infusion(0.0, p["Dpo"], ORAL, p["Fgut"] * mg)]


def concentrations(p: dict[str, float], inputs: list[Bolus | Infusion], t_h: np.ndarray) -> dict[str, np.ndarray]:
    """Plasma esketamine and noresketamine (ng/mL) at `t_h`."""
    x = system(p).simulate(inputs, t_h)
    return {"s_ketamine": x[:, CENTRAL] / p["Vc"] * 1000.0, "s_norketamine": x[:, NK] / p["Vcn"] * 1000.0}


def regimen_inputs(p: dict[str, float], route: str, mg: float, duration_h: float = 0.0) -> list[Bolus | Infusion]:
    if route == "intranasal":
        devices = round(mg / DEVICE_MG)
        assert abs(devices * DEVICE_MG - mg) < 1e-9, "nasal doses are whole 28 mg devices"
        return nasal_inputs(p, devices)
    if route == "iv":
        return iv_inputs(mg, duration_h)
    if route == "oral":
        return oral_inputs(p, mg)
    raise ValueError(route)


def clearance_l_h(p: dict[str, float] = TYPICAL) -> float:
    """Systemic clearance Qh*E of the well-stirred liver (paper: 114 L/h)."""
    cl_int = p["Vh"] * (p["kel"] + p["kmet"])
    return p["Qh"] * cl_int / (p["Qh"] + cl_int)
