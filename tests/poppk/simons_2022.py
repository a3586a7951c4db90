"""Simons et al. 2022: S-ketamine, S-norketamine and S-hydroxynorketamine (oral thin film and IV).

Source: Simons P, Olofsen E, van Velzen M, et al., Dahan A. S-Ketamine Oral Thin Film - Part 1:
Population Pharmacokinetics of S-Ketamine, S-Norketamine and S-Hydroxynorketamine. Front Pain
Res 2022;3:946486, doi:10.3389/fpain.2022.946486. 20 healthy volunteers, 50 and 100 mg films
held sublingually or buccally for 10 min, then 20 mg IV over 20 min at 6 h; arterial sampling.
Values: Table 4 ('@ 70 kg'), as transcribed in nlmixr2lib
(inst/modeldb/specificDrugs/Simons_2022_s_ketamine.R) and in parameters.md section 3.2.
The paper's units are minutes and L/min; they are converted to hours here (x 60).

Structure: three-compartment S-ketamine. The film dose is absorbed by two parallel routes:
mucosal (F1 26.3% of the dose, zero order over D1 13.1 min into a depot, then KA1 into the
central compartment) and swallowed (F2 116% of the dose, zero order over D2 29.9 min into a gut
depot, then KA2 and a gut-to-liver delay MTTG, straight into metabolism: it never reaches
systemic S-ketamine). Systemic S-ketamine clearance (CLK1) and the swallowed route feed a
two-compartment transit chain (mean transit time 20.1 min) of which 80% (fixed) forms
S-norketamine; S-norketamine clearance (CLN1) feeds a second chain (1.12 min) of which 70%
(fixed) forms S-HNK. VN1 = VK1. States are mg of S-ketamine equivalents (moles conserved).

Assumptions:
- Reference subject 70 kg (allometric exponents are not printed; irrelevant at 70 kg).
- Population draws use the inter-subject variances of Table 4 and, since every simulated
  subject has one occasion, one draw of each inter-occasion variance (occasion 1). The IOV of
  0.751 printed on the S-norketamine residual row is assigned to MTT K->NK, as nlmixr2lib does.
- Arterial sampling: early concentrations are higher than venous ones (Henthorn 2018).
"""

from __future__ import annotations

import math

import numpy as np

from .linear import Bolus, Infusion, LinearSystem

SOURCE = "Simons et al. 2022, Front Pain Res 3:946486, Table 4 (via nlmixr2lib)"
SAMPLING = "arterial"
MW = {"ketamine": 237.73, "norketamine": 223.70, "hnk": 239.70}
MIN = 60.0  # 1/min -> 1/h and L/min -> L/h

TYPICAL = {
    "F1": 0.263, "D1_h": 13.1 / MIN, "KA1": 0.04 * MIN,                 # mucosal: -, h, 1/h
    "F2": 1.16, "D2_h": 29.9 / MIN, "KA2": 0.049 * MIN, "MTTG_h": 10.7 / MIN,  # swallowed
    "VK1": 11.6, "VK2": 39.0, "VK3": 174.0,                           # L
    "CLK1": 1.48 * MIN, "CLK2": 2.43 * MIN, "CLK3": 1.21 * MIN,       # L/h
    "MTT_NK_h": 20.1 / MIN, "fm_NK": 0.8,
    "VN2": 221.0, "CLN1": 1.00 * MIN, "CLN2": 2.63 * MIN,
    "MTT_HNK_h": 1.12 / MIN, "fm_HNK": 0.7,
    "VH1": 4.4, "VH2": 87.5, "CLH1": 0.933 * MIN, "CLH2": 1.70 * MIN,
}
#: Table 4 inter-subject (omega^2) and inter-occasion (nu^2) variances, log scale
IIV = {"VK1": 0.057, "CLK1": 0.029, "CLK3": 0.026, "CLN1": 0.050, "MTT_NK_h": 0.021, "VH1": 1.22,
       "CLH1": 0.103, "CLH2": 0.287}
