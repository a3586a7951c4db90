"""Limits on what a simulation may be asked for, in one place (docs/limits.md), for CLI, API and page.

Three kinds, all checked before any expensive work:

1. **Doses** (`check_dose`): per drug, route and species, a largest single administration in
   mg/kg, chosen from physiology and labelling (the reason is written beside each bound). An
   absolute dose in mg is checked against the bound times the heaviest plausible body weight
   of the species. Beyond the bound the model has no meaning (it was never calibrated there,
   and the patient would be dead or anaesthetised far beyond any protocol).
2. **Trial length and size** (`check_trial_size`): hard bounds that nothing overrides (they
   protect parsing itself), and default bounds that `allow_large` (the CLI's `--allow-large`)
   lifts for big legitimate runs.
3. **Memory and time** (`estimate_run`): a rough estimate of a trial's peak memory and CPU
   time, printed before a big run, and a refusal (with the estimate) when it cannot fit in
   this machine's memory.

The HTTP API applies all of these and, on top, its own smaller per-request budgets
(ketasim.apps.api.limits).
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass

from ketasim.model.errors import UserError

RODENTS = ("mouse", "rat")

#: heaviest plausible body weight per species (kg): converts an mg/kg bound into an mg bound
MAX_WEIGHT_KG = {"human": 300.0, "mouse": 0.2, "rat": 2.0}


@dataclass(frozen=True)
class DoseBound:
    """Largest single administration (mg/kg) of one drug: humans by route, rodents, and why."""

    human: dict[str, float]
    rodent: float
    reason: str


#: ketamine-family bounds (racemic, S- and R-ketamine): label anaesthetic doses with headroom
_KETAMINE = DoseBound(
    human={"iv": 10.0, "im": 15.0, "sc": 15.0, "intranasal": 10.0, "oral": 20.0, "sublingual": 20.0, "ip": 10.0},
    rodent=300.0,
    reason="Ketalar label: anaesthetic induction 1-4.5 mg/kg IV and 6.5-13 mg/kg IM; oral and sublingual "
           "bioavailability is 16-30 %, so oral bounds are twice the IV ones; rodents: anaesthesia 80-150 mg/kg "
           "IP, mouse IP LD50 about 230-400 mg/kg",
)

#: drug -> bound; a drug missing here gets DEFAULT_BOUND
DOSE_BOUNDS: dict[str, DoseBound] = {
    "ketamine": _KETAMINE,
    "esketamine": _KETAMINE,
    "arketamine": _KETAMINE,
    "deuterated_ketamine": _KETAMINE,  # ketamine's PK and NMDAR block (a variant of the family)
    "2r6r-hnk": DoseBound({"iv": 20.0, "oral": 40.0, "ip": 20.0}, 400.0,
                          "no approved human dose; mouse studies used up to 375 mg/kg IP without toxicity "
                          "(Zanos 2016); human bound set at about 10x the mouse antidepressant dose scaled "
                          "by body surface"),
    "lanicemine": DoseBound({"iv": 10.0, "im": 10.0, "sc": 10.0, "oral": 20.0, "ip": 10.0}, 100.0,
                            "trials gave 100-150 mg IV (about 2 mg/kg); rodent studies 3-30 mg/kg"),
    "memantine": DoseBound({"iv": 5.0, "im": 5.0, "sc": 5.0, "oral": 5.0, "ip": 5.0}, 100.0,
                           "label maximum 28 mg/day oral (0.4 mg/kg); 5 mg/kg is over 10x it; rodent "
                           "studies up to 50 mg/kg"),
    "midazolam": DoseBound({"iv": 1.0, "im": 1.0, "sc": 1.0, "oral": 2.0, "ip": 1.0}, 50.0,
                           "label: IV induction 0.15-0.35 mg/kg, oral premedication up to 1 mg/kg; rodent "
                           "sedation 1-10 mg/kg"),
    "mk801": DoseBound({"iv": 0.5, "im": 0.5, "sc": 0.5, "oral": 0.5, "ip": 0.5}, 10.0,
                       "a rodent tool: behavioural doses 0.05-1 mg/kg, neurotoxic (Olney lesions) from "
                       "about 5 mg/kg; no human use"),
    "escitalopram": DoseBound({"oral": 1.0}, 100.0,
                              "label maximum 20 mg/day (0.3 mg/kg); rodent studies 5-20 mg/kg"),
    "sertraline": DoseBound({"oral": 6.0}, 100.0,
                            "label maximum 200 mg/day (3 mg/kg); rodent studies 10-40 mg/kg"),
    "venlafaxine": DoseBound({"oral": 10.0}, 100.0,
                             "label maximum 375 mg/day (5 mg/kg); rodent studies 10-50 mg/kg"),
    "nortriptyline": DoseBound({"oral": 4.0}, 100.0,
                               "label maximum 150 mg/day (2 mg/kg); overdose toxicity above about 10 mg/kg; "
                               "rodent studies 5-20 mg/kg"),
    "ssri": DoseBound({"oral": 3.0}, 100.0,
                      "citalopram label maximum 40 mg/day (0.6 mg/kg); rodent studies 10-20 mg/kg"),
    "traxoprodil": DoseBound({"iv": 5.0, "im": 5.0, "sc": 5.0, "oral": 10.0, "ip": 5.0}, 100.0,
                             "trials infused 0.75 mg/kg/h for 1.5 h (about 1 mg/kg); rodent studies 5-40 mg/kg"),
}
DEFAULT_BOUND = DoseBound({}, 100.0, "no specific bound; 10 mg/kg in humans, 100 mg/kg in rodents")
_DEFAULT_HUMAN_MG_PER_KG = 10.0


def dose_bound_mg_per_kg(drug: str, route: str, species: str) -> tuple[float, str]:
    """(largest single administration in mg/kg, the reason) for this drug, route and species."""
    bound = DOSE_BOUNDS.get(drug, DEFAULT_BOUND)
    if species in RODENTS:
        return bound.rodent, bound.reason
    return bound.human.get(route, max(bound.human.values(), default=_DEFAULT_HUMAN_MG_PER_KG)), bound.reason


def check_dose(drug: str, route: str, species: str, amount_mg: float | None, mg_per_kg: float | None,
               field: str, weight_kg: float | None = None) -> None:
    """UserError naming `field` and the bound when one administration is beyond physiology.

    A dose in mg is compared with the bound times `weight_kg` (the heaviest patient of the
    population, or the simulated patient), or the species' heaviest plausible weight.
    """
    cap, _ = dose_bound_mg_per_kg(drug, route, species)
    if mg_per_kg is not None and mg_per_kg > cap:
        raise UserError(field, f"{mg_per_kg:g} mg/kg is above the largest {drug} {route} dose ketasim accepts "
                               f"for a {species}: {cap:g} mg/kg per administration (docs/limits.md)")
    if amount_mg is not None:
        weight = weight_kg if weight_kg is not None else MAX_WEIGHT_KG.get(species, MAX_WEIGHT_KG["human"])
        cap_mg = cap * weight
        if amount_mg > cap_mg:
            raise UserError(field, f"{amount_mg:g} mg is above the largest {drug} {route} dose ketasim accepts "
                                   f"for a {species} of {weight:g} kg: {cap_mg:g} mg ({cap:g} mg/kg, docs/limits.md)")


# ---------------------------------------------------------------------------------------------
# trial length and size
# ---------------------------------------------------------------------------------------------
#: hard bounds (never lifted): a century of simulated time, a hundred million patients, dose times
HARD_MAX_DAYS = 36_525.0
HARD_MAX_PATIENTS = 100_000_000
HARD_MAX_DOSE_TIMES = 100_000
#: default bounds, lifted by allow_large (--allow-large): two years, 100,000 patients,
#: a million patient-courses (patients x replicates), 5,000 dose times per arm
MAX_DAYS = 730.0
MAX_PATIENTS = 100_000
MAX_PATIENT_COURSES = 1_000_000
MAX_DOSE_TIMES = 5_000
_LARGE = "pass --allow-large for a big run that is meant"


def check_length(end_h: float, field: str) -> None:
    """UserError when a trial or simulation is longer than the hard bound (a century)."""
    if not math.isfinite(end_h) or end_h > HARD_MAX_DAYS * 24.0:
        raise UserError(field, f"{end_h / 24.0:g} days is longer than ketasim simulates ({HARD_MAX_DAYS:g} days "
                               "at most)")


def check_dose_times(n: int | float, field: str) -> None:
    """UserError when one regimen item expands to more dose times than the hard bound."""
    if not n <= HARD_MAX_DOSE_TIMES:
        raise UserError(field, f"{n:g} dose times; at most {HARD_MAX_DOSE_TIMES} per regimen item: "
                               "use a longer interval or a `count`")


def check_patients(total: int, field: str) -> None:
    """UserError when a trial has more patients than the hard bound."""
    if total > HARD_MAX_PATIENTS:
        raise UserError(field, f"{total} patients; at most {HARD_MAX_PATIENTS} in one trial")


def check_trial_size(patients: int, replicates: int, end_h: float, dose_times: int, allow_large: bool,
                     dose_field: str = "arms") -> None:
    """UserError (naming the field and the flag) for a trial beyond the default bounds."""
    if allow_large:
        return
    if patients > MAX_PATIENTS:
        raise UserError("population.size", f"{patients} patients is above the default limit of {MAX_PATIENTS}; "
                                           f"{_LARGE}")
    if patients * replicates > MAX_PATIENT_COURSES:
        raise UserError("--replicates", f"{patients} patients x {replicates} replicates = {patients * replicates} "
                                        f"patient-courses is above the default limit of {MAX_PATIENT_COURSES}; "
                                        f"{_LARGE}")
    if end_h > MAX_DAYS * 24.0:
        raise UserError("duration", f"{end_h / 24.0:g} days is above the default limit of {MAX_DAYS:g} days; "
                                    f"{_LARGE}")
    if dose_times > MAX_DOSE_TIMES:
        raise UserError(dose_field, f"{dose_times} dose times in one arm is above the default limit of "
                                f"{MAX_DOSE_TIMES}; {_LARGE}")


# ---------------------------------------------------------------------------------------------
# memory and time
# ---------------------------------------------------------------------------------------------
#: CPU seconds per patient simulated in a batch of 16 (measured on the shared 2-core machine): a
#: fixed part that grows slowly with the days simulated, and a part per dose event (each dose is
#: a solver restart with its own dense output points)
CPU_S_PER_PATIENT = 0.1
CPU_S_PER_DOSE = 0.06
#: larger batches cost less per patient: x (16 / batch) ** 0.7 (docs/million.json: 4.6 ms per
#: patient for 28 days at batch 2048, where this gives 3.4-9 ms)
BATCH_EXPONENT = 0.7
#: resident memory of a process that has built the model (numpy, scipy, pandas, the model)
BASE_BYTES = 600e6
#: bytes per patient kept for the whole run (assignment, covariates, endpoint values, failures)
BYTES_PER_PATIENT = 400.0
#: bytes per (patient, observation time, measure) of one chunk while it is simulated and written
BYTES_PER_CELL = 8.0 * 6


@dataclass(frozen=True)
class Estimate:
    """A trial's expected peak memory (bytes) and CPU time (s) before it starts."""

    memory_bytes: float
    cpu_s: float
    wall_s: float

    def text(self) -> str:
        """One line for a user: memory in GB, time in minutes or hours."""
        t = self.wall_s
        when = f"{t / 3600:.1f} h" if t >= 3600 else (f"{t / 60:.0f} min" if t >= 60 else f"{t:.0f} s")
        return f"about {self.memory_bytes / 1e9:.1f} GB of memory and {when}"


