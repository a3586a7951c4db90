"""The virtual-trial specification (docs/contracts/trial-spec.md, version 1), parsed and checked.

Two steps, so that every error names its YAML path and the fix in one line (step 1 lives in
ketasim.runtime.spec_schema, regimen items and covariates of step 2 in ketasim.runtime.spec_items):

1. pydantic models check the structure: required fields, types, and unknown fields (an error,
   never ignored), e.g. ``arms[1].regimen[0].dose_mg: unknown field; allowed here: ...``;
2. `compile_spec` checks the meaning (units and dimensions, positive doses, arm names, endpoint
   fields per kind, times inside the trial) and converts everything to internal units: hours,
   mg, kg, and `ketasim.runtime.regimen.Dose` objects per arm (background treatments appended).

Extensions to the contract (allowed: "the project may add fields"):
``duration`` (trial length; default = the last endpoint time), ``hypothesis`` (model variant,
default "default"), ``layers`` ("all" or "exposure"), ``salt`` on regimen items,
``population.cyp2b6_pm_fraction`` / ``val66met_fraction`` / ``prior_failures``, ``min``/``max`` on weight and age,
``consecutive`` and ``visit_interval`` on relapse endpoints, ``at`` (end of follow-up) on
time_to_relapse, ``size`` on arms may be used for every arm (then population.size is optional).
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from ketasim.layers.symptoms.scales import DEPRESSION_SCALES, ITEM_MEASURES, SCALES
from ketasim.model.errors import UserError, yaml_error_parts
from ketasim.model.species import SPECIES
from ketasim.runtime import limits as lim
from ketasim.runtime.patients import Distribution, default_age, default_weight
from ketasim.runtime.published import Published, parse_published
from ketasim.runtime.regimen import Dose
from ketasim.runtime.spec_crossover import Crossover, compile_crossover
from ketasim.runtime.spec_items import (
    Baseline,
    _baseline,
    _distribution,
    _dropout,
    _fraction,
    _missing,
    _positive_time,
    _prior_failures,
    _regimen_item,
    _relapse_rule,
    _time,
    _visits,
)
from ketasim.runtime.spec_schema import EndpointModel, RegimenItemModel, SpecModel, _pydantic_error

__all__ = ["Arm", "Baseline", "Endpoint", "Population", "RegimenItemModel", "SpecModel", "TrialSpec", "compile_spec",
           "load_spec", "parse_spec"]

CONTRACT_VERSION = 1
DIAGNOSES = ("trd", "mdd", "bipolar", "healthy")
LAYERS = ("all", "exposure")

#: concentration measures of the contract (ng/mL), plasma and brain versions
_ANALYTES = ("ketamine", "s_ketamine", "r_ketamine", "norketamine", "hnk", "2r6r_hnk", "dhnk")
CONCENTRATION_MEASURES = tuple(f"{site}_{a}" for site in ("plasma", "brain") for a in _ANALYTES)
#: rated scores (whole numbers on the scale's range) and vital signs
SCORE_MEASURES = ("MADRS", "HDRS17", "HAMD6", "BDI", "CADSS", "suicidal_ideation", *ITEM_MEASURES, "QIDS_SR16")
VITAL_MEASURES = ("SBP", "DBP")
MEASURES = SCORE_MEASURES + VITAL_MEASURES + CONCENTRATION_MEASURES

#: endpoint kind -> (required fields, optional fields) besides name, kind, measure
ENDPOINT_FIELDS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "value": (("at",), ()),
    "change": (("at",), ()),
    "percent_change": (("at",), ()),
    "response": (("at",), ("threshold",)),
    "remission": (("at", "cutoff"), ()),
    "peak": (("window",), ()),
    "peak_change": (("window",), ()),
    "relapse": (("from", "at"), ("threshold", "consecutive", "visit_interval", "rule")),
    "time_to_relapse": (("from",), ("at", "threshold", "consecutive", "visit_interval", "rule")),
}
#: kinds that compare a score with its baseline, so they need a depression scale
_NEEDS_DEPRESSION_SCALE = ("response", "relapse", "time_to_relapse")
_NEEDS_BASELINE = ("percent_change",)



# ---------------------------------------------------------------------------------------------
# step 2: meaning (compiled spec in internal units)
# ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Population:
    """The enrolled population, with defaults filled in (see trial/population.py)."""

    size: int
    species: str
    diagnosis: str
    baseline: Baseline
    weight: Distribution
    age: Distribution
    female_fraction: float
    cyp2b6_pm_fraction: float
    val66met_fraction: float
    background: tuple[Dose, ...]
    #: failed adequate antidepressant trials in the current episode (rounded truncated normal)
    prior_failures: Distribution = Distribution(0.0, 0.0, 0.0, 0.0)


@dataclass(frozen=True)
class Arm:
    """An arm with its exact size and its doses (the background treatments included)."""

    name: str
    size: int
    doses: tuple[Dose, ...]
    dropout_fraction: float = 0.0  # share of the arm gone by dropout_by_h (constant hazard)
    dropout_by_h: float | None = None


@dataclass(frozen=True)
class Endpoint:
    """An endpoint in internal units (times in hours); `path` is its YAML path for messages."""

    name: str
    kind: str
    measure: str
    path: str
    at_h: float | None = None
    from_h: float | None = None
    window_h: tuple[float, float] | None = None
    threshold: float = 0.5
    cutoff: float | None = None
    consecutive: int = 1
    visit_interval_h: float = 24.0
    visits_h: tuple[float, ...] | None = None  # relapse assessments: the trial's visits (else every visit_interval)
    published: Published | None = None
    relapse_score: float | None = None  # rule.score_at_least: relapse = score >= it (else loss of response)
    base_h: float | None = None  # baseline time (a crossover period's start); None: time zero

    def times(self) -> list[float]:
        """Times that must be on the observation grid for this endpoint."""
        out = [t for t in (self.at_h, self.from_h, self.base_h) if t is not None]
        if self.window_h is not None:
            out += list(self.window_h)
        return out


@dataclass(frozen=True)
class TrialSpec:
    """A checked trial specification in internal units."""

    name: str
    seed: int
    population: Population
    arms: tuple[Arm, ...]
    endpoints: tuple[Endpoint, ...]
    comparisons: tuple[tuple[str, str], ...]
    end_h: float
    hypothesis: str = "default"
    layers: str = "all"
    raw: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)
    missing: str = "locf"  # assessments after dropout: last observation carried forward, or left out
    crossover: Crossover | None = None  # a crossover design (runtime/spec_crossover.py)
    visits_h: tuple[float, ...] | None = None  # the trial's assessment schedule (`visits`), if given

    @property
    def drugs_routes(self) -> frozenset[tuple[str, str]]:
        """All (drug, route) pairs of every arm and the background: the one model covers them."""
        return frozenset((d.drug, d.route) for arm in self.arms for d in arm.doses if not d.is_placebo)

    @property
    def measures(self) -> tuple[str, ...]:
        """Measures the endpoints ask for, in first-use order."""
        return tuple(dict.fromkeys(e.measure for e in self.endpoints))


def _measure_known(measure: str, path: str) -> None:
    if measure in MEASURES:
        return
    site, _, drug = measure.partition("_")
    if site in ("plasma", "brain") and drug:
        from ketasim.layers.exposure.comparators import LIBRARY

        if drug in LIBRARY:
            return
    raise UserError(path, f"unknown measure {measure!r}; use one of {', '.join(MEASURES)} "
                          "(or plasma_<drug>/brain_<drug> for a comparator drug)")


def _endpoint(model: EndpointModel, path: str) -> Endpoint:
    kinds = ", ".join(ENDPOINT_FIELDS)
    if model.kind not in ENDPOINT_FIELDS:
        raise UserError(f"{path}.kind", f"unknown endpoint kind {model.kind!r}; use one of {kinds}")
    _measure_known(model.measure, f"{path}.measure")
    required, optional = ENDPOINT_FIELDS[model.kind]
    given = {n for n in ("at", "window", "from", "threshold", "cutoff", "consecutive", "visit_interval", "rule")
             if getattr(model, "from_" if n == "from" else n) is not None}
    for name in required:
        if name not in given:
            example = {"at": "at: \"24 h\"", "window": "window: [\"0 h\", \"4 h\"]", "from": "from: \"14 d\"",
                       "cutoff": "cutoff: 10"}[name]
            raise UserError(f"{path}.{name}", f"endpoint kind {model.kind} needs `{name}`; add e.g. {example}")
    for name in sorted(given - set(required) - set(optional)):
        raise UserError(f"{path}.{name}", f"`{name}` is not used by endpoint kind {model.kind}; remove it "
                                          f"(it uses {', '.join(required + optional)})")
    measure = model.measure
    if model.kind in _NEEDS_DEPRESSION_SCALE + ("remission",) and measure not in DEPRESSION_SCALES:
        raise UserError(f"{path}.measure", f"kind {model.kind} needs a depression scale "
                                           f"({', '.join(DEPRESSION_SCALES)}), got {measure!r}")
    if model.kind in _NEEDS_BASELINE and measure in CONCENTRATION_MEASURES + tuple(
            m for m in [measure] if m.startswith(("plasma_", "brain_"))):
        raise UserError(f"{path}.measure", f"percent_change needs a measure with a baseline above zero, not "
                                           f"the concentration {measure!r}; use kind value or peak")
    at_h = _time(model.at, f"{path}.at") if model.at is not None else None
    from_h = _time(model.from_, f"{path}.from") if model.from_ is not None else None
    window = None
    if model.window is not None:
        if not isinstance(model.window, list) or len(model.window) != 2:
            raise UserError(f"{path}.window", "give the window as two times, e.g. [\"0 h\", \"4 h\"]")
        window = (_time(model.window[0], f"{path}.window[0]"), _time(model.window[1], f"{path}.window[1]"))
        if not window[1] > window[0]:
            raise UserError(f"{path}.window", "the window must end after it starts")
    if from_h is not None and at_h is not None and not at_h > from_h:
        raise UserError(f"{path}.at", f"`at` ({model.at}) must come after `from` ({model.from_})")
    threshold = 0.5 if model.threshold is None else model.threshold
    if not 0.0 < threshold <= 1.0:
        raise UserError(f"{path}.threshold", f"a response threshold is a fraction of baseline in (0, 1], "
                                              f"got {threshold}")
    if model.cutoff is not None:
        scale = SCALES[measure]
        if not scale.low <= model.cutoff <= scale.high:
            raise UserError(f"{path}.cutoff", f"{model.cutoff:g} is outside the {measure} range "
                                              f"{scale.low}-{scale.high}")
    consecutive = 1 if model.consecutive is None else model.consecutive
    if consecutive < 1:
        raise UserError(f"{path}.consecutive", f"must be at least 1, got {consecutive}")
    visit: float | None = None if model.visit_interval is None else _positive_time(
        model.visit_interval, f"{path}.visit_interval")
    score = None
    if model.rule is not None:
        score, consecutive, visit = _relapse_rule(model, f"{path}.rule")
    visit = 24.0 if visit is None else visit
    return Endpoint(model.name, model.kind, measure, path, at_h, from_h, window, float(threshold),
                    None if model.cutoff is None else float(model.cutoff), consecutive, visit, relapse_score=score)


def _split(total: int, weights: list[float]) -> list[int]:
    """Largest-remainder split of `total` by `weights` (ties go to the earlier arm)."""
    s = sum(weights)
    quotas = [total * w / s for w in weights]
    sizes = [int(math.floor(q + 1e-9)) for q in quotas]
    order = sorted(range(len(weights)), key=lambda i: (-(quotas[i] - sizes[i]), i))
    for i in order[: total - sum(sizes)]:
        sizes[i] += 1
    return sizes


def _arm_sizes(spec: SpecModel) -> list[int]:
    total = spec.population.size
    if total is not None and total < 1:
        raise UserError("population.size", f"must be at least 1 patient, got {total}")
    if total is not None:
        lim.check_patients(total, "population.size")
    fixed: dict[int, int] = {}
    weights: dict[int, float] = {}
    for i, arm in enumerate(spec.arms):
        path = f"arms[{i}]"
        if arm.size is not None and arm.allocation is not None:
            raise UserError(f"{path}.size", "give either `allocation` or `size`, not both")
        if arm.size is not None:
            if arm.size < 1:
                raise UserError(f"{path}.size", f"an arm needs at least 1 patient, got {arm.size}")
            lim.check_patients(arm.size, f"{path}.size")
            fixed[i] = arm.size
        else:
            w = 1.0 if arm.allocation is None else arm.allocation
            if not (math.isfinite(w) and w > 0):
                raise UserError(f"{path}.allocation", f"allocation is a positive relative weight (e.g. 2), got {w:g}")
            weights[i] = w
    if total is None:
        if weights:
            raise UserError("population.size", "required when arms use `allocation`; add e.g. `size: 72`")
        return [fixed[i] for i in range(len(spec.arms))]
    rest = total - sum(fixed.values())
    if not weights:
        if rest != 0:
            raise UserError("population.size", f"{total} does not equal the sum of the arms' sizes "
                                               f"({sum(fixed.values())}); fix one of them")
        return [fixed[i] for i in range(len(spec.arms))]
    if rest < len(weights):
        raise UserError("population.size", f"{total} patients leave {rest} for {len(weights)} arm(s) "
                                           "with `allocation`; increase it")
    idx = sorted(weights)
    split = dict(zip(idx, _split(rest, [weights[i] for i in idx]), strict=True))
    sizes = [fixed.get(i, split.get(i, 0)) for i in range(len(spec.arms))]
    for i, n in enumerate(sizes):
        if n < 1:
            raise UserError(f"arms[{i}].allocation", "this arm gets no patient; increase population.size")
    return sizes


def _check_hypothesis(name: str) -> None:
    from ketasim.runtime.build import get_hypothesis

    get_hypothesis(name)


def compile_spec(model: SpecModel, raw: dict[str, Any] | None = None) -> TrialSpec:
    """Check the meaning of a structurally valid spec and convert it to internal units."""

    if model.ketasim != CONTRACT_VERSION:
        raise UserError("ketasim", f"this ketasim reads contract version {CONTRACT_VERSION}; write `ketasim: 1`")
    if not 0 <= model.seed < 2**63:
        raise UserError("seed", f"must be an integer from 0 to 2**63 - 1, got {model.seed}")
    if model.layers not in LAYERS:
        raise UserError("layers", f"unknown value {model.layers!r}; use one of {', '.join(LAYERS)}")
    _check_hypothesis(model.hypothesis)
    pop = model.population
    if pop.species not in SPECIES:
        raise UserError("population.species", f"unknown species {pop.species!r}; use one of {', '.join(SPECIES)}")
    if pop.diagnosis not in DIAGNOSES:
        raise UserError("population.diagnosis",
                        f"unknown diagnosis {pop.diagnosis!r}; use one of {', '.join(DIAGNOSES)}")
    if not model.arms:
        raise UserError("arms", "a trial needs at least one arm")
    if not model.endpoints:
        raise UserError("endpoints", "a trial needs at least one endpoint")
    names = [a.name for a in model.arms]
    for i, n in enumerate(names):
        if names.index(n) != i:
            raise UserError(f"arms[{i}].name", f"arm name {n!r} is used twice; arm names must be unique")
    endpoints = [_endpoint(e, f"endpoints[{i}]") for i, e in enumerate(model.endpoints)]
    pub_names = names if model.crossover is None else list(dict.fromkeys(  # a crossover publishes per treatment
        t for seq in model.crossover.sequences.values() for t in seq))
    endpoints = [e if m.published is None else dataclasses.replace(
        e, published=parse_published(m.published, f"{e.path}.published", pub_names or names))
        for e, m in zip(endpoints, model.endpoints, strict=True)]
    crossover = None
    if model.crossover is not None:
        crossover = compile_crossover(model.crossover, names, endpoints)
        endpoints = list(crossover.period_endpoints)
    seen: set[str] = set()
    for e in endpoints:
        if e.name in seen:
            raise UserError(f"{e.path}.name", f"endpoint name {e.name!r} is used twice; names must be unique")
        seen.add(e.name)
    last = max(t for e in endpoints for t in e.times())
    if model.duration is not None:
        end_h = _positive_time(model.duration, "duration")
        for e in endpoints:
            for name, t in (("at", e.at_h), ("from", e.from_h)) + (
                    (("window", e.window_h[1]),) if e.window_h else ()):
                if t is not None and t > end_h + 1e-9:
                    raise UserError(f"{e.path}.{name}", f"{t:g} h is after the trial ends (duration {end_h:g} h); "
                                                        "move the endpoint or lengthen `duration`")
    else:
        end_h = last
    lim.check_length(end_h, "duration" if model.duration is not None else next(
        (f"{e.path}.{n}" for e in endpoints for n, t in (("at", e.at_h), ("from", e.from_h),
                                                         ("window", max(e.window_h or (-1.0,)))) if t == end_h),
        "endpoints"))
    if not end_h > 0:
        raise UserError("endpoints", "every endpoint is at time zero; the trial needs a later endpoint or `duration`")
    for e in endpoints:
        if e.kind == "time_to_relapse":
            follow = e.at_h if e.at_h is not None else end_h
            if e.from_h is not None and not follow > e.from_h:
                raise UserError(f"{e.path}.from", "time_to_relapse needs follow-up after `from`: add `at` "
                                                  "(end of follow-up) or a later trial `duration`")
    for i, pair in enumerate(model.compare):
        if len(pair) != 2:
            raise UserError(f"compare[{i}]", f"a comparison names exactly two arms, e.g. [{names[0]}, ...]")
        for j, n in enumerate(pair):
            if n not in names:
                raise UserError(f"compare[{i}][{j}]", f"no arm is named {n!r}; arms are {', '.join(names)}")
        if pair[0] == pair[1]:
            raise UserError(f"compare[{i}]", "compare two different arms")
    visits = _visits(model.visits, end_h)
    if visits is not None:  # relapse rules without their own interval are assessed at the trial's visits
        endpoints = [dataclasses.replace(e, visits_h=visits) if e.kind in ("relapse", "time_to_relapse")
                     and m.visit_interval is None and (m.rule is None or m.rule.every is None) else e
                     for e, m in zip(endpoints, model.endpoints, strict=False)]
    sizes = _arm_sizes(model)
    background = tuple(_regimen_item(it, f"population.background[{i}]", end_h, pop.species)
                       for i, it in enumerate(pop.background))
    arms = tuple(
        Arm(a.name, sizes[i], tuple(_regimen_item(it, f"arms[{i}].regimen[{j}]", end_h, pop.species)
                                    for j, it in enumerate(a.regimen)) + background,
            *_dropout(a.dropout, f"arms[{i}].dropout", end_h))
        for i, a in enumerate(model.arms)
    )
    population = _population(pop, sizes, background)
    if crossover is not None and model.missing == "observed" and any(a.dropout_fraction > 0 for a in arms):
        raise UserError("missing", "a crossover compares treatments within patients; use `missing: locf` "
                                   "with dropout")
    for dose in {d.field: d for arm in arms for d in arm.doses}.values():  # mg doses: the heaviest patient
        lim.check_dose(dose.drug, dose.route, pop.species, dose.amount_mg, None, f"{dose.field}.dose",
                       population.weight.high)
    return TrialSpec(model.name, model.seed, population, arms, tuple(endpoints),
                     tuple((p[0], p[1]) for p in model.compare), end_h, model.hypothesis, model.layers,
                     raw or {}, _missing(model.missing), crossover, visits)


def _population(pop: Any, sizes: list[int], background: tuple[Dose, ...]) -> Population:
    """The enrolled population with defaults filled in."""
    return Population(
        size=sum(sizes),
        species=pop.species,
        diagnosis=pop.diagnosis,
        baseline=_baseline(pop.baseline, pop.diagnosis, "population.baseline"),
        weight=_distribution(pop.weight, "population.weight", "kg", "80 kg", default_weight(pop.species), True),
        age=_distribution(pop.age, "population.age", "year", "45 year", default_age(pop.species), True),
        female_fraction=_fraction(pop.female_fraction, "population.female_fraction", 0.5),
        cyp2b6_pm_fraction=_fraction(pop.cyp2b6_pm_fraction, "population.cyp2b6_pm_fraction", 0.1),
        val66met_fraction=_fraction(pop.val66met_fraction, "population.val66met_fraction", 0.35),
        background=background,
        prior_failures=_prior_failures(pop.prior_failures, pop.diagnosis, "population.prior_failures"),
    )


def parse_spec(data: Any) -> TrialSpec:
    """Check a spec given as a mapping (parsed YAML or JSON) and compile it."""
    if not isinstance(data, dict):
        raise UserError("spec", f"the trial spec must be a mapping of fields (ketasim, name, seed, ...), "
                                f"got {type(data).__name__}")
    try:
        model = SpecModel.model_validate(data)
    except ValidationError as exc:
        raise _pydantic_error(exc) from None
    return compile_spec(model, data)


def load_spec(path: str | Path) -> TrialSpec:
    """Read and check a YAML trial spec; YAML syntax errors become a UserError with the line."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise UserError(str(path), "no such file; give the path of a trial spec (YAML)") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise UserError(str(path), f"cannot read the spec: {exc}") from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        line, column, problem = yaml_error_parts(exc)
        where = f"line {line}, column {column}" if line is not None else "YAML"
        raise UserError(f"{p.name} {where}", f"YAML syntax error: {problem}; fix the indentation or quoting") from None
    return parse_spec(data)
