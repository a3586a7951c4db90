"""Fit parameters to the calibration targets: minimise the scorecard's distances.

Objective (documented in docs/fit.md): J(theta) = sum over the selected targets of d_t(theta)^2,
where d_t is the scorecard's distance of target t (0 inside the target's range, else the distance
outside the range in units of the range's width; an evaluator that fails counts as 10). The
estimated parameters replace the typical values in every typical-subject simulation of the
targets (Context.run). Derivative-free: bounded Brent for one parameter, else Nelder-Mead on
the log scale from the best of the seeded Latin-hypercube starts. The search stops as soon as
J = 0 (every selected target passes). No confidence intervals: ranges are not likelihoods.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np
from scipy.optimize import minimize, minimize_scalar

from ketasim.studies.fit.datafit import Estimate, FitResult
from ketasim.studies.fit.params import FitParam, latin_hypercube
from ketasim.studies.validation.core import Context, Sim
from ketasim.studies.validation.scorecard import Scorecard, evaluate, select_targets

FAILED_DISTANCE = 10.0


class FitContext(Context):
    """A validate context whose typical-subject runs use the fitted parameter values."""

    def __init__(self, values: Mapping[str, float], **kw: Any) -> None:
        super().__init__(**kw)
        self.values = dict(values)

    def run(self, species: str, doses: Sequence, times: Sequence[float],  # type: ignore[override]
            overrides: Mapping[str, float] | None = None, **kw: Any) -> Sim:
        model = self.model(species, frozenset((d.drug, d.route) for d in doses) | frozenset(kw.get("extra_drugs", ())),
                           kw.get("layers", "all"))
        merged = {k: v for k, v in self.values.items() if k in model.param_index}
        merged.update(overrides or {})
        return super().run(species, doses, times, merged, **kw)


def score(values: Mapping[str, float], only: str, hypothesis: str = "default", n_patients: int = 60,
          seed: int = 20240611) -> Scorecard:
    """The scorecard of the targets matching `only` with parameters set to `values` (published units)."""
    from ketasim.studies.validation import evaluators  # noqa: F401  (registers every evaluator)

    ctx = FitContext(values, hypothesis=hypothesis, n_patients=n_patients, seed=seed)
    results = [evaluate(ctx, t) for t in select_targets(only, use="training")]  # never fit to test targets
    return Scorecard(hypothesis, results, n_patients, seed)


def objective(card: Scorecard) -> float:
    """Sum of squared scorecard distances (failed evaluations count as FAILED_DISTANCE)."""
    total = 0.0
    for r in card.results:
        d = r.distance if r.distance is not None and math.isfinite(r.distance) else (
            0.0 if r.passed else FAILED_DISTANCE)
        total += min(d, FAILED_DISTANCE) ** 2
    return total


class _DoneError(Exception):
    pass


def fit_targets(params: list[FitParam], only: str, hypothesis: str = "default", n_starts: int = 4,
                seed: int = 0, max_evals: int = 60, progress: Callable[[str], None] | None = None) -> FitResult:
    """Fit `params` to the targets matching `only`; returns estimates and scores before/after.

    `progress` hears about every evaluation of the targets (at most `max_evals`).
    """
    cache: dict[tuple, float] = {}
    best: dict[str, Any] = {"J": math.inf, "x": None}

    def j_of(x: np.ndarray) -> float:
        x = np.clip(x, lo, hi)
        key = tuple(np.round(x, 10))
        if key not in cache:
            vals = {p.name: float(math.exp(v)) for p, v in zip(params, x, strict=True)}
            cache[key] = objective(score(vals, only, hypothesis))
            if progress is not None:
                progress(f"fit: evaluation {len(cache)} of at most {max_evals}: objective {cache[key]:.4g}")
            if cache[key] < best["J"]:
                best.update(J=cache[key], x=x.copy())
            if cache[key] == 0.0:
                raise _DoneError
            if len(cache) >= max_evals:
                raise _DoneError
        return cache[key]

    lo = np.array([p.log_bounds[0] for p in params])
    hi = np.array([p.log_bounds[1] for p in params])
    nominal = {p.name: p.nominal for p in params}
    before = score(nominal, only, hypothesis)
    starts = latin_hypercube(params, n_starts if len(params) > 1 else 1, seed)
    try:
        if len(params) == 1:
            j_of(starts[0])
            minimize_scalar(lambda v: j_of(np.array([v])), bounds=(lo[0], hi[0]), method="bounded",
                            options={"xatol": 1e-3})
        else:
            for s in starts:
                j_of(s)
            order = sorted(cache.items(), key=lambda kv: kv[1])
            minimize(lambda v: j_of(v), np.array(order[0][0]), method="Nelder-Mead",
                     options={"xatol": 1e-3, "fatol": 1e-6, "initial_simplex": None})
    except _DoneError:
        pass
    xbest = best["x"]
    values = {p.name: float(math.exp(v)) for p, v in zip(params, xbest, strict=True)}
    after = score(values, only, hypothesis)
    ests = [Estimate(p.name, p.unit, values[p.name], math.nan, math.nan, p.nominal, p.low, p.high)
            for p in params]
    details = {"targets": [r.id for r in after.results], "evaluations": len(cache),
               "before": {"passed": before.passed, "total": before.total, "objective": objective(before),
                          "distances": {r.id: r.distance for r in before.results}},
               "after": {"passed": after.passed, "total": after.total, "objective": objective(after),
                         "distances": {r.id: r.distance for r in after.results}}}
    return FitResult("targets", ests, objective(after), "sum of squared scorecard distances",
                     "none (target ranges are not likelihoods)", len(starts), int(best["J"] == 0.0), len(cache),
                     details)
