"""The drug library: names users write in regimens, what each puts in the body, and its salt.

Clinical mg/kg ketamine doses mean the hydrochloride salt (base = 0.867 x salt); the esketamine
nasal device states mg of base (parameters.md, section 1). `salt` on a regimen item overrides.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING

from ketasim.model.errors import UserError

if TYPE_CHECKING:
    from ketasim.model.compounds.schema import Compound, Quantity

#: molar masses, g/mol (parameters.md section 1; computed from formulas)
MOLAR_MASS = {
    "ketamine": 237.73,
    "ketamine_hcl": 274.19,
    "norketamine": 223.70,
    "hnk": 239.70,
    "dhnk": 221.68,
    "midazolam": 325.77,
    "memantine": 179.30,
    "memantine_hcl": 215.76,
    "mk801": 221.30,
    "mk801_maleate": 337.37,
    "lanicemine": 198.27,
    "citalopram": 324.39,
    "citalopram_hbr": 405.30,
    "traxoprodil": 327.42,
}


@dataclass(frozen=True)
class Drug:
    """A drug as users name it: the family model that carries it and how a dose is split."""

    name: str
    family: str
    #: analyte suffix -> molar fraction of the dose (racemate: half S, half R)
    analytes: dict[str, float]
    base_molar_mass: float
    #: default salt per route ("*" = any other route): salt molar mass, or None for base
    salt_molar_mass: dict[str, float | None]
    routes: tuple[str, ...]
    description: str
    #: inhaled route: umol taken up per hour per unit inspired fraction (alveolar ventilation / molar volume)
    inhaled_umol_per_fraction_h: float | None = None
    #: mechanism summary for listings (e.g. "kinase_inhibitor mtorc1")
    mechanism: str = ""
    #: a variant of the ketamine family (its own parent and norketamine chains, named by `code`):
    #: the factor on each scaled metabolic step (schema.METABOLIC_STEPS)
    code: str = ""
    metabolism: tuple[tuple[str, Quantity], ...] = ()

    def base_fraction(self, route: str, salt: str | None = None) -> float:
        """mg of base per mg dosed, by the route's convention or an explicit `salt`."""
        if salt == "base":
            return 1.0
        salt_mm = self.salt_molar_mass.get(route, self.salt_molar_mass.get("*"))
        if salt is not None and salt != "base":
            salt_mm = {
                "hydrochloride": self.base_molar_mass + 36.46,
                "maleate": self.base_molar_mass + 116.07,
                "hydrobromide": self.base_molar_mass + 80.91,
                "carbonate": self.base_molar_mass + 30.0,
            }.get(salt)
            if salt_mm is None:
                raise UserError("salt", f"unknown salt {salt!r}; use base, hydrochloride, maleate, hydrobromide "
                                        "or carbonate")
        return 1.0 if salt_mm is None else self.base_molar_mass / salt_mm


ALL_ROUTES = ("iv", "im", "sc", "intranasal", "oral", "sublingual", "ip")
#: molar volume of a gas at 37 C and 1 atm, L/mol (ideal gas: R T / p)
GAS_MOLAR_VOLUME = 25.45
_KET_SALT = {"*": MOLAR_MASS["ketamine_hcl"]}
#: the coded ketamine family's actions (layers/targets/layer.py)
_KET_MECH = "channel_blocker nmdar (trapping); HCN1, opioid, TrkB (coded family)"

DRUGS: dict[str, Drug] = {
    d.name: d
    for d in [
        Drug("ketamine", "ketamine", {"S": 0.5, "R": 0.5}, MOLAR_MASS["ketamine"], _KET_SALT,
             ALL_ROUTES, "racemic ketamine (1:1 S/R); mg as hydrochloride", mechanism=_KET_MECH),
        Drug("esketamine", "ketamine", {"S": 1.0}, MOLAR_MASS["ketamine"],
             {"intranasal": None, "*": MOLAR_MASS["ketamine_hcl"]}, ALL_ROUTES,
             "S-ketamine; nasal device mg as base, other routes as hydrochloride", mechanism=_KET_MECH),
        Drug("arketamine", "ketamine", {"R": 1.0}, MOLAR_MASS["ketamine"], _KET_SALT,
             ALL_ROUTES, "R-ketamine; mg as hydrochloride", mechanism=_KET_MECH),
        Drug("2r6r-hnk", "ketamine", {"HNK_R": 1.0}, MOLAR_MASS["hnk"], {"*": None},
             ("iv", "oral", "ip"), "(2R,6R)-hydroxynorketamine given directly; mg as base",
             mechanism="weak Mg2+-competitive NMDAR block; AMPAR potentiation (hnk_ampa variant)"),
    ]
}

