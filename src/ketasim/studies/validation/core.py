"""Shared machinery of the evaluators: results, pass-rule checks, and a cached simulation context.

An evaluator receives a `Context` (hypothesis, caches) and its `Target`, simulates what the
target's condition describes with the reference solver, and returns an `Outcome`. Simulations are
cached within one validate run, so targets that share a regimen (and the virtual populations of
the clinical targets) are simulated once.
"""

from __future__ import annotations

import math
import zlib
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from scipy.integrate import solve_ivp

from ketasim.model.codegen import compile_model
from ketasim.model.description import Model
from ketasim.model.species import REFERENCE_WEIGHT_KG
from ketasim.runtime.build import build_model
from ketasim.runtime.engines.reference import Trajectory, simulate_reference
from ketasim.runtime.regimen import Dose, DoseEvent, dose_events
from ketasim.studies.validation.series import (  # noqa: F401  (the evaluators' readouts, re-exported)
    auc,
    crossing_down,
    first_time,
    last_time,
    loglinear_half_life,
    peak,
    signed_extreme,
    trough,
)
from ketasim.studies.validation.targets import Target

#: solver tolerances of typical-subject runs (reference solver; populations use the fast engine)
RTOL, ATOL = 1e-8, 1e-10


class MissingOutputError(LookupError):
    """The model does not provide an output a target needs."""

    def __init__(self, name: str) -> None:
        self.name = name
        super().__init__(f"model lacks output {name}")


class MissingParameterError(LookupError):
    """The model does not provide a perturbation or covariate parameter a target needs."""

    def __init__(self, name: str) -> None:
        self.name = name
        super().__init__(f"model lacks parameter {name}")


class SimulationError(RuntimeError):
    """The model could not be simulated under a target's condition (a model problem, not the evaluator's)."""


@dataclass
class Checks:
    """Accumulates the conditions of a pass rule; the target passes when all hold."""

    items: list[tuple[str, bool, str]] = field(default_factory=list)
    distances: list[float] = field(default_factory=list)

    def inside(self, label: str, x: float, lo: float, hi: float, unit: str = "") -> bool:
        """x within [lo, hi] (NaN fails). Records a normalised distance outside the band."""
        ok = bool(np.isfinite(x) and lo <= x <= hi)
        width = max(hi - lo, 1e-12)
        dist = 0.0 if ok else (abs(x - (lo if x < lo else hi)) / width if np.isfinite(x) else math.inf)
        self.distances.append(dist)
        where = "in" if ok else "outside"
        self.items.append((label, ok, f"{label} {fmt(x)}{(' ' + unit) if unit else ''} {where} [{lo:g}, {hi:g}]"))
        return ok

    def near(self, label: str, x: float, target: float, tol: float, unit: str = "") -> bool:
        """|x - target| <= tol."""
        return self.inside(label, x, target - tol, target + tol, unit)

    def true(self, label: str, cond: bool, text: str) -> bool:
        """A qualitative condition; `text` states the requirement with the numbers that decide it."""
        ok = bool(cond)
        self.items.append((label, ok, text if ok else f"not met: {text}"))
        return ok

    @property
    def passed(self) -> bool:
        return bool(self.items) and all(ok for _, ok, _ in self.items)

    def detail(self) -> str:
        """The failing conditions (or, when all hold, every condition) with their numbers."""
        failing = [t for _, ok, t in self.items if not ok]
        if failing:
            return "FAILED: " + "; ".join(failing)
        return "; ".join(t for _, _, t in self.items)

    def outcome(self, simulated: Mapping[str, Any], note: str = "") -> Outcome:
        detail = self.detail() + (f" ({note})" if note else "")
        dist = max(self.distances) if self.distances else None
        return Outcome(dict(simulated), self.passed, detail, distance=dist)


@dataclass
class Outcome:
    """What an evaluator returns: the simulated numbers, pass/fail and a short reason."""

    simulated: dict[str, Any]
    passed: bool
    detail: str = ""
    expected: str | None = None
    distance: float | None = None


Evaluator = Callable[["Context", Target], Outcome]
EVALUATORS: dict[str, Evaluator] = {}


def evaluator(target_id: str) -> Callable[[Evaluator], Evaluator]:
    """Register the evaluator of one target id (exactly one per id)."""

    def wrap(fn: Evaluator) -> Evaluator:
        if target_id in EVALUATORS:
            raise ValueError(f"two evaluators for {target_id}")
        EVALUATORS[target_id] = fn
        return fn

    return wrap


