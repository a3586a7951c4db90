"""Statistics for trial endpoints: per-arm 95% CIs and two-arm comparisons (docs/statistics.md).

Per arm: t-interval for means, Wilson score interval for proportions, Kaplan-Meier median with
the Brookmeyer-Crowley interval (log-log transformed pointwise CI). Comparisons: ANCOVA on
baseline (scores), Welch's t-test (other continuous), Fisher's exact test with Newcombe's hybrid
score interval (proportions), log-rank test with a bootstrap interval (time to relapse).
Every function returns None where a quantity is undefined (e.g. fewer than two patients).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import stats

Z95 = float(stats.norm.ppf(0.975))


@dataclass(frozen=True)
class Estimate:
    """A value with its 95% CI (None where undefined) and the number of patients behind it."""

    value: float | None
    low: float | None
    high: float | None
    n: int


@dataclass(frozen=True)
class Comparison:
    """Difference (first arm minus second) with its 95% CI and a two-sided p-value."""

    difference: float | None
    low: float | None
    high: float | None
    p_value: float | None
    test: str
    note: str | None = None


def mean_ci(x: np.ndarray) -> Estimate:
    """Mean with a t-based 95% interval."""
    x = np.asarray(x, dtype=float)
    x = x[np.isfinite(x)]
    n = int(x.size)
    if n == 0:
        return Estimate(None, None, None, 0)
    m = float(x.mean())
    if n < 2:
        return Estimate(m, None, None, n)
    half = float(stats.t.ppf(0.975, n - 1) * x.std(ddof=1) / np.sqrt(n))
    return Estimate(m, m - half, m + half, n)


def wilson(k: int, n: int) -> Estimate:
    """Proportion k/n with the Wilson score 95% interval."""
    if n == 0:
        return Estimate(None, None, None, 0)
    lo, hi = _wilson_bounds(k, n)
    return Estimate(k / n, lo, hi, n)


def _wilson_bounds(k: int, n: int, z: float = Z95) -> tuple[float, float]:
    p = k / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    return float(max(0.0, centre - half)), float(min(1.0, centre + half))


def newcombe(k1: int, n1: int, k2: int, n2: int) -> tuple[float, float, float]:
    """Difference p1 - p2 with Newcombe's hybrid score interval (method 10, 1998)."""
    p1, p2 = k1 / n1, k2 / n2
    l1, u1 = _wilson_bounds(k1, n1)
    l2, u2 = _wilson_bounds(k2, n2)
    d = p1 - p2
    low = d - np.sqrt((p1 - l1) ** 2 + (u2 - p2) ** 2)
    high = d + np.sqrt((u1 - p1) ** 2 + (p2 - l2) ** 2)
    return float(d), float(low), float(high)


def compare_proportions(k1: int, n1: int, k2: int, n2: int) -> Comparison:
    """Fisher's exact test (two-sided) and Newcombe's interval for the difference."""
    if n1 == 0 or n2 == 0:
        return Comparison(None, None, None, None, "fisher")
    d, lo, hi = newcombe(k1, n1, k2, n2)
    p = float(stats.fisher_exact([[k1, n1 - k1], [k2, n2 - k2]]).pvalue)
    return Comparison(d, lo, hi, min(p, 1.0), "fisher")


def constant_arm(x: np.ndarray, y: np.ndarray, names: tuple[str, str]) -> Comparison | None:
    """"Not applicable" when an arm has no between-patient variance (e.g. a drug level in a placebo arm).

    A test against a constant is a one-sample test in disguise and gives p-values like 1e-40 that
    mean nothing clinically: the difference and Welch's interval are kept (the interval is the
    other arm's uncertainty), the p-value is None, with a note.
    """
    x, y = np.asarray(x, float), np.asarray(y, float)
    x, y = x[np.isfinite(x)], y[np.isfinite(y)]
    flat = [n for n, v in zip(names, (x, y), strict=True) if v.size > 1 and np.ptp(v) == 0]
    if not flat or x.size == 0 or y.size == 0:
        return None
    c = welch(x, y)
    value = float((x if flat[0] == names[0] else y)[0])
    return Comparison(c.difference, c.low, c.high, None, "not applicable",
                      f"not applicable: every patient in arm {' and '.join(flat)} has the same value "
                      f"({value:g}), so there is no variance to test against")


