"""POST /api/v1/simulate: one typical patient under one regimen, every model output over time.

The patient is the typical patient of the model (no between-patient variability) with the
covariates the request gives; what it leaves out takes the trial population's defaults
(ketasim.studies.trial.population): 80 kg (human), 45 years, TRD, baseline MADRS 32, etc.
`api_engine` is the one place where this API picks its solver.
"""

from __future__ import annotations

import math
from typing import Any, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from ketasim.apps.api.checks import check_doses, check_regimen_raw
from ketasim.apps.api.errors import ApiError, limit_error, validate_model
from ketasim.apps.api.limits import Limits
from ketasim.model.description import Model
from ketasim.model.errors import UserError
from ketasim.model.units import parse_quantity
from ketasim.runtime.build import build_model, get_hypothesis, hypotheses
from ketasim.runtime.engines.reference import simulate_reference
from ketasim.runtime.limits import check_dose
from ketasim.runtime.patients import individual_parameters
from ketasim.runtime.regimen import Dose, DoseEvent, dose_events
from ketasim.runtime.spec_items import _regimen_item
from ketasim.runtime.spec_schema import RegimenItemModel
from ketasim.studies.trial.population import DEFAULT_BASELINE, SYN_DEFICIT_TYPICAL, default_age, default_weight

#: fallback solver of the API while a model's fast kernel is not compiled yet: SciPy BDF at rtol 1e-6
API_RTOL = 1e-6
API_ATOL = 1e-9
API_METHOD = "BDF"

#: plausible body weights (kg) and ages (years) per species; outside them is a 422
WEIGHT_RANGE = {"human": (2.0, 300.0), "mouse": (0.005, 0.2), "rat": (0.03, 2.0)}
AGE_RANGE = {"human": (0.0, 120.0), "mouse": (0.0, 4.0), "rat": (0.0, 4.0)}
SBP_RANGE = (60.0, 250.0)
DBP_RANGE = (30.0, 150.0)
TYPICAL_SBP, TYPICAL_DBP = 125.0, 78.0


class _Strict(BaseModel):
    """Strict types as in the trial spec: `"days": true` or `"14"` is refused, not read as a number."""

    model_config = ConfigDict(extra="forbid", strict=True, allow_inf_nan=False)


class PatientModel(_Strict):
    """The simulated patient; quantities are "NUMBER UNIT" strings like the trial spec's."""

    weight: Any = Field(None, description='body weight, e.g. "70 kg" (default: 80 kg human, 25 g mouse, '
                                          '300 g rat)', examples=["70 kg"])
    sex: Literal["F", "M"] = Field("M", description="F or M")
    age: Any = Field(None, description='e.g. "45 year" (default 45 years human, 10 weeks rodents)',
                     examples=["45 year"])
    diagnosis: Literal["trd", "mdd", "bipolar", "healthy"] = "trd"
    baseline_madrs: float | None = Field(None, description="baseline severity on the MADRS (0-60); default "
                                                           "by diagnosis (TRD 32)")
    cyp2b6_pm: bool = Field(False, description="CYP2B6 poor metaboliser (*6/*6)")
    val66met: bool = Field(False, description="BDNF Val66Met carrier")
    sbp: Any = Field(None, description='baseline systolic pressure, e.g. "125 mmHg"', examples=["125 mmHg"])
    dbp: Any = Field(None, description='baseline diastolic pressure, e.g. "78 mmHg"', examples=["78 mmHg"])
    placebo_resp: float | None = Field(None, description="placebo responsiveness multiplier (typical 1)")
    syn_deficit: float | None = Field(None, description="fraction of spines lost to depression (0-0.5); "
                                                        "default by diagnosis")


