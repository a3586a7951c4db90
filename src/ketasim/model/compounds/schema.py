"""The compound file format (YAML, format 1), validated by pydantic. See docs/compounds.md.

A compound file holds one drug: identity (name, code, molar mass, salt, routes), PK (a
two-compartment model with first-order absorption, unbound fraction and a brain effect site),
targets (NMDAR channel block with its kinetics, trapping and subunit/Mg2+ profile; GluN2B NAM;
SERT; NET; TrkB; GABA-A) and metabolites. Every number is a `Quantity`: value, unit, source, flag
(P primary, T transcribed, S secondary, A assumption) and its uncertainty (low/high range, or a
between-subject CV). `param` names the model parameter a built-in file mirrors (tests check
that file and code agree).
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

ROUTES = ("iv", "im", "sc", "intranasal", "oral", "sublingual", "ip")
SALTS = {"hydrochloride": 36.46, "maleate": 116.07, "hydrobromide": 80.91}


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Quantity(_Strict):
    """A number with unit, provenance and uncertainty."""

    value: float
    unit: str
    source: str = Field(min_length=3)
    flag: Literal["P", "T", "S", "A"] = "S"
    low: float | None = None
    high: float | None = None
    cv: float | None = Field(default=None, ge=0)
    param: str | None = None

    @model_validator(mode="after")
    def _range(self) -> Quantity:
        if (self.low is None) != (self.high is None):
            raise ValueError("give both low and high, or neither")
        if self.low is not None and self.high is not None and not self.low <= self.value <= self.high:
            raise ValueError(f"value {self.value:g} is outside low..high [{self.low:g}, {self.high:g}]")
        return self


def _unit_check(q: Quantity | None, allowed: tuple[str, ...], what: str) -> None:
    if q is not None and q.unit not in allowed:
        raise ValueError(f"{what}: unit must be {' or '.join(allowed)}, got {q.unit!r}")


def _positive(q: Quantity | None, what: str) -> None:
    if q is not None and not q.value > 0:
        raise ValueError(f"{what}: value must be positive, got {q.value:g}")


def _fraction(q: Quantity | None, what: str) -> None:
    if q is not None and not 0 <= q.value <= 1:
        raise ValueError(f"{what}: value must be a fraction between 0 and 1, got {q.value:g}")


class Salt(_Strict):
    """The salt a dose in mg refers to (None/omitted: mg of base)."""

    name: Literal["hydrochloride", "maleate", "hydrobromide"]
    #: molar mass of the salt, g/mol (default: base + the acid's molar mass)
    molar_mass: float | None = Field(default=None, gt=0)


class PK(_Strict):
    """Two-compartment disposition with first-order absorption; values for a 70 kg adult."""

    clearance: Quantity
    central_volume: Quantity
    peripheral_volume: Quantity
    distribution_clearance: Quantity
    absorption_rate: Quantity
    oral_bioavailability: Quantity
    unbound_fraction: Quantity
    brain_equilibration_rate: Quantity
    brain_partition: Quantity
    clearance_iiv_sd: float = Field(default=0.3, ge=0, le=2)
    rodent_half_life: Quantity | None = None

    @model_validator(mode="after")
    def _units(self) -> PK:
        for name, units in (("clearance", ("L/h",)), ("central_volume", ("L",)), ("peripheral_volume", ("L",)),
                            ("distribution_clearance", ("L/h",)), ("absorption_rate", ("1/h",)),
                            ("oral_bioavailability", ("dimensionless",)), ("unbound_fraction", ("dimensionless",)),
                            ("brain_equilibration_rate", ("1/h",)), ("brain_partition", ("dimensionless",)),
                            ("rodent_half_life", ("h",))):
            q = getattr(self, name)
            _unit_check(q, units, name)
            _positive(q, name)
        _fraction(self.oral_bioavailability, "oral_bioavailability")
        _fraction(self.unbound_fraction, "unbound_fraction")
        return self


class ChannelBlock(_Strict):
    """Open-channel (trapping) block of the NMDA receptor (targets layer, parameters.md 8.3)."""

    affinity: Quantity  # Ki at GluN2A without Mg2+, uM
    off_rate: Quantity  # 1/s
    trapping: Quantity  # fraction trapped on channel closure
    leak: Quantity  # 1/h, escape of trapped drug from closed channels
    #: subunit selectivity and Mg2+ interaction: the ketamine-like or memantine-like table
    subunit_profile: Literal["ketamine", "memantine"] = "ketamine"

    @model_validator(mode="after")
    def _units(self) -> ChannelBlock:
        _unit_check(self.affinity, ("uM",), "affinity")
        _unit_check(self.off_rate, ("1/s",), "off_rate")
        _unit_check(self.trapping, ("dimensionless",), "trapping")
        _unit_check(self.leak, ("1/h",), "leak")
        for n in ("affinity", "off_rate", "leak"):
            _positive(getattr(self, n), n)
        _fraction(self.trapping, "trapping")
        return self


class Affinity(_Strict):
    """A simple occupancy target (Hill 1): affinity and, for NAMs, maximal inhibition."""

    affinity: Quantity
    max_inhibition: Quantity | None = None


class Targets(_Strict):
    nmdar_channel: ChannelBlock | None = None
    glun2b_nam: Affinity | None = None
    sert: Affinity | None = None
    net: Affinity | None = None
    trkb: Affinity | None = None
    gabaa: Affinity | None = None


class Metabolite(_Strict):
    name: str
    fraction_formed: Quantity | None = None
    note: str = ""


class Compound(_Strict):
    """One drug's compound file."""

    format: Literal[1] = 1
    name: str = Field(pattern=r"^[a-z][a-z0-9_-]*$")
    code: str = Field(pattern=r"^[A-Z][A-Za-z0-9]{0,7}$")
    description: str = Field(min_length=3)
    #: true for ketamine: documented here as a reference, built by ketasim.layers.exposure.ketamine
    reference_only: bool = False
    molar_mass: Quantity
    salt: Salt | None = None
    #: routes whose mg are of base even though `salt` is set (e.g. a nasal device)
    base_routes: tuple[str, ...] = ()
    routes: tuple[str, ...] = Field(min_length=1)
    pk: PK | None = None
    targets: Targets = Targets()
    metabolites: tuple[Metabolite, ...] = ()
    #: reference files only: named quantities of the coded model (e.g. the ketamine family's PK)
    reference_parameters: dict[str, Quantity] = Field(default_factory=dict)

    @field_validator("routes", "base_routes")
    @classmethod
    def _known_routes(cls, v: tuple[str, ...]) -> tuple[str, ...]:
        bad = [r for r in v if r not in ROUTES]
        if bad:
            raise ValueError(f"unknown route(s) {', '.join(bad)}; use {', '.join(ROUTES)}")
        return v

    @model_validator(mode="after")
    def _consistent(self) -> Compound:
        _unit_check(self.molar_mass, ("g/mol",), "molar_mass")
        _positive(self.molar_mass, "molar_mass")
        if not self.reference_only and self.pk is None:
            raise ValueError("pk is required (only the ketamine reference file may omit it)")
        if not self.reference_only and ("intranasal" in self.routes or "sublingual" in self.routes):
            raise ValueError("intranasal and sublingual need a route model; compound files support iv, im, sc, "
                             "oral and ip")
        return self

    @property
    def salt_molar_mass(self) -> float | None:
        if self.salt is None:
            return None
        if self.salt.molar_mass is not None:
            return self.salt.molar_mass
        return self.molar_mass.value + SALTS[self.salt.name]