def welch(x: np.ndarray, y: np.ndarray) -> Comparison:
    """Welch's unequal-variance t-test and interval for mean(x) - mean(y)."""
    x, y = np.asarray(x, float), np.asarray(y, float)
    x, y = x[np.isfinite(x)], y[np.isfinite(y)]
    if x.size < 2 or y.size < 2:
        d = float(x.mean() - y.mean()) if x.size and y.size else None
        return Comparison(d, None, None, None, "welch")
    d = float(x.mean() - y.mean())
    vx, vy = x.var(ddof=1) / x.size, y.var(ddof=1) / y.size
    se = float(np.sqrt(vx + vy))
    if se == 0:
        return Comparison(d, d, d, 1.0 if d == 0 else 0.0, "welch")
    df = (vx + vy) ** 2 / (vx**2 / (x.size - 1) + vy**2 / (y.size - 1))
    tq = float(stats.t.ppf(0.975, df))
    p = float(2 * stats.t.sf(abs(d) / se, df))
    return Comparison(d, d - tq * se, d + tq * se, p, "welch")


def ancova(y1: np.ndarray, b1: np.ndarray, y2: np.ndarray, b2: np.ndarray) -> Comparison:
    """Arm difference (1 - 2) in y adjusted for baseline: OLS y ~ 1 + arm + baseline.

    Falls back to Welch's test when baseline carries no information (constant), where the
    adjusted and unadjusted differences coincide.
    """
    y = np.concatenate([y1, y2]).astype(float)
    b = np.concatenate([b1, b2]).astype(float)
    g = np.concatenate([np.ones(len(y1)), np.zeros(len(y2))])
    ok = np.isfinite(y) & np.isfinite(b)
    y, b, g = y[ok], b[ok], g[ok]
    n = y.size
    if n < 4 or np.ptp(b) == 0 or g.min() == g.max():
        c = welch(y[g == 1], y[g == 0])
        return Comparison(c.difference, c.low, c.high, c.p_value, "welch (baseline constant)")
    x = np.column_stack([np.ones(n), g, b])
    beta, *_ = np.linalg.lstsq(x, y, rcond=None)
    if np.linalg.matrix_rank(x) < 3:
        c = welch(y[g == 1], y[g == 0])
        return Comparison(c.difference, c.low, c.high, c.p_value, "welch (baseline collinear)")
    resid = y - x @ beta
    df = n - 3
    s2 = float(resid @ resid / df)
    cov = s2 * np.linalg.inv(x.T @ x)
    d, se = float(beta[1]), float(np.sqrt(cov[1, 1]))
    if se == 0:
        return Comparison(d, d, d, 1.0 if d == 0 else 0.0, "ancova")
    tq = float(stats.t.ppf(0.975, df))
    p = float(2 * stats.t.sf(abs(d) / se, df))
    return Comparison(d, d - tq * se, d + tq * se, p, "ancova")