class SimulateRequest(_Strict):
    """Body of POST /api/v1/simulate."""

    regimen: list[RegimenItemModel] = Field(default_factory=list, description="regimen items as in "
                                                                              "trial-spec.md; [] = no drug")
    patient: PatientModel = Field(default_factory=PatientModel)
    days: float = Field(14.0, description="simulated days from time zero")
    hypothesis: str = Field("default", description="model variant (GET /api/v1/hypotheses)")
    species: Literal["human", "mouse", "rat"] = "human"
    layers: Literal["all", "exposure"] = Field("all", description='"exposure" stops after pharmacokinetics')
    outputs: list[str] | None = Field(None, description="only these series (default: every model output)")
    posterior: str | None = Field(None, description="name of a shipped calibrated posterior (e.g. \"default\"): "
                                                    "adds `bands`, the median and 5-95% of the series over draws")
    draws: int = Field(20, ge=1, le=100, description="posterior draws with `posterior`")


class OutputInfo(BaseModel):
    """What a series is."""

    unit: str
    layer: str
    description: str


class SimulateResponse(BaseModel):
    """Answer of POST /api/v1/simulate (times in hours from time zero)."""

    times_h: list[float]
    series: dict[str, list[float | None]]
    outputs: dict[str, OutputInfo]
    hypothesis: str
    species: str
    doses: list[dict[str, Any]]
    engine: str
    bands: dict[str, dict[str, list[float | None]]] | None = Field(
        None, description="with `posterior`: per series {median, p5, p95} over the posterior draws")
    posterior: dict[str, Any] | None = Field(None, description="with `posterior`: {name, draws, sha256}")


def api_engine(model: Model, events: list[DoseEvent], params: np.ndarray,
               times_h: np.ndarray) -> tuple[dict[str, np.ndarray], str]:
    """(outputs of one patient on `times_h`, engine name): the ONE place where the API chooses its solver.

    The fast engine (ketasim.studies.single, within 1e-4 of the reference) when the model's
    compiled kernel is ready: milliseconds per request. A model whose kernel would first have to
    be compiled (about a minute, once per machine) is answered by SciPy BDF at rtol 1e-6
    instead (well under a second, within about 1e-3 of the reference: docs/api.md), so no request
    waits for a compilation; `warm_up` compiles the standard model when the server starts.
    """
    from ketasim.runtime.engines.fast import resolve_backend
    from ketasim.studies.single import FAST_RTOL, kernel_needs_compiling, simulate_patients

    if resolve_backend("auto", None) == "numba" and not kernel_needs_compiling(model):
        return simulate_patients(model, events, params[:, None], times_h)[0].outputs, f"fast rtol={FAST_RTOL:g}"
    traj = simulate_reference(model, events, params, times_h, rtol=API_RTOL, atol=API_ATOL, method=API_METHOD)
    return traj.outputs, ENGINE_NAME


ENGINE_NAME = f"scipy-{API_METHOD.lower()} rtol={API_RTOL:g}"
WARM_UP_REQUEST = {"regimen": [{"drug": "ketamine", "route": "iv", "dose": "0.5 mg/kg", "duration": "40 min",
                                "at": ["0 h"]}], "days": 1}


def needs_compiling(limits: Limits) -> bool:
    """True when the warm-up model's fast kernel must first be compiled (about a minute, once per machine)."""
    from ketasim.studies.single import kernel_needs_compiling

    _, model, *_ = prepare(dict(WARM_UP_REQUEST), limits)
    return kernel_needs_compiling(model)


def warm_up(limits: Limits) -> None:
    """Build the standard model and compile its fast kernel (server start-up), so the first request is fast."""
    from ketasim.studies.single import simulate_patients

    _, model, _, params, events, times = prepare(dict(WARM_UP_REQUEST), limits)
    simulate_patients(model, events, params[:, None], times)
    run(dict(WARM_UP_REQUEST), limits)


def hypothesis_names() -> list[tuple[str, str]]:
    """(name, description) of every model variant."""
    return [(name, h.description) for name, h in hypotheses().items()]


def _range(value: float, low: float, high: float, field: str, unit: str) -> float:
    if not low <= value <= high:
        raise UserError(field, f"{value:g} {unit} is outside the accepted range {low:g}-{high:g} {unit}")
    return value