def machine_memory_bytes() -> float:
    """Physical memory of this machine (bytes); 24 GB when it cannot be read."""
    try:
        return float(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES"))
    except (ValueError, OSError, AttributeError):
        return 24e9


def estimate_run(patients: int, replicates: int, grid_points: int, measures: int, chunk_size: int,
                 end_h: float, dose_events: int = 1, workers: int = 1) -> Estimate:
    """Peak memory and time of a trial from its size (coarse: within a factor of about three)."""
    chunk = max(min(chunk_size, patients), 1)
    per_worker = BASE_BYTES + chunk * grid_points * max(measures, 1) * BYTES_PER_CELL
    memory = per_worker * max(workers, 1) + patients * BYTES_PER_PATIENT
    batch = min((16.0 / chunk) ** BATCH_EXPONENT, 1.0)
    per_patient = CPU_S_PER_PATIENT * (1.0 + end_h / (300 * 24.0)) + CPU_S_PER_DOSE * dose_events
    cpu = patients * replicates * batch * per_patient
    return Estimate(memory, cpu, cpu / max(workers, 1))


def check_memory(estimate: Estimate, field: str = "population.size") -> None:
    """UserError with the estimate when a run cannot fit in this machine's memory."""
    have = machine_memory_bytes()
    if estimate.memory_bytes > 0.8 * have:
        raise UserError(field, f"this run needs {estimate.text()}, more than this machine's "
                               f"{have / 1e9:.0f} GB of memory allows; use fewer patients or a smaller --chunk-size")
