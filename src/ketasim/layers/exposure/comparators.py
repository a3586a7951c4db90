"""Exposure of comparator drugs: one two-compartment model, parameterised per drug.

The parameters come from the compound files in ketasim/data/compounds/ (docs/compounds.md): the
files are the single source of truth; a user's compound file adds a family the same way.

Midazolam (active placebo), memantine (negative control), MK-801 (full trapping, rodents),
lanicemine (low trapping), a GluN2B-selective antagonist (traxoprodil-like), an SSRI
(citalopram). Parameters are for a 70 kg human; rodents scale allometrically (CL ~ W^0.75,
V ~ W), an assumption stated on each scaled value.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ketasim.layers.exposure.routes import add_dose_splits
from ketasim.layers.targets import parameters as tparams
from ketasim.model.compounds import Drug, drug_from_compound, register
from ketasim.model.compounds.files import builtin_compounds
from ketasim.model.compounds.schema import Compound, Quantity
from ketasim.model.description import ModelBuilder, Param
from ketasim.model.motifs import allometric, micro_to_nano, molar_to_mass, relax
from ketasim.model.species import reference_weight


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
    #: plausible ranges (low, high) of the human values by key (CL, V1, ..., Kp); default value/3..x3
    ranges: dict[str, tuple[float, float]] = field(default_factory=dict)


#: drug name -> its PK (built from the compound files), compound files by drug name, and extra
#: parameters a user compound brings into the model (its targets-layer block parameters)
LIBRARY: dict[str, SimplePK] = {}
COMPOUNDS: dict[str, Compound] = {}
EXTRA_PARAMS: dict[str, list[Param]] = {}


def _t(q: Quantity) -> tuple[float, str, str]:
    return (q.value, q.source, q.flag)


def simple_pk(c: Compound) -> SimplePK:
    """The comparator PK of compound file `c` (the compound file is the single source of truth)."""
    pk = c.pk
    assert pk is not None
    drug = drug_from_compound(c)
    rows = {"CL": pk.clearance, "V1": pk.central_volume, "V2": pk.peripheral_volume, "Q": pk.distribution_clearance,
            "ka": pk.absorption_rate, "F": pk.oral_bioavailability, "fu": pk.unbound_fraction,
            "ke0": pk.brain_equilibration_rate, "Kp": pk.brain_partition}
    ranges = {k: (q.low, q.high) for k, q in rows.items() if q.low is not None and q.high is not None}
    rodent = (pk.rodent_half_life.value, pk.rodent_half_life.source) if pk.rodent_half_life else None
    return SimplePK(drug, cl=_t(pk.clearance), v1=_t(pk.central_volume), v2=_t(pk.peripheral_volume),
                    q=_t(pk.distribution_clearance), ka=_t(pk.absorption_rate), f_oral=_t(pk.oral_bioavailability),
                    fu=_t(pk.unbound_fraction), ke0=_t(pk.brain_equilibration_rate), kp=_t(pk.brain_partition),
                    iiv_cl=pk.clearance_iiv_sd, rodent_t_half=rodent, ranges=ranges)  # type: ignore[arg-type]


def add_compound(c: Compound) -> None:
    """Register compound `c` as a drug and a comparator family (a channel blocker gets its channel group)."""
    pk = simple_pk(c)
    register(pk.drug)
    LIBRARY[pk.drug.name] = pk
    COMPOUNDS[pk.drug.name] = c
    ch = c.targets.nmdar_channel
    if ch is not None and c.code not in tparams.CHANNEL_GROUPS:
        tparams.CHANNEL_GROUPS[c.code] = (c.code,)
        tparams.GROUP_TABLE[c.code] = "MEM" if ch.subunit_profile == "memantine" else "K"
        EXTRA_PARAMS[c.name] = channel_params(c)


def _param(name: str, q: Quantity, description: str, fallback_range: tuple[float, float]) -> Param:
    lo, hi = (q.low, q.high) if q.low is not None else fallback_range
    return Param(name, q.value, q.unit, q.source, q.flag, description, low=lo, high=hi)


def channel_params(c: Compound) -> list[Param]:
    """Targets-layer parameters of a channel blocker from a file (names as the coded groups use)."""
    ch = c.targets.nmdar_channel
    if ch is None:
        return []
    g = c.code
    return [
        _param(f"Ki_{g}", ch.affinity, f"{c.name} channel-site affinity (GluN2A, 0 Mg2+)",
               (ch.affinity.value / 3, ch.affinity.value * 3)),
        _param(f"koff_{g}", ch.off_rate, f"{c.name} off-rate from open channels",
               (ch.off_rate.value / 3, ch.off_rate.value * 3)),
        _param(f"f_trap_{g}", ch.trapping, f"fraction of {c.name} block trapped on closure",
               (max(0.0, ch.trapping.value - 0.2), min(1.0, ch.trapping.value + 0.2))),
        _param(f"k_leak_{g}", ch.leak, f"slow leak of trapped {c.name}", (ch.leak.value / 3, ch.leak.value * 3)),
    ]


for _c in builtin_compounds():
    if not _c.reference_only and _c.variant_of is None:  # variants are chains of their coded family
        add_compound(_c)


def _scaled(value: float, source: str, flag: str, exponent: float, species: str) -> tuple[float, str, str]:
    if species == "human":
        return value, source, flag
    w = reference_weight(species) / reference_weight("human")
    return value * w ** exponent, f"{source}; scaled allometrically (W^{exponent}) from 70 kg", "A"


def _brain_unbound(b: ModelBuilder, c: Compound | None, a: str, name: str, species: str, routes: set[str]) -> None:
    """Unbound brain concentration Cu: from plasma (times Kp,uu where efflux limits entry) plus an icv depot."""
    ce = f"Ce_{a}"
    pk = c.pk if c is not None else None
    expr = f"fu_{a}*{ce}"
    if pk is not None and pk.brain_unbound_partition is not None:
        q = pk.brain_unbound_partition
        lo, hi = (q.low, q.high) if q.low is not None else (q.value / 3, min(1.0, q.value * 3))
        b.param(Param(f"Kpuu_{a}", q.value, "dimensionless", q.source, q.flag, f"{name} unbound brain:plasma ratio",
                      low=lo, high=hi))
        expr = f"Kpuu_{a}*{expr}"
    if pk is not None and "icv" in routes and pk.brain_unbound_fraction and pk.icv_loss_rate:
        fb, kl = pk.brain_unbound_fraction, pk.icv_loss_rate
        vb = BRAIN_VOLUME_L[species]
        b.param(Param(f"fub_{a}", fb.value, "dimensionless", fb.source, fb.flag, f"{name} unbound fraction in brain "
                      "tissue", low=fb.low if fb.low is not None else fb.value / 3,
                      high=fb.high if fb.high is not None else min(1.0, fb.value * 3)))
        b.param(Param(f"kicv_{a}", kl.value, "1/h", kl.source, kl.flag, f"{name} loss from brain after icv "
                      "injection", low=kl.value / 3, high=kl.value * 3))
        b.param(Param(f"Vbr_{a}", vb, "L", "Davies & Morris 1993, Pharm Res 10:1093 (brain volume: rat 1.8 mL, "
                      "mouse 0.45 mL, human 1.45 L)", "S", "brain volume"))
        b.state(f"icv_{a}", "umol", f"{name} injected into the brain (icv)", amount=True)
        b.dose_input(f"icv_{a}", f"icv_{a}")
        b.flux(f"out_icv_{a}", f"icv_{a}", f"{a}_c", f"kicv_{a}*icv_{a}")
        expr = f"{expr} + fub_{a}*icv_{a}/Vbr_{a}"
    b.let(f"Cu_{a}", expr, "uM", f"unbound brain {name}")


#: brain volume by species, L (Davies & Morris 1993)
BRAIN_VOLUME_L = {"human": 1.45, "rat": 0.0018, "mouse": 0.00045}


def add_comparator(b: ModelBuilder, name: str, species: str, routes: set[str]) -> None:
    """Add the states, parameters, inputs and outputs of comparator `name`."""
    pk = LIBRARY[name]
    a = next(iter(pk.drug.analytes))
    b.layer = "exposure"
    ref = reference_weight(species)
    if "WT" not in b.params:
        b.param(Param("WT", ref, "kg", "patient covariate", "P", "body weight", covariate=True))
    rows = [("CL", pk.cl, "L/h", 0.75, "clearance"), ("V1", pk.v1, "L", 1.0, "central volume"),
            ("V2", pk.v2, "L", 1.0, "peripheral volume"), ("Q", pk.q, "L/h", 0.75, "distribution clearance")]
    vss = sum(_scaled(pk_v[0], "", "A", 1.0, species)[0] for pk_v in (pk.v1, pk.v2))
    for key, (value, src, flag), unit, exponent, desc in rows:
        v, s, fl = _scaled(value, src, flag, exponent, species)
        if key == "CL" and species != "human" and pk.rodent_t_half is not None:
            t_half, t_src = pk.rodent_t_half
            v, s, fl = 0.693 * vss / t_half, f"{t_src}; CL = 0.693 Vss / t1/2 with t1/2 {t_half:g} h", "A"
        lo, hi = pk.ranges.get(key, (v / 3, v * 3)) if species == "human" else (v / 3, v * 3)
        b.param(Param(f"{key}_{a}", v, unit, s, fl, f"{name} {desc}", low=lo, high=hi,
                      iiv=pk.iiv_cl if key == "CL" else 0.0, iiv_source="assumed" if key == "CL" else ""))
    ka = pk.ka if species == "human" else (max(pk.ka[0], 10.0), "assumed: rodent injections (s.c., i.p.) are "
                                            "absorbed within minutes (parameters.md 6)", "A")
    for key, (value, src, flag), unit, desc in [
        ("ka", ka, "1/h", "absorption rate"), ("F", pk.f_oral, "dimensionless", "oral bioavailability"),
        ("fu", pk.fu, "dimensionless", "unbound fraction"), ("ke0", pk.ke0, "1/h", "plasma-brain rate"),
        ("Kp", pk.kp, "dimensionless", "brain:plasma ratio"),
    ]:
        hi = min(1.0, value * 2) if unit == "dimensionless" and key in ("F", "fu") else value * 3
        lo, hi = pk.ranges.get(key, (value / 3, hi)) if species == "human" else (value / 3, hi)
        b.param(Param(f"{key}_{a}", value, unit, src, flag, f"{name} {desc}", low=lo, high=hi))
    b.param(Param(f"WTref_{a}", ref, "kg", "reference weight of the parameter set", "P", "reference weight"))
    for extra in EXTRA_PARAMS.get(name, []):  # a user compound's targets-layer parameters
        b.param(extra)
    c, p, dep, sink = f"{a}_c", f"{a}_p", f"dep_{a}", f"elim_{a}"
    b.state(c, "umol", f"{name}, central", amount=True)
    b.state(p, "umol", f"{name}, peripheral", amount=True)
    b.state(sink, "umol", f"{name} eliminated or not absorbed", amount=True)
    b.let(f"C_{a}", f"{c}/(V1_{a}*WT/WTref_{a})", "uM", f"plasma {name}")
    b.let(f"CL_{a}_i", f"CL_{a}*{allometric(f'WT/WTref_{a}')}", "L/h", f"{name} clearance of this patient")
    b.flux(f"dist_{a}", c, p, f"Q_{a}*{allometric(f'WT/WTref_{a}')}*(C_{a} - {p}/(V2_{a}*WT/WTref_{a}))")
    b.flux(f"elim_{a}", c, sink, f"CL_{a}_i*C_{a}")
    b.dose_input(f"iv_{a}", c)
    b.dose_input(f"loss_{a}", sink)
    if routes - {"iv", "inhaled", "icv"}:
        b.state(dep, "umol", f"{name} in the absorption depot", amount=True)
        b.dose_input(f"depot_{a}", dep)
        b.flux(f"abs_{a}", dep, c, f"ka_{a}*{dep}")
    ce = f"Ce_{a}"
    b.state(ce, "uM", f"brain effect-site {name}, plasma-equivalent")
    b.rate(ce, relax(ce, f"C_{a}", f"ke0_{a}"))
    _brain_unbound(b, COMPOUNDS.get(name), a, name, species, routes)
    mw = pk.drug.base_molar_mass
    b.output(f"plasma_{name}", molar_to_mass(f"C_{a}", mw), "ng/mL", f"plasma {name}")
    b.output(f"plasma_{name}_nM", micro_to_nano(f"C_{a}"), "nM", f"plasma {name}")
    b.output(f"brain_{name}", f"Kp_{a}*{molar_to_mass(ce, mw)}", "ng/mL", f"brain {name}")
    add_dose_splits(b, name, routes)