def fmt(x: Any) -> str:
    """Compact number formatting for details and tables."""
    if isinstance(x, (bool, np.bool_)):
        return str(bool(x))
    if isinstance(x, (int, float, np.floating, np.integer)):
        x = float(x)
        if not np.isfinite(x):
            return str(x)
        if x == 0:
            return "0"
        if abs(x) >= 1000 or abs(x) < 0.01:
            return f"{x:.3g}"
        return f"{x:.3g}" if abs(x) < 10 else f"{x:.1f}"
    return str(x)


def stable_hash(*parts: Any) -> int:
    """A hash that is the same in every Python process (for random streams)."""
    return zlib.crc32(repr(parts).encode())


def single_threaded_blas() -> bool:
    """Limit the bundled OpenBLAS libraries of NumPy and SciPy to one thread (best effort).

    Radau's small dense products on long state vectors are many times slower with threaded BLAS
    on a busy machine (measured 5-7x on the population runs). Returns True if a limit was set.
    """
    import ctypes
    import glob
    import os

    import scipy

    done = False
    for pkg in (np, scipy):
        folder = os.path.join(os.path.dirname(os.path.dirname(pkg.__file__ or "")), f"{pkg.__name__}.libs")
        for path in glob.glob(os.path.join(folder, "lib*openblas*.so*")):
            try:
                lib = ctypes.CDLL(path)
            except OSError:
                continue
            for sym in ("scipy_openblas_set_num_threads64_", "scipy_openblas_set_num_threads",
                        "openblas_set_num_threads64_", "openblas_set_num_threads"):
                if hasattr(lib, sym):
                    getattr(lib, sym)(1)
                    done = True
                    break
    return done


# ---------------------------------------------------------------------------------------- runs
@dataclass(frozen=True)
class Sim:
    """One simulated subject: times (h from time zero), outputs, and the model it came from."""

    model: Model
    traj: Trajectory
    params: np.ndarray

    @property
    def t(self) -> np.ndarray:
        return self.traj.times_h

    def has(self, name: str) -> bool:
        return name in self.traj.outputs

    def out(self, name: str) -> np.ndarray:
        """The output series `name`; a missing output fails the target cleanly."""
        if name not in self.traj.outputs:
            raise MissingOutputError(name)
        return self.traj.outputs[name]

    def at(self, name: str, t_h: float) -> float:
        """Output `name` at time t_h (linear interpolation on the simulated grid)."""
        return float(np.interp(t_h, self.t, self.out(name)))

    def state(self, name: str) -> np.ndarray:
        return self.traj.state(self.model, name)

    def param(self, name: str) -> float:
        return float(self.params[self.model.param_index[name]])


def band(target: Target, key: str | None = None) -> tuple[float, float]:
    """The published acceptable band of `target` (of its item `key` when the range is a mapping)."""
    rng = target.range if key is None else target.range[key]
    lo, hi = rng
    return float(lo), float(hi)


def grid(*segments: tuple[float, float, int], extra: Iterable[float] = ()) -> tuple[float, ...]:
    """Sorted unique time grid from (start, stop, points) segments plus exact extra times."""
    pts = [np.linspace(a, b, n) for a, b, n in segments]
    return tuple(float(x) for x in np.unique(np.round(np.concatenate([*pts, np.asarray(list(extra), float)]), 10)))


def drugs_routes(doses: Sequence[Dose], extra: Iterable[tuple[str, str]] = ()) -> frozenset[tuple[str, str]]:
    """The (drug, route) pairs a model must cover for these doses."""
    pairs = {(d.drug, d.route) for d in doses} | set(extra)
    return frozenset(pairs)


def to_internal(model: Model, values: Mapping[str, float], strict: bool) -> dict[str, float]:
    """Convert parameter values given in their published units to internal units.

    `strict`: a name the model lacks raises MissingParameterError (perturbations the target needs);
    otherwise it is skipped (optional covariates).
    """
    out: dict[str, float] = {}
    for name, value in values.items():
        if name not in model.param_index:
            if strict:
                raise MissingParameterError(name)
            continue
        out[name] = model.param(name).internal(float(value))
    return out


