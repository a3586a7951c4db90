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

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator, model_validator

ROUTES = ("iv", "im", "sc", "intranasal", "oral", "sublingual", "ip", "icv", "inhaled")
SALTS = {"hydrochloride": 36.46, "maleate": 116.07, "hydrobromide": 80.91, "carbonate": 30.0}


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


#: Quantity fields that are fractions (0-1)
FRACTIONS = {"oral_bioavailability", "unbound_fraction", "brain_unbound_fraction", "trapping"}


def _check_quantity(q: object, name: str) -> object:
    """Unit, sign and (for fractions) range of one Quantity field, by its name (QUANTITY_UNITS)."""
    if not isinstance(q, Quantity) or name not in QUANTITY_UNITS:
        return q
    _unit_check(q, (QUANTITY_UNITS[name],), name)
    _positive(q, name)
    if name in FRACTIONS:
        _fraction(q, name)
    return q


#: the unit of every Quantity field, by field name (used by checks and by `compounds check` hints)
QUANTITY_UNITS = {
    "molar_mass": "g/mol", "clearance": "L/h", "central_volume": "L", "peripheral_volume": "L",
    "distribution_clearance": "L/h", "absorption_rate": "1/h", "oral_bioavailability": "dimensionless",
    "unbound_fraction": "dimensionless", "brain_equilibration_rate": "1/h", "brain_partition": "dimensionless",
    "rodent_half_life": "h", "brain_unbound_partition": "dimensionless", "brain_unbound_fraction": "dimensionless",
    "icv_loss_rate": "1/h", "alveolar_ventilation": "L/h", "blood_gas_partition": "dimensionless",
    "affinity": "uM", "off_rate": "1/s", "trapping": "dimensionless", "leak": "1/h", "potency": "uM",
    "max_effect": "dimensionless", "hill": "dimensionless",
}


class Salt(_Strict):
    """The salt a dose in mg refers to (None/omitted: mg of base)."""

    name: Literal["hydrochloride", "maleate", "hydrobromide", "carbonate"]
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
    #: unbound brain : unbound plasma ratio (Kp,uu; efflux transporters keep it below 1); default 1
    brain_unbound_partition: Quantity | None = None
    #: icv route: unbound fraction in brain tissue and loss rate of the injected drug from the brain
    brain_unbound_fraction: Quantity | None = None
    icv_loss_rate: Quantity | None = None
    #: inhaled route: alveolar ventilation (L/h) and blood:gas partition coefficient
    alveolar_ventilation: Quantity | None = None
    blood_gas_partition: Quantity | None = None

    @field_validator("*")
    @classmethod
    def _field(cls, q: object, info: ValidationInfo) -> object:
        return _check_quantity(q, info.field_name)


class ChannelBlock(_Strict):
    """Open-channel (trapping) block of the NMDA receptor (targets layer, parameters.md 8.3)."""

    affinity: Quantity  # Ki at GluN2A without Mg2+, uM
    off_rate: Quantity  # 1/s
    trapping: Quantity  # fraction trapped on channel closure
    leak: Quantity  # 1/h, escape of trapped drug from closed channels
    #: subunit selectivity and Mg2+ interaction: the ketamine-like or memantine-like table
    subunit_profile: Literal["ketamine", "memantine"] = "ketamine"

    @field_validator("affinity", "off_rate", "trapping", "leak")
    @classmethod
    def _field(cls, q: Quantity, info: ValidationInfo) -> Quantity:
        return _check_quantity(q, info.field_name)  # type: ignore[return-value]


class Affinity(_Strict):
    """A simple occupancy target (Hill 1): affinity and, for NAMs, maximal inhibition."""

    affinity: Quantity
    max_inhibition: Quantity | None = None


