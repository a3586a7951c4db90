"""Figures of a calibration: marginals, pairs, and the posterior predictive beside every target."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from ketasim.studies.calibrate.observables import Observable  # noqa: E402
from ketasim.studies.calibrate.priors import Prior  # noqa: E402


def marginals(draws: np.ndarray, priors: Sequence[Prior], path: Path) -> None:
    """Histogram of each free parameter's draws over its prior range (log axis for log priors)."""
    k = len(priors)
    fig, axes = plt.subplots(1, k, figsize=(3.0 * k, 2.6), squeeze=False)
    for j, (ax, p) in enumerate(zip(axes[0], priors, strict=True)):
        x = p.to_z(draws[:, j])
        ax.hist(x, bins=30, color="#4c72b0", density=True)
        ax.axvspan(*p.z_bounds, color="0.9", zorder=0)
        ax.set_xlim(*p.z_bounds)
        ax.set_title(p.name, fontsize=9)
        ax.set_xlabel("log value (prior range shaded)" if p.log else "value (prior range shaded)", fontsize=8)
        ax.set_yticks([])
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def pairs(draws: np.ndarray, priors: Sequence[Prior], path: Path) -> None:
    """Scatter of every pair of free parameters (sampling coordinates)."""
    k = len(priors)
    z = np.column_stack([p.to_z(draws[:, j]) for j, p in enumerate(priors)])
    fig, axes = plt.subplots(k, k, figsize=(1.9 * k, 1.9 * k), squeeze=False)
    for i in range(k):
        for j in range(k):
            ax = axes[i][j]
            if i == j:
                ax.hist(z[:, i], bins=25, color="#4c72b0")
            elif i > j:
                ax.plot(z[:, j], z[:, i], ".", ms=1.5, alpha=0.4, color="#4c72b0")
            else:
                ax.axis("off")
            ax.tick_params(labelsize=6)
            if i == k - 1:
                ax.set_xlabel(priors[j].name, fontsize=7)
            if j == 0 and i > 0:
                ax.set_ylabel(priors[i].name, fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def predictive(sim: np.ndarray, observables: Sequence[Observable], path: Path) -> None:
    """Posterior predictive (median, 5-95%) of each observable beside the published value ± 1.96 SD."""
    n = len(observables)
    fig, ax = plt.subplots(figsize=(7.5, 0.55 * n + 1.2))
    for i, o in enumerate(observables):
        x = (sim[:, i] - o.value) / o.sd
        x = x[np.isfinite(x)]
        if len(x):
            lo, med, hi = np.percentile(x, [5, 50, 95])
            ax.plot([lo, hi], [i, i], color="#4c72b0", lw=3)
            ax.plot(med, i, "o", color="#4c72b0")
    ax.axvspan(-1.96, 1.96, color="#dd8452", alpha=0.25, label="published value ± 1.96 SD")
    ax.axvline(0, color="#dd8452")
    ax.set_yticks(range(n), [o.label for o in observables], fontsize=8)
    ax.set_xlabel("(simulated − published) / SD   (bars: posterior predictive 5-95%, dot: median)")
    ax.legend(loc="lower right", fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