ALIASES = {
    "racemic ketamine": "ketamine",
    "(r,s)-ketamine": "ketamine",
    "s-ketamine": "esketamine",
    "r-ketamine": "arketamine",
    "(2r,6r)-hnk": "2r6r-hnk",
    "hnk": "2r6r-hnk",
    "sirolimus": "rapamycin",
    "mk-0657": "mk0657",
    "cerc-301": "mk0657",
    "rislenemdaz": "mk0657",
    "glyx-13": "rapastinel",
    "s-methadone": "esmethadone",
    "rel-1017": "esmethadone",
    "axs-05": "dextromethorphan-bupropion",
    "n2o": "nitrous_oxide",
    "nitrous oxide": "nitrous_oxide",
    "ly451395": "mibampator",
}


def register(drug: Drug) -> None:
    """Add a drug to the library (used by the comparator families)."""
    DRUGS[drug.name] = drug


def drug_from_compound(c: Compound) -> Drug:
    """The drug a compound file describes: its name, analyte code, molar mass, salts and routes."""
    salt: dict[str, float | None] = {"*": c.salt_molar_mass}
    salt.update({r: None for r in c.base_routes})
    if c.variant_of is not None:  # racemic, through the family's own route models
        return Drug(c.name, c.variant_of, {f"S_{c.code}": 0.5, f"R_{c.code}": 0.5}, c.molar_mass.value, salt,
                    tuple(c.routes), c.description, mechanism=mechanism_summary(c), code=c.code,
                    metabolism=tuple(c.metabolism.items()))
    inhaled = None
    if c.pk is not None and c.pk.alveolar_ventilation is not None:
        inhaled = c.pk.alveolar_ventilation.value / GAS_MOLAR_VOLUME * 1e6
    return Drug(c.name, c.name, {c.code: 1.0}, c.molar_mass.value, salt, tuple(c.routes), c.description,
                inhaled_umol_per_fraction_h=inhaled, mechanism=mechanism_summary(c))


def mechanism_summary(c: Compound) -> str:
    """The drug's mechanisms in one line: channel block, coded targets and mechanism entries."""
    if c.variant_of is not None:
        steps = ", ".join(f"{k} x{q.value:g}" for k, q in c.metabolism.items())
        return f"{c.variant_of} variant ({_KET_MECH.split(' (')[0]}); metabolism {steps}"
    parts = []
    if c.targets.nmdar_channel is not None:
        parts.append("channel_blocker nmdar")
    coded = {"glun2b_nam": "allosteric_modulator glun2b", "sert": "transporter_inhibitor sert",
             "net": "transporter_inhibitor net", "trkb": "trkb_binding", "gabaa": "receptor_potentiator gabaa_bzd"}
    parts += [v for k, v in coded.items() if getattr(c.targets, k, None) is not None]
    parts += [f"{m.type} {m.target}" for m in c.mechanisms]
    return "; ".join(parts)


@lru_cache(maxsize=1)
def _register_library() -> None:
    """Register the drugs of the built-in compound files (once; reference-only files are not drugs)."""
    from ketasim.model.compounds.files import builtin_compounds

    for c in builtin_compounds():
        if not c.reference_only:
            register(drug_from_compound(c))


def get_drug(name: str, field: str = "drug") -> Drug:
    """Look up a drug by name or alias; unknown names are a user error listing the choices."""
    _register_library()
    key = ALIASES.get(name.strip().lower(), name.strip().lower())
    if key not in DRUGS:
        raise UserError(field, f"unknown drug {name!r}; choose one of {', '.join(sorted(DRUGS))}")
    return DRUGS[key]