def patient_covariates(p: PatientModel, species: str) -> tuple[float, dict[str, float]]:
    """(weight kg, model covariate parameters) of the requested patient."""
    weight = default_weight(species).mean if p.weight is None else parse_quantity(
        p.weight, "patient.weight", "kg", "70 kg")
    _range(weight, *WEIGHT_RANGE[species], "patient.weight", "kg")
    age = default_age(species).mean if p.age is None else parse_quantity(p.age, "patient.age", "year", "45 year")
    _range(age, *AGE_RANGE[species], "patient.age", "year")
    madrs0 = DEFAULT_BASELINE[p.diagnosis][0] if p.baseline_madrs is None else p.baseline_madrs
    _range(madrs0, 0.0, 60.0, "patient.baseline_madrs", "points")
    sbp = TYPICAL_SBP if p.sbp is None else parse_quantity(p.sbp, "patient.sbp", "mmHg", "125 mmHg")
    _range(sbp, *SBP_RANGE, "patient.sbp", "mmHg")
    dbp = TYPICAL_DBP if p.dbp is None else parse_quantity(p.dbp, "patient.dbp", "mmHg", "78 mmHg")
    _range(dbp, *DBP_RANGE, "patient.dbp", "mmHg")
    if not dbp < sbp:
        raise UserError("patient.dbp", f"diastolic pressure {dbp:g} mmHg must be below systolic {sbp:g} mmHg")
    placebo = 1.0 if p.placebo_resp is None else _range(p.placebo_resp, 0.0, 10.0, "patient.placebo_resp", "")
    syn = SYN_DEFICIT_TYPICAL[p.diagnosis] if p.syn_deficit is None else _range(
        p.syn_deficit, 0.0, 0.5, "patient.syn_deficit", "")
    cov = {
        "WT": weight, "FEMALE": 1.0 if p.sex == "F" else 0.0, "CYP2B6_PM": float(p.cyp2b6_pm), "AGE": age,
        "MADRS0": madrs0, "DIAG_BIPOLAR": float(p.diagnosis == "bipolar"),
        "DIAG_HEALTHY": float(p.diagnosis == "healthy"), "PLACEBO_RESP": placebo, "SYN_DEFICIT": syn,
        "VAL66MET": float(p.val66met), "SBP0": sbp, "DBP0": dbp,
    }
    return weight, cov


def regimen_doses(items: list[RegimenItemModel], end_h: float, path: str = "regimen",
                  species: str = "human") -> list[Dose]:
    """Regimen items -> Doses, with the trial spec's checks (UserErrors name `regimen[i].field`)."""
    doses = []
    for i, item in enumerate(items):
        try:
            doses.append(_regimen_item(item, f"{path}[{i}]", end_h, species))
        except UserError as exc:
            if "after the trial ends" in exc.message:
                raise UserError(exc.field, f"a dose is after the end of the simulation ({end_h / 24:g} days); "
                                           "increase `days` or remove the dose") from None
            raise
    return doses


