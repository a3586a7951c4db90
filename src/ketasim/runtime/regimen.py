"""Regimens: what was given, how and when, expanded into dose events the engines apply.

A `Dose` is one regimen item in internal units (the trial spec and NONMEM import build them);
`dose_events` turns it into `DoseEvent`s whose amount is split over the model's dose inputs by
fraction expressions in model parameters (e.g. an esketamine device's nasal fraction).
A `placebo` item is a vehicle (saline infusion, placebo spray, capsule): it has a route and a
schedule but no drug and no dose, and gives no drug event (only its visits' clinical contacts,
below). The model's placebo response belongs to every patient (expectancy), so a vehicle arm
behaves as an arm without drug given at the same visits.
A `psychotherapy` item is a non-drug intervention: sessions at the item's times (its `duration`
is the session's length, default 1 h); each gives one session into the model's `psychotherapy`
input (layers/synapses/window.py), which acts only in the plasticity-window variant.
A `contact` item (`intervention: contact`) is a clinical contact without treatment (a follow-up visit).
Every visit of a dose or vehicle given at the clinic (routes in CONTACT_ROUTES), every psychotherapy
session and every contact item after time zero (VISIT_GAP_H apart) also gives one contact into the model's
`contact` input (layers/symptoms/care.py: the care part of the placebo response); the session at time
zero is where the model's placebo response starts, so it adds no contact.
"""

from __future__ import annotations

from dataclasses import dataclass

from ketasim.layers.exposure.routes import dose_targets, validate_route
from ketasim.layers.symptoms.care import CONTACT, CONTACT_ROUTES
from ketasim.layers.synapses.window import PSYCHOTHERAPY, SESSION
from ketasim.model.compounds import get_drug
from ketasim.model.errors import UserError

INFUSION_ROUTES = ("iv", "sc", "inhaled")
#: a gas breathed at a fixed inspired fraction for `duration` (dose written as "50 %")
INHALED = "inhaled"
#: a vehicle (`drug: placebo`): the route and schedule of a placebo, no drug and no dose
PLACEBO = "placebo"
PLACEBO_ROUTES = ("iv", "im", "sc", "intranasal", "oral", "sublingual", "ip", "inhaled")
#: non-drug interventions a regimen can hold (`intervention: psychotherapy`), given as sessions
INTERVENTIONS = (PSYCHOTHERAPY, CONTACT)
#: a session's length when the item gives none
SESSION_H = 1.0
#: the longest session (a day-long workshop); longer is not a session
MAX_SESSION_H = 24.0
#: administrations closer than this to time zero or to the previous visit belong to the same visit
VISIT_GAP_H = 12.0


def parse_inspired_fraction(text: object, path: str) -> float:
    """An inhaled dose: the inspired fraction written as a percentage ("50 %") -> 0.5."""
    t = str(text).strip()
    try:
        value: float | None = float(t.removesuffix("%").strip())
    except ValueError:
        value = None
    if not t.endswith("%") or value is None:
        raise UserError(path, f"an inhaled gas is dosed as its inspired fraction in percent, e.g. \"50 %\"; got {t!r}")
    return value / 100.0


