"""Maximum-likelihood fit of model parameters to observed data, on the batched fast engine.

Objective: -2 log-likelihood of the observations under the combined residual error model
(ketasim.studies.fit.residual), with the estimated parameters on a log scale and every other parameter
at its typical value (weight as each subject's covariate; no random effects: a naive pooled
fit). Multi-start Levenberg-Marquardt from a seeded Latin hypercube (ketasim.studies.fit.optimize):
every start, subject and Jacobian column goes into one simulate_batch call per iteration.

Uncertainty (`ci`):
* "fisher": Wald intervals from the Fisher information J'J of the weighted residuals at the
  optimum (Gauss-Newton), computed on the log scale: exp(log(est) +- 1.96 SE);
* "profile": profile likelihood: each parameter fixed on a grid, the others re-optimised
  (all grid points batched), 95% CI where -2LL rises by 3.84 (chi-square, 1 df).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from ketasim.model.description import Model
from ketasim.runtime.engines.fast import simulate_batch
from ketasim.studies.fit.data import Dataset
from ketasim.studies.fit.optimize import batched_lm
from ketasim.studies.fit.params import FitParam, latin_hypercube
from ketasim.studies.fit.residual import ErrorModel, augmented_residuals, minus_two_log_lik

CHI2_95_1DF = 3.841458820694124
Z95 = 1.959963984540054


@dataclass
class Estimate:
    """One parameter's estimate and 95% interval, in its published unit."""

    name: str
    unit: str
    estimate: float
    ci_low: float
    ci_high: float
    nominal: float
    low: float
    high: float
    se_log: float = math.nan


@dataclass
class FitResult:
    """Everything a fit reports: estimates, objective, method and per-observation predictions."""

    kind: str  # "data" or "targets"
    estimates: list[Estimate]
    objective: float
    objective_name: str
    ci_method: str
    n_starts: int
    n_converged: int
    calls: int
    details: dict = field(default_factory=dict)
    observed: np.ndarray | None = None
    predicted: np.ndarray | None = None
    obs_outputs: list[str] = field(default_factory=list)


class DataProblem:
    """Predictions and residuals of a dataset for batches of candidate parameter vectors."""

    def __init__(self, model: Model, data: Dataset, params: list[FitParam], errors: dict[str, ErrorModel],
                 rtol: float = 1e-8, atol: float = 1e-10) -> None:
        self.model, self.data, self.params, self.errors = model, data, params, errors
        self.rtol, self.atol = rtol, atol
        unknown = sorted(set(data.output_names) - set(model.outputs))
        if unknown:
            from ketasim.model.errors import UserError

            raise UserError("output", f"unknown model output(s) {', '.join(unknown)}; choose from "
                                      f"{', '.join(o for o in model.outputs if o.startswith(('plasma', 'brain')))}")
        self.times = np.unique(np.concatenate([s.times_h for s in data.subjects]))
        self.outputs = data.output_names
        base = np.array(model.default_parameters, float)
        cols, self.events = [], []
        wt = model.param_index.get("WT")
        for s in data.subjects:
            p = base.copy()
            if wt is not None:
                p[wt] = model.param("WT").internal(s.weight_kg)
            cols.append(p)
            self.events.append(s.events())
        self.base = np.array(cols).T  # (n_params, n_subjects)
        # gather indices: observation o -> (subject, output, time index)
        subj, out, tix = [], [], []
        for i, s in enumerate(data.subjects):
            subj += [i] * s.times_h.size
            out += [self.outputs.index(o) for o in s.outputs]
            tix += list(np.searchsorted(self.times, s.times_h))
        self.subj, self.out, self.tix = np.array(subj), np.array(out), np.array(tix)
        self.y = np.concatenate([s.values for s in data.subjects])
        self.add = np.array([errors[self.outputs[o]].add for o in self.out])
        self.prop = np.array([errors[self.outputs[o]].prop for o in self.out])
        self.rows = np.array([model.param_index[p.name] for p in params])
        self.factor = np.array([p.factor for p in params])
        self.calls = 0

    def predict(self, x: np.ndarray) -> np.ndarray:
        """Predictions (N, n_obs) for log-parameter rows x (N, k); failed subjects give NaN."""
        x = np.atleast_2d(x)
        n, m = x.shape[0], self.base.shape[1]
        p = np.tile(self.base, (1, n))
        p[self.rows] = np.repeat(np.exp(x).T * self.factor[:, None], m, axis=1)
        res = simulate_batch(self.model, self.events * n, p, self.times, rtol=self.rtol, atol=self.atol,
                             keep_states=False, output_names=self.outputs)
        self.calls += 1
        stack = np.stack([res.outputs[o] for o in self.outputs])  # (n_out, N*m, n_times)
        stack[:, res.failed] = np.nan
        cand = np.arange(n)[:, None] * m + self.subj[None, :]
        return stack[self.out[None, :], cand, self.tix[None, :]]

    def sd(self, f: np.ndarray) -> np.ndarray:
        return np.sqrt(self.add**2 + (self.prop * f) ** 2)

    def residuals(self, x: np.ndarray) -> np.ndarray:
        f = self.predict(x)
        return augmented_residuals(self.y, f, self.sd(f), self.add)

    def m2ll(self, f: np.ndarray) -> np.ndarray:
        return minus_two_log_lik(self.y, f, self.sd(f))


def _bounds(params: list[FitParam]) -> tuple[np.ndarray, np.ndarray]:
    return np.array([p.log_bounds[0] for p in params]), np.array([p.log_bounds[1] for p in params])


