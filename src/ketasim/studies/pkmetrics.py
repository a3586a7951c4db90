"""Non-compartmental PK metrics from a simulated (or observed) concentration-time curve.

Cmax, Tmax, AUC from time zero to the last quantifiable point (linear-up/log-down trapezoids),
AUC extrapolated to infinity with the terminal rate constant lambda_z, and the terminal
half-life ln 2 / lambda_z. lambda_z comes from a log-linear least-squares fit of the terminal
points, chosen as in standard NCA software (WinNonlin, PKNCA): of all runs of the last >= 3
points after Cmax, the longest whose adjusted R^2 is within `r2_tolerance` of the best one
(1e-6 rather than NCA software's 1e-4: simulated curves are dense and noise-free, and the
looser tolerance lets curvature of an earlier phase bias lambda_z by about 0.3%).
The same functions serve the CLI table, the calibration tests and docs/exposure.md.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass

import numpy as np

#: analytes reported by `ketasim simulate` (model output name -> label)
ANALYTES: dict[str, str] = {
    "plasma_ketamine": "ketamine (S+R)",
    "plasma_s_ketamine": "S-ketamine",
    "plasma_r_ketamine": "R-ketamine",
    "plasma_norketamine": "norketamine",
    "plasma_hnk": "HNK (all)",
    "plasma_2r6r_hnk": "(2R,6R)-HNK",
    "plasma_dhnk": "DHNK",
}


@dataclass(frozen=True)
class PKMetrics:
    """NCA metrics of one analyte; concentrations in the curve's unit, times in hours.

    Values that cannot be estimated (no quantifiable points, no terminal phase) are NaN.
    """

    cmax: float
    tmax_h: float
    auc_last: float
    auc_inf: float
    lambda_z: float
    half_life_h: float
    t_last_h: float
    n_terminal: int

    def as_dict(self) -> dict[str, float]:
        """The metrics as a plain dict (for tables and JSON)."""
        return {k: float(v) for k, v in asdict(self).items()}


def _arrays(t: Sequence[float] | np.ndarray, c: Sequence[float] | np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    t = np.asarray(t, dtype=float)
    c = np.asarray(c, dtype=float)
    if t.ndim != 1 or t.shape != c.shape:
        raise ValueError("times and concentrations must be 1-D arrays of equal length")
    if t.size and np.any(np.diff(t) < 0):
        raise ValueError("times must be sorted")
    return t, c


def cmax_tmax(t: Sequence[float] | np.ndarray, c: Sequence[float] | np.ndarray) -> tuple[float, float]:
    """Peak concentration and the first time it is reached."""
    t, c = _arrays(t, c)
    if t.size == 0:
        return math.nan, math.nan
    i = int(np.argmax(c))
    return float(c[i]), float(t[i])


def auc(t: Sequence[float] | np.ndarray, c: Sequence[float] | np.ndarray, log_down: bool = True) -> float:
    """Area under the curve by trapezoids: linear while rising, logarithmic while falling.

    The log-down rule is exact for mono-exponential decline, so dense simulated curves and
    sparse sampled ones give the same area.
    """
    t, c = _arrays(t, c)
    if t.size < 2:
        return 0.0
    dt = np.diff(t)
    c0, c1 = c[:-1], c[1:]
    lin = 0.5 * (c0 + c1) * dt
    if not log_down:
        return float(lin.sum())
    use_log = (c1 < c0) & (c1 > 0) & (c0 > 0)
    with np.errstate(divide="ignore", invalid="ignore"):
        logv = (c0 - c1) * dt / np.log(c0 / c1)
    return float(np.where(use_log, logv, lin).sum())


def aumc(t: Sequence[float] | np.ndarray, c: Sequence[float] | np.ndarray) -> float:
    """Area under the first-moment curve t*c (linear trapezoids; use a dense grid)."""
    t, c = _arrays(t, c)
    return auc(t, t * c, log_down=False)


def lambda_z(
    t: Sequence[float] | np.ndarray,
    c: Sequence[float] | np.ndarray,
    min_points: int = 3,
    r2_tolerance: float = 1e-6,
    start_h: float | None = None,
) -> tuple[float, int]:
    """Terminal rate constant (1/h) and the number of points used; (NaN, 0) if none.

    Points must be positive and after the peak (of the points at or after `start_h`, e.g. the last
    dose of a repeated regimen). Every run of the last
    k >= `min_points` such points is fitted by log-linear least squares; the longest run whose
    adjusted R^2 is within `r2_tolerance` of the best is kept. A non-negative slope gives NaN.
    """
    t, c = _arrays(t, c)
    if t.size == 0:
        return math.nan, 0
    after = np.ones(t.size, dtype=bool) if start_h is None else t >= start_h
    if not np.any(after):
        return math.nan, 0
    i_max = int(np.argmax(np.where(after, c, -np.inf)))
    keep = (c > 0) & after & (np.arange(t.size) > i_max)
    # the terminal run must be contiguous up to the last positive point
    idx = np.flatnonzero(keep)
    if idx.size < min_points:
        return math.nan, 0
    breaks = np.flatnonzero(np.diff(idx) != 1)
    if breaks.size:
        idx = idx[breaks[-1] + 1:]
    if idx.size < min_points:
        return math.nan, 0
    x = t[idx][::-1]
    y = np.log(c[idx])[::-1]  # reversed: suffixes of the curve are prefixes here
    n = np.arange(1, x.size + 1, dtype=float)
    sx, sy = np.cumsum(x), np.cumsum(y)
    sxx, syy, sxy = np.cumsum(x * x), np.cumsum(y * y), np.cumsum(x * y)
    with np.errstate(divide="ignore", invalid="ignore"):
        vxx = sxx - sx * sx / n
        vyy = syy - sy * sy / n
        vxy = sxy - sx * sy / n
        slope = vxy / vxx
        r2 = np.where(vyy > 0, vxy * vxy / (vxx * vyy), 1.0)
        adj = 1.0 - (1.0 - r2) * (n - 1) / (n - 2)
    valid = (n >= min_points) & np.isfinite(slope) & (vxx > 0)
    if not np.any(valid):
        return math.nan, 0
    best = np.max(adj[valid])
    ok = np.flatnonzero(valid & (adj >= best - r2_tolerance))
    k = int(ok[-1])
    lz = -float(slope[k])
    if not lz > 0:
        return math.nan, 0
    return lz, k + 1


def pk_metrics(
    t: Sequence[float] | np.ndarray,
    c: Sequence[float] | np.ndarray,
    lloq: float = 0.0,
    start_h: float | None = None,
    min_points: int = 3,
) -> PKMetrics:
    """All NCA metrics of one curve; points at or below `lloq` count as not quantifiable.

    AUC0-last runs to the last quantifiable point; AUC0-inf adds C_last/lambda_z. `start_h`
    restricts the terminal fit to t >= start_h (e.g. to read a late, low-concentration tail).
    """
    t, c = _arrays(t, c)
    quant = c > lloq
    cmax, tmax = cmax_tmax(t, c)
    if not np.any(quant):
        return PKMetrics(cmax, tmax, 0.0, math.nan, math.nan, math.nan, math.nan, 0)
    last = int(np.flatnonzero(quant)[-1])
    tq, cq = t[: last + 1], np.where(quant[: last + 1], c[: last + 1], 0.0)
    auc_last = auc(tq, cq)
    lz, n = lambda_z(tq, cq, min_points=min_points, start_h=start_h)
    auc_inf = auc_last + float(cq[-1]) / lz if n else math.nan
    half = math.log(2.0) / lz if n else math.nan
    return PKMetrics(cmax, tmax, auc_last, auc_inf, lz, half, float(tq[-1]), n)


def trajectory_metrics(
    times_h: Sequence[float] | np.ndarray,
    outputs: Mapping[str, Sequence[float] | np.ndarray],
    analytes: Iterable[str] = ANALYTES,
    lloq: float = 0.0,
) -> dict[str, PKMetrics]:
    """Metrics per analyte present in `outputs` (model output name -> PKMetrics)."""
    return {a: pk_metrics(times_h, outputs[a], lloq=lloq) for a in analytes if a in outputs}


def biexponential_fit(
    t: Sequence[float] | np.ndarray, c: Sequence[float] | np.ndarray
) -> tuple[float, float, float, float]:
    """Fit c = A exp(-alpha t) + B exp(-beta t) (alpha > beta) on a log scale; returns (A, alpha, B, beta).

    This is how two-compartment analyses report a "redistribution" (ln 2/alpha) and an
    "elimination" (ln 2/beta) half-life. Starting values come from curve stripping.
    """
    from scipy.optimize import least_squares

    t, c = _arrays(t, c)
    keep = c > 0
    t, c = t[keep], c[keep]
    if t.size < 5:
        raise ValueError("a biexponential fit needs at least 5 positive points")
    t0 = t - t[0]
    half = t0 >= t0[-1] / 2
    beta0, logb0 = np.polyfit(t0[half], np.log(c[half]), 1)
    resid = c - np.exp(logb0 + beta0 * t0)
    early = (resid > 0) & (t0 <= t0[-1] / 4)
    if early.sum() >= 2:
        alpha0, loga0 = np.polyfit(t0[early], np.log(resid[early]), 1)
    else:
        alpha0, loga0 = 10 * beta0, np.log(c[0] / 2)
    x0 = np.array([loga0, np.log(max(-alpha0, 2 * -beta0, 1e-6)), logb0, np.log(max(-beta0, 1e-6))])

    def residuals(x: np.ndarray) -> np.ndarray:
        a, al, b, be = np.exp(x)
        return np.log(a * np.exp(-al * t0) + b * np.exp(-be * t0)) - np.log(c)

    sol = least_squares(residuals, x0, method="lm", xtol=1e-12, ftol=1e-12)
    a, al, b, be = np.exp(sol.x)
    if al < be:
        a, al, b, be = b, be, a, al
    # refer the amplitudes to absolute time
    return float(a * np.exp(al * t[0])), float(al), float(b * np.exp(be * t[0])), float(be)