class Context:
    """Hypothesis, seed, parameter values and caches of one validate run.

    `params` (published units) replace the typical values of every model the run simulates, so
    typical subjects, baths and virtual populations alike carry them while the evaluators stay unchanged:
    this is how a mutation test gives an evaluator a documented wrong value. A name no model of
    the run has is ignored by that model (it may belong to another species or layer set); a name
    written `species:name` (`mouse:CL_K_S`) acts on that species' models only. `typical` (internal
    units) are a posterior draw's typical values, applied to human models.
    """

    def __init__(self, hypothesis: str = "default", n_patients: int = 60, seed: int = 20240611,
                 typical: Mapping[str, float] | None = None, params: Mapping[str, float] | None = None) -> None:
        self.hypothesis = hypothesis
        self.n_patients = int(n_patients)
        self.seed = int(seed)
        #: typical values (internal units) replacing the model's in every human model: a posterior draw
        self.typical: dict[str, float] = dict(typical or {})
        self.params = {k: float(v) for k, v in (params or {}).items()}
        self._runs: dict[Any, Sim] = {}
        self._failed: dict[Any, Exception] = {}
        self.memo: dict[Any, Any] = {}
        self.progress: Callable[[str], None] | None = None

    def say(self, message: str) -> None:
        """Report progress of long simulations (the CLI prints it on stderr)."""
        if self.progress is not None:
            self.progress(message)

    # models ------------------------------------------------------------------------------
    def model(self, species: str, pairs: frozenset[tuple[str, str]], layers: str = "all") -> Model:
        hyp = self.hypothesis if layers == "all" else "default"
        return build_model(species, pairs, hyp, layers)

    def typical_for(self, model: Model) -> dict[str, float]:
        """The posterior typical values that apply to `model` (human models only; names it has)."""
        if model.meta.get("species") != "human":
            return {}
        return {k: v for k, v in self.typical.items() if k in model.param_index}

    def values_for(self, model: Model, species: str) -> dict[str, float]:
        """This run's parameter values that `model` (of `species`) has, in internal units.

        Posterior typical values first, then the run's `params`; they replace the typical values in
        the parameter vector (the compiled model is shared).
        """
        own = {k.partition(":")[2] or k: v for k, v in self.params.items()
               if ":" not in k or k.startswith(species + ":")}
        return {**self.typical_for(model), **to_internal(model, own, strict=False)}

    # one subject -------------------------------------------------------------------------
    def run(
        self,
        species: str,
        doses: Sequence[Dose],
        times: Sequence[float],
        overrides: Mapping[str, float] | None = None,
        covariates: Mapping[str, float] | None = None,
        layers: str = "all",
        extra_drugs: Iterable[tuple[str, str]] = (),
        rtol: float = RTOL,
        atol: float = ATOL,
    ) -> Sim:
        """Simulate the typical subject of `species` (no random effects) under `doses`.

        `overrides` are perturbation parameters (must exist in the model); `covariates` are
        patient covariates (published units; names the model lacks are skipped unless they are
        also needed as overrides). Both are converted to internal units.
        """
        overrides = dict(overrides or {})
        covariates = dict(covariates or {})
        key = ("run", species, tuple(doses), tuple(times), tuple(sorted(overrides.items())),
               tuple(sorted(covariates.items())), layers, tuple(sorted(extra_drugs)), rtol, atol)
        if key in self._runs:
            return self._runs[key]
        if key in self._failed:
            raise self._failed[key]
        try:
            model = self.model(species, drugs_routes(doses, extra_drugs), layers)
            values = {**self.values_for(model, species), **to_internal(model, covariates, strict=False),
                      **to_internal(model, overrides, strict=True)}
            params = np.array(model.with_params(**values))
            weight = covariates.get("WT", REFERENCE_WEIGHT_KG[species])
            events = events_for(doses, weight)
        except Exception as exc:
            self._failed[key] = exc
            raise
        try:
            traj = simulate_reference(model, events, params, np.asarray(times, float), rtol=rtol, atol=atol)
        except Exception as exc:
            what = ", ".join(f"{k}={v:g}" for k, v in overrides.items()) or "no perturbation"
            err = SimulationError(f"simulation failed ({species}, {what}): {type(exc).__name__}: {exc}")
            self._failed[key] = err
            raise err from exc
        sim = Sim(model, traj, params)
        self._runs[key] = sim
        return sim

    # in vitro ----------------------------------------------------------------------------
    def bath(
        self,
        species: str,
        conc_um: Mapping[str, float],
        duration_h: float = 1.0,
        washout_h: float = 0.0,
        overrides: Mapping[str, float] | None = None,
        drugs: Iterable[str] = (),
    ) -> tuple[dict[str, float], dict[str, float]]:
        """Clamp unbound brain concentrations (uM) of analytes and read the outputs.

        The tissue is held at the given unbound concentrations for `duration_h` (the analyte's
        plasma-brain rate set to 0 so the effect site stays where it is put), then, if
        `washout_h` > 0, all drug is removed and the tissue followed for `washout_h`.
        Returns (outputs at the end of exposure, outputs at the end of washout).
        """
        overrides = dict(overrides or {})
        key = ("bath", species, tuple(sorted(conc_um.items())), duration_h, washout_h,
               tuple(sorted(overrides.items())), tuple(sorted(drugs)))
        if key in self.memo:
            return self.memo[key]
        pairs = frozenset((d, "iv") for d in drugs)
        model = self.model(species, pairs)
        values = {**self.values_for(model, species), **to_internal(model, overrides, strict=True)}
        clamp_states: list[int] = []
        x_set: dict[int, float] = {}
        for analyte, c in conc_um.items():
            state, fu, ke0 = clamp_names(analyte)
            if state not in model.state_index:
                raise MissingParameterError(state)
            values[ke0] = 0.0
            idx = model.state_index[state]
            clamp_states.append(idx)
            x_set[idx] = float(c) / values.get(fu, model.param(fu).internal_value)
        p = np.array(model.with_params(**values))
        cm = compile_model(model)
        x0 = np.asarray(cm.initial(p), float)
        for i, v in x_set.items():
            x0[i] = v
        u = np.zeros(len(model.inputs))

        def integrate(x: np.ndarray, span: float) -> np.ndarray:
            sol = solve_ivp(lambda t, y: cm.rhs(t, y, p, u), (0.0, span), x, method="Radau",
                            rtol=1e-7, atol=1e-10)
            if sol.status != 0:
                raise RuntimeError(f"in-vitro bath integration failed: {sol.message}")
            return sol.y[:, -1]

        def read(x: np.ndarray) -> dict[str, float]:
            outs = cm.outputs(0.0, x, p)
            return {k: float(np.asarray(v)) for k, v in outs.items()}

        x1 = integrate(x0, duration_h)
        during = read(x1)
        after: dict[str, float] = {}
        if washout_h > 0:
            x2 = x1.copy()
            x2[clamp_states] = 0.0
            after = read(integrate(x2, washout_h))
        self.memo[key] = (during, after)
        return during, after

    def cached(self, key: Any, make: Callable[[], Any]) -> Any:
        """The value cached under `key` in this run, made by `make()` the first time."""
        if key not in self.memo:
            self.memo[key] = make()
        return self.memo[key]