def time_grid(events: list[DoseEvent], end_h: float) -> np.ndarray:
    """Output times: an even grid over the whole period, plus detail during and after each dose.

    About 700 even points; each dose event adds points through its infusion and log-spaced
    points from 1 min to 12 h after it (fewer per dose when there are many doses).
    """
    pts = [np.linspace(0.0, end_h, int(min(max(end_h / 0.25, 2), 700)) + 1)]
    per_dose = int(np.clip(3000 // max(len(events), 1), 8, 60))
    for ev in events:
        start, stop = ev.time_h, ev.time_h + ev.duration_h
        n_inf = 2 if ev.duration_h <= 0 else int(np.clip(ev.duration_h / (2 / 60), 2, per_dose // 2))
        pts.append(np.linspace(start, stop, n_inf))
        pts.append(stop + np.geomspace(1 / 60, 12.0, per_dose - per_dose // 4))
    grid = np.round(np.concatenate(pts), 9)
    return np.unique(grid[(grid >= 0) & (grid <= end_h)])


def _clean(values: np.ndarray) -> list[float | None]:
    """Floats with 7 significant digits; NaN and infinities as null (JSON has neither)."""
    return [float(f"{v:.7g}") if math.isfinite(v) else None for v in np.asarray(values, dtype=float).tolist()]


def prepare(data: Any, limits: Limits) -> tuple[SimulateRequest, Model, list[Dose], np.ndarray, list[DoseEvent],
                                                np.ndarray]:
    """Check a simulate request and set it up: (request, model, doses, params, events, times)."""
    req: SimulateRequest = validate_model(SimulateRequest, data)  # structure first (cheap), then limits
    if not (math.isfinite(req.days) and req.days > 0):
        raise UserError("days", f"must be a positive number of days, e.g. 14; got {req.days:g}")
    if req.days > limits.max_days:
        raise limit_error("days", f"{req.days:g} days; at most {limits.max_days:g} days per simulation")
    check_regimen_raw(data["regimen"] if "regimen" in data else [], "regimen", req.days * 24.0, limits)
    get_hypothesis(req.hypothesis)
    end_h = req.days * 24.0
    doses = regimen_doses(req.regimen, end_h, species=req.species)
    check_doses(doses, "regimen", limits)
    weight, cov = patient_covariates(req.patient, req.species)
    for d in doses:  # a dose in mg against this patient's weight
        check_dose(d.drug, d.route, req.species, d.amount_mg, None, f"{d.field}.dose", weight)
    drugs_routes = frozenset((d.drug, d.route) for d in doses) or frozenset({("ketamine", "iv")})
    model = build_model(req.species, drugs_routes, req.hypothesis, req.layers)
    if req.outputs is not None:
        unknown = [o for o in req.outputs if o not in model.outputs]
        if unknown:
            i = req.outputs.index(unknown[0])
            raise UserError(f"outputs[{i}]", f"unknown output {unknown[0]!r}; this model has "
                                             f"{', '.join(model.outputs)}")
    params = individual_parameters(model, None, {k: v for k, v in cov.items() if k in model.param_index})
    events = [ev for d in doses for ev in dose_events(d, weight)]
    return req, model, doses, params, events, time_grid(events, end_h)


def run(data: Any, limits: Limits) -> dict[str, Any]:
    """The whole simulate request: check, simulate, and shape the answer."""
    from ketasim.model.errors import SolverError

    req, model, doses, params, events, times = prepare(data, limits)
    try:
        outputs, engine = api_engine(model, events, params, times)
    except SolverError as exc:
        raise ApiError.one(422, ["body"], f"the solver failed for this input: {exc}", "solver_error") from None
    names = req.outputs if req.outputs is not None else list(model.outputs)
    extra = _posterior_bands(req, model, events, times, names) if req.posterior is not None else {}
    return {
        "times_h": _clean(times),
        "series": {n: _clean(outputs[n]) for n in names},
        "outputs": {n: {"unit": model.outputs[n].unit, "layer": model.outputs[n].layer,
                        "description": model.outputs[n].description} for n in names},
        "hypothesis": req.hypothesis,
        "species": req.species,
        "doses": [{"drug": ev.label, "time_h": ev.time_h, "duration_h": ev.duration_h} for ev in events],
        "engine": engine,
        **extra,
    }


def _posterior_bands(req: SimulateRequest, model: Model, events: list[DoseEvent], times: np.ndarray,
                     names: list[str]) -> dict[str, Any]:
    """`bands` and `posterior` of a request with a shipped posterior: the typical patient over its draws."""
    from ketasim.model.errors import SolverError
    from ketasim.studies.calibrate.posterior import shipped
    from ketasim.studies.single_posterior import bands, posterior_parameters
    from ketasim.studies.trial.posterior import trial_posterior

    post = trial_posterior(shipped(str(req.posterior)), model, req.draws)
    _, cov = patient_covariates(req.patient, req.species)
    params = posterior_parameters(model, post, cov, 1, 0)
    try:
        runs = [api_engine(model, events, params[:, j], times)[0] for j in range(params.shape[1])]
    except SolverError as exc:
        raise ApiError.one(422, ["body", "posterior"], f"the solver failed for a posterior draw: {exc}",
                           "solver_error") from None
    series = {n: np.array([r[n] for r in runs]) for n in names}
    result = bands(series, post.draws, 1)
    return {"bands": {n: {k: _clean(v) for k, v in b.items()} for n, b in result.items()},
            "posterior": {"name": post.name, "draws": post.draws, "sha256": post.sha256}}