#: mechanism types and, for each, the targets the model has a term for (docs/compounds.md)
MECHANISMS: dict[str, dict[str, str]] = {
    "allosteric_modulator": {
        "glun2b": "GluN2B-selective negative allosteric modulator (ifenprodil site): inhibits GluN2B NMDARs",
        "nmdar": "non-competitive NMDAR inhibitor (use- and voltage-independent): inhibits every NMDAR population"},
    "glycine_site_agonist": {
        "nmdar": "GluN1 glycine-site (partial) agonist: NMDAR current scales by 1 + occupancy*(efficacy - 1)"},
    "receptor_antagonist": {
        "ampa": "AMPA receptor antagonist: lowers AMPAR availability (the nbqx_block term)",
        "mu_opioid": "mu/kappa opioid antagonist: opioid receptors blocked (the naltrexone_occ term)"},
    "receptor_potentiator": {
        "ampa": "AMPA receptor positive modulator: raises AMPAR gain (availability above 1)",
        "gabaa_bzd": "GABA-A benzodiazepine-site modulator: adds to the GABA-A potentiation of midazolam"},
    "receptor_agonist": {
        "alpha2": "alpha2-adrenoceptor agonist: damps the sympathetic blood-pressure rise"},
    "kinase_inhibitor": {
        "mtorc1": "mTORC1 inhibitor: fraction of drug-evoked mTORC1 activation removed (the rapamycin_brain term)",
        "gsk3": "GSK3 inhibitor: fraction of GSK3beta activity removed (the lithium_gsk3 term)"},
    "ion_channel_blocker": {
        "l_type_ca": "L-type Ca2+ channel blocker: lowers activity-dependent BDNF release",
        "nav_release": "Na+ channel blocker: lowers glutamate release per pyramidal spike"},
}
INHIBITING = {"allosteric_modulator", "receptor_antagonist", "kinase_inhibitor", "ion_channel_blocker",
              "receptor_agonist"}


class Mechanism(_Strict):
    """One action of the drug: a mechanism type at a target, driven by unbound concentration at its site."""

    type: Literal["allosteric_modulator", "glycine_site_agonist", "receptor_antagonist", "receptor_potentiator",
                  "receptor_agonist", "kinase_inhibitor", "ion_channel_blocker"]
    target: str
    #: unbound concentration giving half the maximal effect (IC50, EC50 or Ki), uM
    potency: Quantity
    #: effect at full occupancy: fraction inhibited (inhibitors), relative gain (potentiators), or the
    #: efficacy relative to the endogenous co-agonist (glycine-site agonists: < 1 inhibits, > 1 potentiates)
    max_effect: Quantity
    hill: Quantity | None = None
    #: where the concentration acts: brain (unbound brain) or plasma (unbound plasma)
    site: Literal["brain", "plasma"] = "brain"
    note: str = ""

    @field_validator("target")
    @classmethod
    def _target(cls, v: str, info: ValidationInfo) -> str:
        allowed = MECHANISMS.get(info.data.get("type", ""), {})
        if allowed and v not in allowed:
            raise ValueError(f"target {v!r} has no model term for a {info.data['type']}; use one of "
                             f"{', '.join(allowed)}")
        return v

    @field_validator("potency", "hill")
    @classmethod
    def _positive_q(cls, q: Quantity | None, info: ValidationInfo) -> Quantity | None:
        return _check_quantity(q, info.field_name)  # type: ignore[return-value]

    @field_validator("max_effect")
    @classmethod
    def _effect(cls, q: Quantity, info: ValidationInfo) -> Quantity:
        _unit_check(q, ("dimensionless",), "max_effect")
        if info.data.get("type") in INHIBITING:
            _fraction(q, "max_effect")
        elif q.value < 0:
            raise ValueError(f"max_effect: value must not be negative, got {q.value:g}")
        return q


class Targets(_Strict):
    """Built-in target blocks: NMDAR channel block (any file) and the coded TRX/SSRI/MDZ terms."""

    nmdar_channel: ChannelBlock | None = None
    glun2b_nam: Affinity | None = None
    sert: Affinity | None = None
    net: Affinity | None = None
    trkb: Affinity | None = None
    gabaa: Affinity | None = None


#: metabolic steps of the coded ketamine family a variant may scale, and what each step is
METABOLIC_STEPS = {
    "ketamine_to_norketamine": "N-demethylation of ketamine to norketamine (CYP2B6, CYP3A4)",
    "norketamine_to_hnk": "6-hydroxylation of norketamine to (2R,6R)/(2S,6S)-HNK (CYP2A6, CYP2B6)",
    "norketamine_to_dhnk": "dehydrogenation of norketamine to DHNK",
}