def events_for(doses: Sequence[Dose], weight_kg: float) -> list[DoseEvent]:
    """Dose events of all regimen items for a subject of `weight_kg`.

    An empty regimen (vehicle, saline placebo) becomes one event of zero amount, so that the
    dose plan has a breakpoint at time zero.
    """
    events: list[DoseEvent] = []
    for d in doses:
        events.extend(dose_events(d, weight_kg))
    if not events:
        events.append(DoseEvent(0.0, 0.0, 0.0, (("loss_ket", "1"),), "placebo (nothing given)"))
    return events


#: analytes that can be clamped in a bath: effect-site state, unbound fraction, plasma-brain rate
_FAMILY = {"K": ("fu_K", "ke0_K"), "NK": ("fu_NK", "ke0_NK"), "HNK": ("fu_HNK", "ke0_HNK"),
           "DHNK": ("fu_HNK", "ke0_HNK")}


def clamp_names(analyte: str) -> tuple[str, str, str]:
    """(effect-site state, unbound-fraction parameter, ke0 parameter) of an analyte name."""
    base, _, enantiomer = analyte.rpartition("_")
    if base in _FAMILY and enantiomer in ("S", "R"):
        fu, ke0 = _FAMILY[base]
        return f"Ce_{analyte}", fu, ke0
    return f"Ce_{analyte}", f"fu_{analyte}", f"ke0_{analyte}"