@dataclass(frozen=True)
class Dose:
    """One regimen item: `amount_mg` per administration (or per spray), or `mg_per_kg`."""

    drug: str
    route: str
    times_h: tuple[float, ...]
    amount_mg: float | None = None
    mg_per_kg: float | None = None
    duration_h: float = 0.0
    sprays: int = 1
    spray_interval_h: float = 5.0 / 60.0
    salt: str | None = None
    field: str = "regimen"
    #: inhaled route: inspired fraction (0-1) held for `duration_h`
    inspired_fraction: float | None = None

    @property
    def is_placebo(self) -> bool:
        """A vehicle: route and schedule, no drug."""
        return self.drug == PLACEBO

    @property
    def is_intervention(self) -> bool:
        """A non-drug intervention (psychotherapy sessions): schedule and session length, no drug."""
        return self.drug in INTERVENTIONS

    def __post_init__(self) -> None:
        f = self.field
        if self.is_intervention:
            self._check_sessions()
            return
        if self.is_placebo:
            self._check_vehicle()
        else:
            drug = get_drug(self.drug, f"{f}.drug")
            validate_route(drug, self.route, f"{f}.route")
            if self.route == INHALED:
                self._check_inhaled()
            else:
                self._check_amount()
        if self.duration_h < 0:
            raise UserError(f"{f}.duration", "duration must not be negative")
        if self.duration_h > 0 and self.route not in INFUSION_ROUTES:
            raise UserError(
                f"{f}.duration",
                f"an infusion duration is not possible for route {self.route!r}; omit it "
                f"(infusions: {', '.join(INFUSION_ROUTES)})",
            )
        if self.sprays < 1:
            raise UserError(f"{f}.sprays", "sprays must be at least 1")
        if self.sprays > 1 and self.route != "intranasal":
            raise UserError(f"{f}.sprays", "several sprays are only possible for route intranasal")
        if self.spray_interval_h < 0:
            raise UserError(f"{f}.spray_interval", "spray_interval must not be negative")
        if not self.times_h:
            raise UserError(f"{f}.at", "the regimen item has no dose times")
        if any(t < 0 for t in self.times_h):
            raise UserError(f"{f}.at", "dose times are measured from time zero and cannot be negative")

    def _check_amount(self) -> None:
        f = self.field
        if (self.amount_mg is None) == (self.mg_per_kg is None):
            raise UserError(f"{f}.dose", "give the dose either in mg or in mg/kg")
        dose = self.amount_mg if self.amount_mg is not None else self.mg_per_kg
        if dose is None or not dose > 0:
            raise UserError(f"{f}.dose", f"dose must be positive, got {dose}")

    def _check_inhaled(self) -> None:
        f = self.field
        if self.amount_mg is not None or self.mg_per_kg is not None or self.inspired_fraction is None:
            raise UserError(f"{f}.dose", "an inhaled gas is dosed as its inspired fraction, e.g. dose: \"50 %\"")
        if not 0 < self.inspired_fraction <= 1:
            raise UserError(f"{f}.dose", f"the inspired fraction must lie in (0, 100 %], got "
                                         f"{self.inspired_fraction:g}")
        if not self.duration_h > 0:
            raise UserError(f"{f}.duration", "an inhalation needs its length, e.g. duration: \"1 h\"")

    def _check_vehicle(self) -> None:
        f = self.field
        if self.route not in PLACEBO_ROUTES:
            raise UserError(f"{f}.route", f"route {self.route!r} is not available for a placebo; use one of "
                                          f"{', '.join(PLACEBO_ROUTES)}")
        if self.amount_mg is not None or self.mg_per_kg is not None:
            raise UserError(f"{f}.dose", "a placebo is a vehicle without drug: remove `dose`")
        if self.salt is not None:
            raise UserError(f"{f}.salt", "a placebo has no salt: remove `salt`")

    def _check_sessions(self) -> None:
        f = self.field
        if self.route != SESSION:
            raise UserError(f"{f}.route", f"a {self.drug} item has no route; remove `route`")
        if self.amount_mg is not None or self.mg_per_kg is not None or self.inspired_fraction is not None:
            raise UserError(f"{f}.dose", f"{self.drug} has no dose: remove `dose` (give the sessions' times)")
        if self.salt is not None or self.sprays != 1:
            raise UserError(f"{f}.{'salt' if self.salt is not None else 'sprays'}",
                            f"{self.drug} is not a drug: remove this field")
        if not 0 < self.duration_h <= MAX_SESSION_H:
            raise UserError(f"{f}.duration", f"a session needs a positive length of at most {MAX_SESSION_H:g} h, "
                                             "e.g. duration: \"1 h\"")
        if not self.times_h:
            raise UserError(f"{f}.at", "the regimen item has no session times")
        if any(t < 0 for t in self.times_h):
            raise UserError(f"{f}.at", "session times are measured from time zero and cannot be negative")

    @property
    def dose_text(self) -> str:
        """The dose as written: mg/kg, mg, or an inhaled gas's inspired percentage."""
        if self.is_intervention:
            return f"{self.duration_h * 60:g}-min session"
        if self.inspired_fraction is not None:
            return f"{100 * self.inspired_fraction:g} % inspired"
        return f"{self.mg_per_kg:g} mg/kg" if self.mg_per_kg is not None else f"{self.amount_mg:g} mg"

    def mg(self, weight_kg: float) -> float:
        """mg dosed per administration (per spray) for a patient of `weight_kg`."""
        if self.amount_mg is not None:
            return self.amount_mg
        assert self.mg_per_kg is not None
        return self.mg_per_kg * weight_kg

    def umol_base(self, weight_kg: float) -> float:
        """umol of drug base per administration (per spray; inhaled: taken up over the session)."""
        drug = get_drug(self.drug)
        if self.route == INHALED:
            assert self.inspired_fraction is not None and drug.inhaled_umol_per_fraction_h is not None
            return self.inspired_fraction * drug.inhaled_umol_per_fraction_h * self.duration_h
        mg_base = self.mg(weight_kg) * drug.base_fraction(self.route, self.salt)
        return mg_base / drug.base_molar_mass * 1000.0


