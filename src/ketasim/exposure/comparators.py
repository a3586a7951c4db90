"""Exposure of comparator drugs: one two-compartment model, parameterised per drug.

Midazolam (active placebo), memantine (negative control), MK-801 (full trapping, rodents),
lanicemine (low trapping), a GluN2B-selective antagonist (traxoprodil-like), an SSRI
(citalopram). Parameters are for a 70 kg human; rodents scale allometrically (CL ~ W^0.75,
V ~ W), an assumption stated on each scaled value.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..compounds import MOLAR_MASS, Drug, register
from ..model.description import ModelBuilder, Param


@dataclass(frozen=True)
class SimplePK:
    """Two-compartment disposition with first-order absorption (values for 70 kg)."""

    drug: Drug
    cl: tuple[float, str, str]  # value L/h, source, flag
    v1: tuple[float, str, str]
    v2: tuple[float, str, str]
    q: tuple[float, str, str]
    ka: tuple[float, str, str]
    f_oral: tuple[float, str, str]
    fu: tuple[float, str, str]
    ke0: tuple[float, str, str]
    kp: tuple[float, str, str]
    iiv_cl: float = 0.3
    #: rodent half-life (h) and its source, where allometry from humans is known to fail
    rodent_t_half: tuple[float, str] | None = None


def _v(value: float, source: str, flag: str = "S") -> tuple[float, str, str]:
    return (value, source, flag)


_HUMAN_ONLY = ("iv", "im", "sc", "oral", "ip")

LIBRARY: dict[str, SimplePK] = {}


def _add(pk: SimplePK) -> None:
    register(pk.drug)
    LIBRARY[pk.drug.name] = pk


_add(SimplePK(
    Drug("midazolam", "midazolam", {"MDZ": 1.0}, MOLAR_MASS["midazolam"], {"*": MOLAR_MASS["midazolam"] + 36.46},
         _HUMAN_ONLY, "GABA-A modulator; active placebo 0.045 mg/kg IV over 40 min; mg as hydrochloride"),
    cl=_v(25.0, "Allonen et al. 1981 and product label: CL 0.25-0.54 L/h/kg; t1/2 1.5-3 h (parameters.md 9)", "S"),
    v1=_v(30.0, "product label (Vss 1-3 L/kg), central part assumed", "A"),
    v2=_v(50.0, "product label (Vss 1-3 L/kg)", "A"),
    q=_v(60.0, "assumed distribution within 20 min", "A"),
    ka=_v(2.0, "oral Tmax about 0.5-1 h (label)", "S"),
    f_oral=_v(0.4, "oral F 0.3-0.5 (label)", "S"),
    fu=_v(0.03, "97% protein bound (label)", "S"),
    ke0=_v(4.0, "t1/2ke0 about 5-10 min for EEG effects (Greenblatt 1989 via reviews)", "A"),
    kp=_v(1.0, "assumed", "A"),
))
_add(SimplePK(
    Drug("memantine", "memantine", {"MEM": 1.0}, MOLAR_MASS["memantine"], {"*": MOLAR_MASS["memantine_hcl"]},
         _HUMAN_ONLY, "fast-off partial-trapping NMDAR channel blocker; mg as hydrochloride"),
    cl=_v(6.5, "t1/2 60-80 h with Vss 9-11 L/kg (label, parameters.md 9)", "S"),
    v1=_v(400.0, "label Vss 9-11 L/kg; central share assumed", "A"),
    v2=_v(260.0, "label Vss 9-11 L/kg", "A"),
    q=_v(40.0, "assumed", "A"),
    ka=_v(0.4, "Tmax 3-8 h (label)", "S"),
    f_oral=_v(1.0, "near-complete oral F (label)", "S"),
    fu=_v(0.55, "45% protein bound (label)", "S"),
    ke0=_v(1.0, "assumed", "A"),
    kp=_v(1.0, "assumed", "A"),
    rodent_t_half=(3.0, "Beconi et al. 2011, PLoS Curr RRN1291 (rats and mice: t1/2 < 4 h, active renal "
                        "secretion; allometry from the human 60-80 h fails)"),
))
_add(SimplePK(
    Drug("mk801", "mk801", {"MK": 1.0}, MOLAR_MASS["mk801"], {"*": MOLAR_MASS["mk801_maleate"]},
         _HUMAN_ONLY, "dizocilpine: high-affinity fully trapping blocker (rodent tool); mg as maleate"),
    cl=_v(30.0, "rat t1/2 about 2 h scaled allometrically (Vezzani 1989 via reviews)", "A"),
    v1=_v(100.0, "assumed", "A"),
    v2=_v(200.0, "assumed", "A"),
    q=_v(100.0, "assumed", "A"),
    ka=_v(4.0, "assumed", "A"),
    f_oral=_v(0.5, "assumed", "A"),
    fu=_v(0.5, "assumed", "A"),
    ke0=_v(10.0, "assumed", "A"),
    kp=_v(4.0, "lipophilic amine, brain:plasma above 1 assumed", "A"),
))
_add(SimplePK(
    Drug("lanicemine", "lanicemine", {"LAN": 1.0}, MOLAR_MASS["lanicemine"], {"*": MOLAR_MASS["lanicemine"] + 36.46},
         _HUMAN_ONLY, "AZD6765: low-trapping channel blocker; IV over 60 min in trials; mg as hydrochloride"),
    cl=_v(9.4, "Guo et al. 2015, Eur J Clin Pharmacol (CL about 9.4 L/h, t1/2 about 16 h)", "A"),
    v1=_v(100.0, "Guo 2015 (V about 150-200 L)", "A"),
    v2=_v(90.0, "assumed", "A"),
    q=_v(50.0, "assumed", "A"),
    ka=_v(1.0, "assumed", "A"),
    f_oral=_v(0.8, "assumed", "A"),
    fu=_v(0.8, "assumed low binding", "A"),
    ke0=_v(2.0, "assumed", "A"),
    kp=_v(1.0, "assumed", "A"),
))
_add(SimplePK(
    Drug("traxoprodil", "traxoprodil", {"TRX": 1.0}, MOLAR_MASS["traxoprodil"], {"*": None},
         _HUMAN_ONLY, "CP-101,606: GluN2B-selective negative allosteric modulator; mg as base"),
    cl=_v(40.0, "extensive CYP2D6 metabolisers, t1/2 2-4 h (Preskorn 2008 via reviews)", "A"),
    v1=_v(80.0, "assumed", "A"),
    v2=_v(120.0, "assumed", "A"),
    q=_v(60.0, "assumed", "A"),
    ka=_v(1.5, "assumed", "A"),
    f_oral=_v(0.5, "assumed", "A"),
    fu=_v(0.5, "assumed", "A"),
    ke0=_v(2.0, "assumed", "A"),
    kp=_v(1.0, "assumed", "A"),
))
_add(SimplePK(
    Drug("ssri", "ssri", {"SSRI": 1.0}, MOLAR_MASS["citalopram"], {"*": MOLAR_MASS["citalopram_hbr"]},
         ("oral",), "citalopram as the conventional antidepressant; mg as hydrobromide"),
    cl=_v(17.0, "citalopram t1/2 about 35 h, Vss about 12 L/kg (label)", "S"),
    v1=_v(500.0, "label Vss about 12 L/kg; central share assumed", "A"),
    v2=_v(340.0, "label", "A"),
    q=_v(60.0, "assumed", "A"),
    ka=_v(0.5, "Tmax about 4 h (label)", "S"),
    f_oral=_v(0.8, "label (about 80%)", "S"),
    fu=_v(0.2, "80% protein bound (label)", "S"),
    ke0=_v(0.5, "assumed", "A"),
    kp=_v(1.0, "assumed", "A"),
))


def _scaled(value: float, source: str, flag: str, exponent: float, species: str) -> tuple[float, str, str]:
    if species == "human":
        return value, source, flag
    w = {"mouse": 0.025, "rat": 0.25}[species]
    return value * (w / 70.0) ** exponent, f"{source}; scaled allometrically (W^{exponent}) from 70 kg", "A"


def add_comparator(b: ModelBuilder, name: str, species: str, routes: set[str]) -> None:
    """Add the states, parameters, inputs and outputs of comparator `name`."""
    pk = LIBRARY[name]
    a = next(iter(pk.drug.analytes))
    b.layer = "exposure"
    if "WT" not in b.params:
        ref = {"human": 70.0, "mouse": 0.025, "rat": 0.25}[species]
        b.param(Param("WT", ref, "kg", "patient covariate", "P", "body weight", covariate=True))
    ref = {"human": 70.0, "mouse": 0.025, "rat": 0.25}[species]
    rows = [("CL", pk.cl, "L/h", 0.75, "clearance"), ("V1", pk.v1, "L", 1.0, "central volume"),
            ("V2", pk.v2, "L", 1.0, "peripheral volume"), ("Q", pk.q, "L/h", 0.75, "distribution clearance")]
    vss = sum(_scaled(pk_v[0], "", "A", 1.0, species)[0] for pk_v in (pk.v1, pk.v2))
    for key, (value, src, flag), unit, exponent, desc in rows:
        v, s, fl = _scaled(value, src, flag, exponent, species)
        if key == "CL" and species != "human" and pk.rodent_t_half is not None:
            t_half, t_src = pk.rodent_t_half
            v, s, fl = 0.693 * vss / t_half, f"{t_src}; CL = 0.693 Vss / t1/2 with t1/2 {t_half:g} h", "A"
        b.param(Param(f"{key}_{a}", v, unit, s, fl, f"{name} {desc}", low=v / 3, high=v * 3,
                      iiv=pk.iiv_cl if key == "CL" else 0.0, iiv_source="assumed" if key == "CL" else ""))
    ka = pk.ka if species == "human" else (max(pk.ka[0], 10.0), "assumed: rodent injections (s.c., i.p.) are "
                                            "absorbed within minutes (parameters.md 6)", "A")
    for key, (value, src, flag), unit, desc in [
        ("ka", ka, "1/h", "absorption rate"), ("F", pk.f_oral, "dimensionless", "oral bioavailability"),
        ("fu", pk.fu, "dimensionless", "unbound fraction"), ("ke0", pk.ke0, "1/h", "plasma-brain rate"),
        ("Kp", pk.kp, "dimensionless", "brain:plasma ratio"),
    ]:
        hi = min(1.0, value * 2) if unit == "dimensionless" and key in ("F", "fu") else value * 3
        b.param(Param(f"{key}_{a}", value, unit, src, flag, f"{name} {desc}", low=value / 3, high=hi))
    b.param(Param(f"WTref_{a}", ref, "kg", "reference weight of the parameter set", "P", "reference weight"))
    c, p, dep, sink = f"{a}_c", f"{a}_p", f"dep_{a}", f"elim_{a}"
    b.state(c, "umol", f"{name}, central", amount=True)
    b.state(p, "umol", f"{name}, peripheral", amount=True)
    b.state(sink, "umol", f"{name} eliminated or not absorbed", amount=True)
    b.let(f"C_{a}", f"{c}/(V1_{a}*WT/WTref_{a})", "uM", f"plasma {name}")
    b.let(f"CL_{a}_i", f"CL_{a}*(WT/WTref_{a})**0.75", "L/h", f"{name} clearance of this patient")
    b.flux(f"dist_{a}", c, p, f"Q_{a}*(WT/WTref_{a})**0.75*(C_{a} - {p}/(V2_{a}*WT/WTref_{a}))")
    b.flux(f"elim_{a}", c, sink, f"CL_{a}_i*C_{a}")
    b.dose_input(f"iv_{a}", c)
    b.dose_input(f"loss_{a}", sink)
    if routes - {"iv"}:
        b.state(dep, "umol", f"{name} in the absorption depot", amount=True)
        b.dose_input(f"depot_{a}", dep)
        b.flux(f"abs_{a}", dep, c, f"ka_{a}*{dep}")
    ce = f"Ce_{a}"
    b.state(ce, "uM", f"brain effect-site {name}, plasma-equivalent")
    b.rate(ce, f"ke0_{a}*(C_{a} - {ce})")
    b.let(f"Cu_{a}", f"fu_{a}*{ce}", "uM", f"unbound brain {name}")
    mw = pk.drug.base_molar_mass
    b.output(f"plasma_{name}", f"C_{a}*{mw}", "ng/mL", f"plasma {name}")
    b.output(f"plasma_{name}_nM", f"C_{a}*1000", "nM", f"plasma {name}")
    b.output(f"brain_{name}", f"Kp_{a}*{ce}*{mw}", "ng/mL", f"brain {name}")


def dose_targets(drug: Drug, route: str) -> list[tuple[str, str]]:
    """Dose splits for comparators: IV into plasma, other routes via a depot with F."""
    a = next(iter(drug.analytes))
    if route == "iv":
        return [(f"iv_{a}", "1")]
    if route in ("oral", "ip"):
        return [(f"depot_{a}", f"F_{a}"), (f"loss_{a}", f"1 - F_{a}")]
    return [(f"depot_{a}", "1")]