def _metabolism(steps: dict[str, Quantity]) -> dict[str, Quantity]:
    """Each scaled step must be known and its factor a non-negative dimensionless number."""
    for step, q in steps.items():
        if step not in METABOLIC_STEPS:
            raise ValueError(f"unknown metabolic step {step!r}; use one of {', '.join(METABOLIC_STEPS)}")
        _unit_check(q, ("dimensionless",), step)
        if q.value < 0:
            raise ValueError(f"{step}: the factor must not be negative, got {q.value:g}")
    return steps


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
    #: what the drug does, by mechanism type (docs/compounds.md, "Mechanism types")
    mechanisms: tuple[Mechanism, ...] = ()
    metabolites: tuple[Metabolite, ...] = ()
    #: reference files only: named quantities of the coded model (e.g. the ketamine family's PK)
    reference_parameters: dict[str, Quantity] = Field(default_factory=dict)
    #: a variant of a coded family (ketamine): its PK, targets and routes, with `metabolism` changed
    variant_of: Literal["ketamine"] | None = None
    #: variants only: factor on the formation clearance of each named step (METABOLIC_STEPS); the
    #: substrate's clearance is unchanged, the part not formed leaves by other routes
    metabolism: dict[str, Quantity] = Field(default_factory=dict)

    @field_validator("routes", "base_routes")
    @classmethod
    def _known_routes(cls, v: tuple[str, ...]) -> tuple[str, ...]:
        bad = [r for r in v if r not in ROUTES]
        if bad:
            raise ValueError(f"unknown route(s) {', '.join(bad)}; use {', '.join(ROUTES)}")
        return v

    @field_validator("metabolism")
    @classmethod
    def _steps(cls, v: dict[str, Quantity]) -> dict[str, Quantity]:
        return _metabolism(v)

    @model_validator(mode="after")
    def _consistent(self) -> Compound:
        _unit_check(self.molar_mass, ("g/mol",), "molar_mass")
        _positive(self.molar_mass, "molar_mass")
        if self.variant_of is not None:
            return self._variant()
        if self.metabolism:
            raise ValueError("metabolism scales a step of a coded family; add variant_of: ketamine or remove it")
        if not self.reference_only and self.pk is None:
            raise ValueError("pk is required (only the ketamine reference file may omit it)")
        if not self.reference_only and ("intranasal" in self.routes or "sublingual" in self.routes):
            raise ValueError("intranasal and sublingual need a route model; compound files support iv, im, sc, "
                             "oral, ip, icv and inhaled")
        pk = self.pk
        if pk is not None and "icv" in self.routes and (pk.brain_unbound_fraction is None or pk.icv_loss_rate is None):
            raise ValueError("route icv needs pk.brain_unbound_fraction and pk.icv_loss_rate; add them or remove icv")
        if pk is not None and "inhaled" in self.routes and (pk.alveolar_ventilation is None
                                                            or pk.blood_gas_partition is None):
            raise ValueError("route inhaled needs pk.alveolar_ventilation and pk.blood_gas_partition; add them or "
                             "remove inhaled")
        return self

    def _variant(self) -> Compound:
        """A variant takes the family's PK, targets and route models: it gives only `metabolism`."""
        if self.reference_only:
            raise ValueError("a variant is simulated; remove reference_only")
        if self.pk is not None or self.targets != Targets() or self.mechanisms:
            raise ValueError(f"a variant of {self.variant_of} takes its pk, targets and mechanisms from the coded "
                             "family; remove them and give only metabolism")
        if not self.metabolism:
            raise ValueError(f"a variant needs metabolism: the steps it changes (one of {', '.join(METABOLIC_STEPS)})")
        bad = [r for r in self.routes if r in ("icv", "inhaled")]
        if bad:
            raise ValueError(f"route(s) {', '.join(bad)} are not modelled for the ketamine family")
        return self

    @property
    def salt_molar_mass(self) -> float | None:
        if self.salt is None:
            return None
        if self.salt.molar_mass is not None:
            return self.salt.molar_mass
        return self.molar_mass.value + SALTS[self.salt.name]