@dataclass(frozen=True)
class DoseEvent:
    """An amount (umol; sessions for an intervention) entering the model at `time_h`, over `duration_h` (0: bolus)."""

    time_h: float
    amount_umol: float
    duration_h: float
    targets: tuple[tuple[str, str], ...]  # (dose input, fraction expression)
    label: str


def contact_times(dose: Dose) -> list[float]:
    """Visit times of a regimen item: sessions and clinic administrations at least VISIT_GAP_H after time
    zero and after the item's previous visit (a later part of the same visit is no new contact)."""
    if not (dose.is_intervention or dose.route in CONTACT_ROUTES):
        return []
    out: list[float] = []
    for t in sorted(set(dose.times_h)):
        if t >= VISIT_GAP_H and (not out or t - out[-1] >= VISIT_GAP_H):
            out.append(t)
    return out


def contact_events(dose: Dose) -> list[DoseEvent]:
    """One clinical contact per visit of a regimen item after time zero (none for doses taken at home)."""
    return [DoseEvent(time_h=t, amount_umol=1.0, duration_h=0.0, targets=((CONTACT, "1"),), label="clinical contact")
            for t in contact_times(dose)]


def dose_events(dose: Dose, weight_kg: float) -> list[DoseEvent]:
    """Expand a regimen item for a patient into dose events (one per administration/spray) and its contacts."""
    if not weight_kg > 0:
        raise UserError("weight", f"body weight must be positive, got {weight_kg} kg")
    return _item_events(dose, weight_kg) + contact_events(dose)


def _item_events(dose: Dose, weight_kg: float) -> list[DoseEvent]:
    """The drug (or session) events of a regimen item."""
    if dose.is_placebo or dose.drug == CONTACT:
        return []
    if dose.is_intervention:  # one session each, spread over its length
        return [DoseEvent(time_h=t, amount_umol=1.0, duration_h=dose.duration_h, targets=((dose.drug, "1"),),
                          label=f"{dose.drug} session") for t in dose.times_h]
    drug = get_drug(dose.drug)
    amount = dose.umol_base(weight_kg)
    mg_base = 0.0 if dose.route == INHALED else dose.mg(weight_kg) * drug.base_fraction(dose.route, dose.salt)
    events = []
    for t in dose.times_h:
        for k in range(dose.sprays):
            targets = dose_targets(drug, dose.route, spray_index=k + 1, spray_mg_base=mg_base)
            events.append(
                DoseEvent(
                    time_h=t + k * dose.spray_interval_h,
                    amount_umol=amount,
                    duration_h=dose.duration_h,
                    targets=tuple(targets),
                    label=f"{drug.name} {dose.route}",
                )
            )
    return events


def regimen_routes(doses: list[Dose]) -> dict[str, set[str]]:
    """Routes used per model family, so that only the needed absorption depots are built."""
    out: dict[str, set[str]] = {}
    for d in doses:
        if d.is_intervention:
            out.setdefault(d.drug, set()).add(d.route)
        elif not d.is_placebo:
            out.setdefault(get_drug(d.drug).family, set()).add(d.route)
    return out