def _profile(problem: DataProblem, xbest: np.ndarray, cbest: float, se: np.ndarray,
             n_grid: int) -> list[tuple[float, float, list[tuple[float, float]]]]:
    """(low, high, [(value, delta -2LL)]) per parameter, in log space, all grids in one batched LM."""
    lo, hi = _bounds(problem.params)
    k = xbest.size
    starts, free, owner = [], [], []
    for j in range(k):
        width = min(max(4.0 * se[j] if np.isfinite(se[j]) else 1.0, 0.05), 3.0)
        grid = np.linspace(max(lo[j], xbest[j] - width), min(hi[j], xbest[j] + width), n_grid)
        for g in grid:
            x = xbest.copy()
            x[j] = g
            mask = np.ones(k, bool)
            mask[j] = False
            starts.append(x)
            free.append(mask)
            owner.append(j)
    res = batched_lm(problem.residuals, np.array(starts), lo, hi, np.array(free), max_iter=30)
    out = []
    owner_a = np.array(owner)
    for j in range(k):
        sel = np.flatnonzero(owner_a == j)
        xs = res.x[sel, j]
        d = res.cost[sel] - cbest
        order = np.argsort(xs)
        xs, d = xs[order], d[order]
        out.append((_crossing(xs, d, xbest[j], -1, lo[j]), _crossing(xs, d, xbest[j], 1, hi[j]),
                    [(float(a), float(b)) for a, b in zip(xs, d, strict=True)]))
    return out


def _crossing(xs: np.ndarray, d: np.ndarray, x0: float, side: int, bound: float) -> float:
    """Where the profile rises through the chi-square threshold on one side of x0 (bound if never)."""
    pts = [(x, v) for x, v in zip(xs, d, strict=True) if (x - x0) * side >= 0]
    pts.sort(key=lambda t: abs(t[0] - x0))
    prev = (x0, 0.0)
    for x, v in pts:
        if v >= CHI2_95_1DF:
            x1, v1 = prev
            return float(x1 + (CHI2_95_1DF - v1) * (x - x1) / (v - v1)) if v != v1 else float(x)
        prev = (x, max(v, 0.0))
    return float(bound)


def fit_data(problem: DataProblem, n_starts: int = 8, seed: int = 0, ci: str = "fisher",
             n_grid: int = 9, progress: Callable[[str], None] | None = None) -> FitResult:
    """Fit `problem`'s parameters by maximum likelihood; intervals by `ci` ("fisher" or "profile").

    `progress` hears about every batch of model evaluations (the fit's unit of work).
    """
    params = problem.params
    lo, hi = _bounds(params)
    x0 = latin_hypercube(params, n_starts, seed)
    calls = [0]

    def residuals(x: np.ndarray) -> np.ndarray:
        calls[0] += 1
        if progress is not None:
            progress(f"fit: evaluation batch {calls[0]} ({x.shape[0]} parameter sets)")
        return problem.residuals(x)

    lm = batched_lm(residuals, x0, lo, hi)
    b = lm.best
    xbest = lm.x[b]
    n_obs = problem.y.size
    j1 = lm.jac[b][:n_obs]
    fim = j1.T @ j1
    try:
        cov = np.linalg.inv(fim)
        se = np.sqrt(np.clip(np.diag(cov), 0, None))
    except np.linalg.LinAlgError:
        cov, se = np.full((len(params),) * 2, np.nan), np.full(len(params), np.nan)
    fbest = problem.predict(xbest[None, :])[0]
    m2ll = float(problem.m2ll(fbest[None, :])[0])
    details: dict = {"minus_two_log_likelihood": m2ll, "aic": m2ll + 2 * len(params), "n_observations": n_obs,
                     "n_subjects": len(problem.data.subjects),
                     "starts": [{"start": [float(v) for v in np.exp(x0[s])], "end": [float(v) for v in
                                np.exp(lm.x[s])], "cost": float(lm.cost[s]), "converged": bool(lm.converged[s])}
                                for s in range(x0.shape[0])],
                     "error_model": {o: {"additive": e.add, "proportional": e.prop, "source": e.source}
                                     for o, e in problem.errors.items()},
                     "log_covariance": cov.tolist()}
    if ci == "profile":
        prof = _profile(problem, xbest, float(lm.cost[b]), se, n_grid)
        bounds_ci = [(math.exp(lo_), math.exp(hi_)) for lo_, hi_, _ in prof]
        details["profiles"] = {p.name: [(math.exp(x), dv) for x, dv in pr[2]] for p, pr in zip(params, prof,
                                                                                              strict=True)}
        method = "profile likelihood (-2LL rise 3.84, chi-square 1 df)"
    else:
        bounds_ci = [(math.exp(xbest[j] - Z95 * se[j]), math.exp(xbest[j] + Z95 * se[j])) for j in range(len(params))]
        method = "Fisher information J'J at the optimum (Wald, log scale)"
    ests = [Estimate(p.name, p.unit, float(math.exp(xbest[j])), bounds_ci[j][0], bounds_ci[j][1], p.nominal,
                     p.low, p.high, float(se[j])) for j, p in enumerate(params)]
    return FitResult("data", ests, m2ll, "-2 log-likelihood", method, x0.shape[0], int(lm.converged.sum()),
                     problem.calls, details, problem.y.copy(), fbest,
                     [problem.outputs[o] for o in problem.out])