IOV = {"F1": 0.060, "D1_h": 0.154, "KA1": 0.062, "F2": 0.057, "D2_h": 0.611, "KA2": 0.376,
       "MTTG_h": 0.937, "MTT_NK_h": 0.751, "VH2": 0.152, "CLH1": 0.008}

(MUCOSA, GUT, GUT_LIVER, CENTRAL, P1, P2, T1N, T2N, NK, NKP, T1H, T2H, HNK, HNKP) = range(14)


def draw(rng: np.random.Generator | None) -> dict[str, float]:
    p = dict(TYPICAL)
    if rng is None:
        return p
    for table in (IIV, IOV):
        for name, var in table.items():
            p[name] *= math.exp(rng.normal(0.0, math.sqrt(var)))
    return p


def system(p: dict[str, float]) -> LinearSystem:
    a = np.zeros((14, 14))

    def flow(src: int, dst: int | None, k: float, frac: float = 1.0) -> None:
        a[src, src] -= k
        if dst is not None:
            a[dst, src] += k * frac

    flow(MUCOSA, CENTRAL, p["KA1"])
    flow(GUT, GUT_LIVER, p["KA2"])
    flow(GUT_LIVER, T1N, 1.0 / p["MTTG_h"])
    vk1 = p["VK1"]
    flow(CENTRAL, T1N, p["CLK1"] / vk1)
    flow(CENTRAL, P1, p["CLK2"] / vk1)
    flow(P1, CENTRAL, p["CLK2"] / p["VK2"])
    flow(CENTRAL, P2, p["CLK3"] / vk1)
    flow(P2, CENTRAL, p["CLK3"] / p["VK3"])
    k_nk = 2.0 / p["MTT_NK_h"]
    flow(T1N, T2N, k_nk)
    flow(T2N, NK, k_nk, p["fm_NK"])  # the other 20% is lost
    vn1 = vk1  # VN1 = VK1 (Fig. 2)
    flow(NK, T1H, p["CLN1"] / vn1)
    flow(NK, NKP, p["CLN2"] / vn1)
    flow(NKP, NK, p["CLN2"] / p["VN2"])
    k_h = 2.0 / p["MTT_HNK_h"]
    flow(T1H, T2H, k_h)
    flow(T2H, HNK, k_h, p["fm_HNK"])
    flow(HNK, None, p["CLH1"] / p["VH1"])
    flow(HNK, HNKP, p["CLH2"] / p["VH1"])
    flow(HNKP, HNK, p["CLH2"] / p["VH2"])
    return LinearSystem(a)


def regimen_inputs(p: dict[str, float], route: str, mg: float, duration_h: float = 0.0) -> list[Bolus | Infusion]:
    if route == "iv":
        return [Infusion(0.0, duration_h, CENTRAL, mg) if duration_h > 0 else Bolus(0.0, CENTRAL, mg)]
    if route == "sublingual":  # the oral thin film
        return [Infusion(0.0, p["D1_h"], MUCOSA, p["F1"] * mg), Infusion(0.0, p["D2_h"], GUT, p["F2"] * mg)]
    raise ValueError(route)


def concentrations(p: dict[str, float], inputs: list[Bolus | Infusion], t_h: np.ndarray) -> dict[str, np.ndarray]:
    """Arterial plasma S-ketamine, S-norketamine and S-HNK in ng/mL of each analyte."""
    x = system(p).simulate(inputs, t_h)
    to_ng = 1000.0 / MW["ketamine"]  # mg ketamine-equivalents per L -> umol/L
    return {"s_ketamine": x[:, CENTRAL] / p["VK1"] * 1000.0,
            "s_norketamine": x[:, NK] / p["VK1"] * to_ng * MW["norketamine"],
            "hnk": x[:, HNK] / p["VH1"] * to_ng * MW["hnk"]}
