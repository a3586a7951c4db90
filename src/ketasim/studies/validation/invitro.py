"""In-vitro readouts of the target layer, computed from the same parameters and equations:
IC50 by subunit and Mg2+, trapped fraction after washout, equilibrium block of a population.

These let tests and the validation scorecard check the receptor pharmacology (Mealing 1999,
Kotermanski & Johnson 2009, Gideons 2014) without a whole-body simulation.
"""

from __future__ import annotations

from scipy.integrate import solve_ivp

from ketasim.layers.targets.parameters import GROUP_TABLE, parameter_table
from ketasim.model.errors import UserError

#: compound name -> (group, analyte) of the channel-site tables
COMPOUNDS = {
    "s_ketamine": ("K", "K_S"), "r_ketamine": ("K", "K_R"), "s_norketamine": ("K", "NK_S"),
    "r_norketamine": ("K", "NK_R"), "s_dhnk": ("K", "DHNK_S"), "r_dhnk": ("K", "DHNK_R"),
    "memantine": ("MEM", "MEM"), "mk801": ("MK", "MK"), "lanicemine": ("LAN", "LAN"),
}


def _p() -> dict[str, float]:
    return {p.name: p.internal_value for p in parameter_table("human")}


def _check(compound: str) -> None:
    if compound not in (*COMPOUNDS, "ketamine", "2r6r_hnk"):
        raise UserError("compound", f"unknown compound {compound!r}; choose one of "
                        f"{', '.join([*COMPOUNDS, 'ketamine', '2r6r_hnk'])}")


def ic50(compound: str, subunit: str = "2A", mg_mm: float = 0.0) -> float:
    """Equilibrium IC50 (uM) at GluN1/GluN<subunit> with `mg_mm` Mg2+ (competitive, 1 mM = table shift).

    Racemic "ketamine" combines S and R 1:1; (2R,6R)-HNK is fully Mg2+-competitive like ketamine.
    """
    _check(compound)
    p = _p()
    if subunit not in ("2A", "2B", "2C", "2D"):
        raise UserError("subunit", "use 2A, 2B, 2C or 2D")
    if compound == "ketamine":
        s, r = ic50("s_ketamine", subunit, mg_mm), ic50("r_ketamine", subunit, mg_mm)
        return 1.0 / (0.5 / s + 0.5 / r)
    if compound == "2r6r_hnk":
        group, kd = "K", p["IC50_HNK_R"]
    else:
        group, analyte = COMPOUNDS[compound]
        kd = p[f"Ki_{analyte}"]
    table = GROUP_TABLE[group]
    return kd * p[f"sub_{table}_{subunit}"] * (1.0 + (p[f"mg_{table}_{subunit}"] - 1.0) * mg_mm)


def trapped_fraction(compound: str, washout_s: float = 120.0, block: float = 0.8) -> float:
    """Fraction of block left after removing drug and agonist for `washout_s` (Mealing 1999 protocol).

    The channel is held open (Po = 1) with drug until `block` is reached at equilibrium, then
    Po = 0 and drug = 0: the superficial share escapes at k_esc, deep drug leaks at k_leak.
    """
    _check(compound)
    if compound not in COMPOUNDS:
        raise UserError("compound", "trapping is defined for channel blockers (not racemate or HNK)")
    group = COMPOUNDS[compound][0]
    p = _p()
    f, k_esc, k_leak = p[f"f_trap_{group}"], p["k_esc"], p[f"k_leak_{group}"]
    x = block / (1.0 - block)  # equilibrium X at Po = 1: total block X/(1 + X)
    free = 1.0 / (1.0 + x)
    bd0, bs0 = f * x * free, (1.0 - f) * x * free
    t_h = washout_s / 3600.0
    sol = solve_ivp(lambda t, y: [-k_leak * y[0], -k_esc * y[1]], (0.0, t_h), [bd0, bs0], method="Radau",
                    rtol=1e-10, atol=1e-14)
    bd, bs = sol.y[:, -1]
    return float((bd + bs) / (bd0 + bs0))


def resting_block(compound: str, conc_um: float) -> float:
    """Equilibrium block of pyramidal NMDAR minis at rest (1 mM Mg2+, population 'rest')."""
    _check(compound)
    if compound not in COMPOUNDS:
        raise UserError("compound", "use a single channel-blocking compound")
    group, _ = COMPOUNDS[compound]
    p = _p()
    table = GROUP_TABLE[group]
    mgw = p["mgw_rest"] * (p["mg_rest_mem"] if group == "MEM" else 1.0)
    w2b = p["w2b_syn"]
    inv = sum(w / (p[f"sub_{table}_{s}"] * (1 + (p[f"mg_{table}_{s}"] - 1) * mgw))
              for s, w in (("2A", 1 - w2b), ("2B", w2b)))
    x = conc_um / (ic50(compound, "2A", 0.0) / p[f"sub_{table}_2A"]) * inv
    f, po, koff = p[f"f_trap_{group}"], p["Po_rest0"], p[f"koff_{group}"]
    a = (1 - f) * x * koff * po / (koff * po + p["k_esc"] * (1 - po))
    leak = p[f"k_leak_{group}"] * (1 - po) / (po * koff)
    # steady state of dBd = Po koff (f x free - Bd) - leak..., free = (1 - Bd)/(1 + a)
    bd = f * x / (1 + a) / (1 + leak + f * x / (1 + a))
    return float(1 - (1 - bd) / (1 + a))


__all__ = ["COMPOUNDS", "ic50", "trapped_fraction", "resting_block"]