# --- survival -------------------------------------------------------------------------------
def kaplan_meier(time: np.ndarray, event: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Event times, survival just after each, and Greenwood's sum (for the variance)."""
    time, event = np.asarray(time, float), np.asarray(event, bool)
    ts = np.unique(time[event])
    surv, green = [], []
    s, g = 1.0, 0.0
    for t in ts:
        at_risk = int(np.sum(time >= t))
        d = int(np.sum((time == t) & event))
        s *= 1 - d / at_risk
        g += d / (at_risk * (at_risk - d)) if at_risk > d else np.inf
        surv.append(s)
        green.append(g)
    return ts, np.array(surv), np.array(green)


def km_median(time: np.ndarray, event: np.ndarray) -> Estimate:
    """Kaplan-Meier median (first time S <= 0.5) with the Brookmeyer-Crowley 95% interval.

    The interval is the set of times whose pointwise log-log 95% band contains 0.5: its lower
    end is the first time the upper band falls to 0.5 or below, its upper end the first time the
    lower band does (None: not reached during follow-up).
    """
    n = int(len(time))
    if n == 0:
        return Estimate(None, None, None, 0)
    ts, s, g = kaplan_meier(time, event)
    if ts.size == 0:
        return Estimate(None, None, None, n)
    with np.errstate(divide="ignore", invalid="ignore"):
        log_s = np.log(s)
        theta = Z95 * np.sqrt(g) / log_s
        a, b = s ** np.exp(theta), s ** np.exp(-theta)
    lower_band = np.where(s > 0, np.where(np.isfinite(a + b), np.minimum(a, b), 0.0), 0.0)
    upper_band = np.where(s > 0, np.where(np.isfinite(a + b), np.maximum(a, b), 1.0), 0.0)
    upper_band = np.where(s >= 1, 1.0, upper_band)

    def first(mask: np.ndarray) -> float | None:
        idx = np.flatnonzero(mask)
        return float(ts[idx[0]]) if idx.size else None

    return Estimate(first(s <= 0.5), first(lower_band <= 0.5), first(upper_band <= 0.5), n)


def logrank(t1: np.ndarray, e1: np.ndarray, t2: np.ndarray, e2: np.ndarray) -> float | None:
    """Two-sided p-value of the log-rank test (chi-square, 1 df)."""
    t = np.concatenate([t1, t2]).astype(float)
    e = np.concatenate([e1, e2]).astype(bool)
    grp = np.concatenate([np.ones(len(t1)), np.zeros(len(t2))]).astype(bool)
    o_minus_e, var = 0.0, 0.0
    for time in np.unique(t[e]):
        at_risk = t >= time
        n, n1 = int(at_risk.sum()), int((at_risk & grp).sum())
        d = int(((t == time) & e).sum())
        d1 = int(((t == time) & e & grp).sum())
        o_minus_e += d1 - d * n1 / n
        if n > 1:
            var += d * (n1 / n) * (1 - n1 / n) * (n - d) / (n - 1)
    if var <= 0:
        return None
    return float(stats.chi2.sf(o_minus_e**2 / var, 1))


def compare_survival(t1: np.ndarray, e1: np.ndarray, t2: np.ndarray, e2: np.ndarray,
                     seed: int, n_boot: int = 1000) -> Comparison:
    """Difference of KM medians with a percentile bootstrap interval; log-rank p-value.

    The bootstrap resamples patients within each arm with a generator seeded from the trial
    seed (reproducible); if more than 5% of resamples have an unreached median the interval is
    left undefined.
    """
    m1, m2 = km_median(t1, e1).value, km_median(t2, e2).value
    p = logrank(t1, e1, t2, e2) if len(t1) and len(t2) else None
    if m1 is None or m2 is None:
        return Comparison(None, None, None, p, "log-rank")
    rng = np.random.default_rng(np.random.SeedSequence([seed & 0xFFFFFFFF, 0xB007]))
    t1, e1, t2, e2 = (np.asarray(v) for v in (t1, e1, t2, e2))
    diffs = []
    for _ in range(n_boot):
        i1 = rng.integers(0, len(t1), len(t1))
        i2 = rng.integers(0, len(t2), len(t2))
        a, b = km_median(t1[i1], e1[i1]).value, km_median(t2[i2], e2[i2]).value
        if a is not None and b is not None:
            diffs.append(a - b)
    if len(diffs) < 0.95 * n_boot:
        return Comparison(m1 - m2, None, None, p, "log-rank")
    lo, hi = np.percentile(diffs, [2.5, 97.5])
    return Comparison(m1 - m2, float(lo), float(hi), p, "log-rank")
