"""Multi-start Levenberg-Marquardt in which every start advances together.

Each iteration makes ONE call to `residuals` with the trial point of every active start and its
forward-difference neighbours (one per free parameter), so a batched simulator (the fast engine)
integrates all starts x all subjects x all Jacobian columns at once. Steps are projected onto
the bounds. The result keeps each start's Jacobian for the Fisher information and profiles.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

Residuals = Callable[[np.ndarray], np.ndarray]


@dataclass
class LMResult:
    """Per start: final point (log scale), cost (sum of squares), residuals and Jacobian."""

    x: np.ndarray  # (S, k)
    cost: np.ndarray  # (S,)
    resid: np.ndarray  # (S, m)
    jac: np.ndarray  # (S, m, k)
    iterations: np.ndarray  # (S,)
    converged: np.ndarray  # (S,) bool
    calls: int

    @property
    def best(self) -> int:
        return int(np.argmin(np.where(np.isfinite(self.cost), self.cost, np.inf)))


def batched_lm(
    residuals: Residuals,
    x0: np.ndarray,
    lo: np.ndarray,
    hi: np.ndarray,
    free: np.ndarray | None = None,
    max_iter: int = 40,
    h: float = 1e-3,
    ftol: float = 1e-7,
    xtol: float = 1e-6,
) -> LMResult:
    """Minimise sum(residuals(x)**2) from every row of `x0` (S, k) within [lo, hi] (k,).

    `residuals` maps (N, k) points to (N, m) residuals (non-finite = failed). `free` (S, k) marks
    the parameters each start may move (profiles fix one). `h` is the forward-difference step.
    """
    x0 = np.clip(np.asarray(x0, float), lo, hi)
    n_s, k = x0.shape
    free = np.ones((n_s, k), bool) if free is None else np.asarray(free, bool)
    x, trial = x0.copy(), x0.copy()
    cost = np.full(n_s, np.inf)
    lam = np.full(n_s, 1e-2)
    resid: np.ndarray | None = None
    jac: np.ndarray | None = None
    have = np.zeros(n_s, bool)
    done = np.zeros(n_s, bool)
    conv = np.zeros(n_s, bool)
    iters = np.zeros(n_s, int)
    calls = 0
    for _ in range(max_iter):
        act = np.flatnonzero(~done)
        if act.size == 0:
            break
        rows, layout = [], []
        for s in act:
            cols = np.flatnonzero(free[s])
            rows.append(trial[s])
            for j in cols:
                xp = trial[s].copy()
                # step inward at the upper bound so the neighbour stays feasible
                xp[j] += h if xp[j] + h <= hi[j] else -h
                rows.append(xp)
            layout.append((s, cols))
        r_all = np.asarray(residuals(np.array(rows)), float)
        calls += 1
        if resid is None:
            resid = np.full((n_s, r_all.shape[1]), np.nan)
            jac = np.zeros((n_s, r_all.shape[1], k))
        assert jac is not None
        pos = 0
        for s, cols in layout:
            r0 = r_all[pos]
            jt = np.zeros((r0.size, k))
            for c, j in enumerate(cols):
                step = rows[pos + 1 + c][j] - trial[s][j]
                jt[:, j] = (r_all[pos + 1 + c] - r0) / step
            pos += 1 + len(cols)
            iters[s] += 1
            c_new = float(r0 @ r0) if np.all(np.isfinite(r0)) and np.all(np.isfinite(jt)) else np.inf
            if c_new < cost[s]:
                gain = cost[s] - c_new
                x[s], cost[s], resid[s], jac[s], have[s] = trial[s], c_new, r0, jt, True
                lam[s] = max(lam[s] / 3.0, 1e-9)
                if np.isfinite(gain) and gain <= ftol * (1.0 + c_new):
                    done[s] = conv[s] = True
            else:
                lam[s] *= 4.0
                if lam[s] > 1e8 or not have[s]:
                    done[s] = True
                    conv[s] = have[s] and bool(lam[s] > 1e8)
        for s in np.flatnonzero(~done):
            jt, r0 = jac[s], resid[s]
            a = jt.T @ jt
            g = jt.T @ r0
            fr = free[s]
            step = np.zeros(k)
            af = a[np.ix_(fr, fr)]
            damp = lam[s] * (np.diag(af) + 1e-12)
            try:
                step[fr] = np.linalg.solve(af + np.diag(damp), -g[fr])
            except np.linalg.LinAlgError:
                done[s] = True
                continue
            new = np.clip(x[s] + step, lo, hi)
            if np.max(np.abs(new - x[s])) < xtol:
                done[s] = conv[s] = True
            trial[s] = new
    assert resid is not None and jac is not None
    return LMResult(x, cost, resid, jac, iters, conv, calls)
