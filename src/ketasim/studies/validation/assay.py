"""In-vitro readouts of the model's own targets layer, run under the clamped conditions of the assays.

The assay model is the targets layer (`add_targets`, the same equations the whole-body model
uses) on its own: unbound drug concentrations are clamped parameters and the circuit quantities
that set open probability are held at baseline, as in a recorded cell or a membrane preparation.
Conditions are set through the layer's own parameters: the GluN2 subunit by the population's
subunit mix, Mg2+ by its Mg2+ weight (0: no Mg2+, 1: 1 mM at -66 mV), an agonist-bathed channel
by open probability 1, agonist removal by open probability 0. Readouts come from the layer's
steady state (IC50, resting block; integrated there if the root finder fails) or from following
it through a washout (trapped fraction).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from functools import lru_cache

import numpy as np
from scipy.integrate import solve_ivp
from scipy.optimize import root

from ketasim.layers.targets.layer import add_targets
from ketasim.layers.targets.parameters import CHANNEL_GROUPS
from ketasim.model.codegen import CompiledModel, compile_model
from ketasim.model.description import Model, ModelBuilder
from ketasim.model.errors import UserError
from ketasim.model.motifs import P

#: analytes whose unbound concentration the assay clamps (channel blockers and HNK)
ANALYTES = (*CHANNEL_GROUPS["K"], "HNK_S", "HNK_R", "MEM", "MK", "LAN")
#: compound name -> analyte mixture (fractions of the total concentration)
COMPOUNDS: dict[str, dict[str, float]] = {
    "s_ketamine": {"K_S": 1.0}, "r_ketamine": {"K_R": 1.0}, "ketamine": {"K_S": 0.5, "K_R": 0.5},
    "s_norketamine": {"NK_S": 1.0}, "r_norketamine": {"NK_R": 1.0}, "s_dhnk": {"DHNK_S": 1.0},
    "r_dhnk": {"DHNK_R": 1.0}, "2r6r_hnk": {"HNK_R": 1.0}, "memantine": {"MEM": 1.0}, "mk801": {"MK": 1.0},
    "lanicemine": {"LAN": 1.0},
}
#: circuit quantities at baseline (no network activity beyond the resting state)
BASELINE = {"r_int": 1.0, "r_pyr": 1.0, "glu": 100.0, "lhb_burst": 0.0, "g_amb": 0.0, "SYN_DEFICIT": 0.0,
            "DIAG_HEALTHY": 1.0, "lhb_bref": 1.0, "lhb_n_po": 1.0, "lhb_drive": 0.0}
#: recombinant GluN1/GluN2X: (population, output, its open-probability and Mg2+-weight parameters,
#: settings that make the population's subunit mix pure X)
RECOMBINANT = {
    "2A": ("pyr", "nmdar_block_pyr_syn", "Po_pyr0", "mgw_pyr", {"w2b_syn": 0.0}),
    "2B": ("ext", "nmdar_block_extrasyn", "Po_ext0", "mgw_ext", {}),
    "2C": ("glun2c", "nmdar_block_glun2c", "Po_2c0", "mgw_glun2c", {}),
    "2D": ("int", "nmdar_block_int", "Po_int0", "mgw_int", {"w2d_int": 1.0}),
}
EQUILIBRIUM_H = 200.0  # long enough for the slowest blocker (MK-801) to equilibrate at rest


@lru_cache(maxsize=1)
def assay_model() -> Model:
    """The targets layer alone, with clamped concentrations and baseline circuit inputs as parameters."""
    b = ModelBuilder(name="ketasim_targets_assay")
    b.layer = "assay"
    for name, value in BASELINE.items():
        b.param(P(name, value, "dimensionless", "assay condition", "P", "circuit input held at baseline"))
    for a in ANALYTES:
        b.param(P(f"conc_{a}", 0.0, "uM", "assay condition", "P", f"clamped unbound {a} concentration"))
        b.let(f"Cu_{a}", f"conc_{a}", "uM", f"unbound {a} at the receptor (clamped)")
    add_targets(b, "human", "default", set())
    return b.build()


def _check(compound: str) -> dict[str, float]:
    if compound not in COMPOUNDS:
        raise UserError("compound", f"unknown compound {compound!r}; choose one of {', '.join(COMPOUNDS)}")
    return COMPOUNDS[compound]


def _params(model: Model, conc_um: float, mix: Mapping[str, float], settings: Mapping[str, float]) -> np.ndarray:
    values = {**{f"conc_{a}": conc_um * share for a, share in mix.items()}, **settings}
    return np.array(model.with_params(**{k: model.param(k).internal(v) for k, v in values.items()}))


def _follow(cm: CompiledModel, x: np.ndarray, p: np.ndarray, hours: float) -> np.ndarray:
    u = np.zeros(0)
    sol = solve_ivp(lambda t, y: cm.rhs(t, y, p, u), (0.0, hours), x, method="Radau", rtol=1e-10, atol=1e-14)
    if sol.status != 0:
        raise RuntimeError(f"assay integration failed: {sol.message}")
    return sol.y[:, -1]


def _equilibrium(conc_um: float, mix: Mapping[str, float], settings: Mapping[str, float],
                 output: str) -> tuple[float, np.ndarray]:
    """Output `output` after the layer has equilibrated at `conc_um` (and the state reached)."""
    model = assay_model()
    cm = compile_model(model)
    p = _params(model, conc_um, mix, settings)
    u = np.zeros(0)
    sol = root(lambda y: cm.rhs(0.0, y, p, u), np.asarray(cm.initial(p), float), method="hybr", tol=1e-13)
    x = sol.x if sol.success else _follow(cm, np.asarray(cm.initial(p), float), p, EQUILIBRIUM_H)
    return float(np.asarray(cm.outputs(0.0, x, p)[output])), x


def _held_open(subunit: str, mg_mm: float) -> tuple[str, dict[str, float]]:
    """Output and settings of a recombinant GluN1/GluN2<subunit> receptor bathed in agonist."""
    if subunit not in RECOMBINANT:
        raise UserError("subunit", "use 2A, 2B, 2C or 2D")
    _, output, po, mgw, mix = RECOMBINANT[subunit]
    return output, {po: 1.0, mgw: float(mg_mm), **mix}


def concentration_for(level: float, compound: str, output: str, settings: Mapping[str, float]) -> float:
    """Concentration (uM) at which `output` reaches `level` at equilibrium (secant on log-logit)."""
    mix = _check(compound)

    def logit(c: float) -> float:
        y = _equilibrium(c, mix, settings, output)[0]
        return math.log(y / (1.0 - y)) - math.log(level / (1.0 - level))

    a, fa = 1.0, logit(1.0)
    b = a * math.exp(-fa)  # exact after one step for a Hill slope of 1
    for _ in range(30):
        fb = logit(b)
        if abs(fb) < 1e-9:
            return b
        a, fa, b = b, fb, b * math.exp(-fb * (math.log(b) - math.log(a)) / (fb - fa))
    raise RuntimeError(f"no concentration found for {output} = {level} with {compound}")


@lru_cache(maxsize=256)
def ic50(compound: str, subunit: str = "2A", mg_mm: float = 0.0) -> float:
    """Equilibrium IC50 (uM) of `compound` at GluN1/GluN2<subunit> bathed in agonist, with `mg_mm` Mg2+."""
    _check(compound)
    output, settings = _held_open(subunit, mg_mm)
    return concentration_for(0.5, compound, output, settings)


@lru_cache(maxsize=64)
def trapped_fraction(compound: str, washout_s: float = 120.0, block: float = 0.8) -> float:
    """Fraction of block left after removing drug and agonist for `washout_s` (Mealing 1999 protocol).

    Channels held open with drug until `block` is reached at equilibrium; then open probability
    and drug go to 0 and the layer is followed through the washout.
    """
    mix = _check(compound)
    if "HNK_R" in mix or len(mix) > 1:
        raise UserError("compound", "trapping is defined for single channel blockers (not racemate or HNK)")
    output, settings = _held_open("2A", 0.0)
    conc = concentration_for(block, compound, output, settings)
    during, x = _equilibrium(conc, mix, settings, output)
    model = assay_model()
    cm = compile_model(model)
    p = _params(model, 0.0, mix, {**settings, "Po_pyr0": 0.0})
    after = _follow(cm, x, p, washout_s / 3600.0)
    return float(np.asarray(cm.outputs(0.0, after, p)[output])) / during


def resting_block(compound: str, conc_um: float) -> float:
    """Equilibrium block of pyramidal NMDAR minis at rest (the layer's 'rest' population, 1 mM Mg2+)."""
    return _equilibrium(conc_um, _check(compound), {}, "nmdar_block_rest")[0]


__all__ = ["COMPOUNDS", "assay_model", "concentration_for", "ic50", "resting_block", "trapped_fraction"]
