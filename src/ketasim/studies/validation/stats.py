"""Small statistics used by the clinical and biomarker targets."""

from __future__ import annotations

import math

import numpy as np
from scipy import stats


def hedges_g(a: np.ndarray, b: np.ndarray) -> float:
    """Standardised mean difference (a - b) / pooled SD with the small-sample correction."""
    a, b = np.asarray(a, float), np.asarray(b, float)
    na, nb = a.size, b.size
    sp = math.sqrt(((na - 1) * a.var(ddof=1) + (nb - 1) * b.var(ddof=1)) / (na + nb - 2))
    if sp == 0:
        return 0.0 if a.mean() == b.mean() else math.copysign(math.inf, a.mean() - b.mean())
    j = 1 - 3 / (4 * (na + nb) - 9)
    return float(j * (a.mean() - b.mean()) / sp)


def paired_significant(diff: np.ndarray, n_trial: int, alpha: float = 0.05) -> tuple[bool, float]:
    """Would a paired t-test on `n_trial` patients with these paired differences reach p < alpha?

    Uses the simulated population's standardised mean difference dz = mean/SD and the expected
    t statistic dz*sqrt(n_trial), so the answer does not depend on the simulated sample size.
    Returns (significant, dz); a negative dz means the first condition scored lower.
    """
    d = np.asarray(diff, float)
    sd = d.std(ddof=1)
    dz = 0.0 if sd == 0 else float(d.mean() / sd)
    tcrit = float(stats.t.ppf(1 - alpha / 2, n_trial - 1))
    return abs(dz) * math.sqrt(n_trial) >= tcrit, dz


def pearson(x: np.ndarray, y: np.ndarray) -> float:
    """Pearson correlation (NaN when either variable is constant)."""
    x, y = np.asarray(x, float), np.asarray(y, float)
    if x.std() == 0 or y.std() == 0:
        return math.nan
    return float(np.corrcoef(x, y)[0, 1])
