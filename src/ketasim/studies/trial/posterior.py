"""Trials over posterior draws: prediction intervals and assurance.

With a posterior (`ketasim calibrate`), a trial runs once with the model's typical values (the
reported `value` and `ci95`) and once per posterior draw, each replicate with its own draw and
its own patients (seed). The spread of an arm's endpoint over the draw replicates is its 95%
prediction interval (`pi95`): parameter uncertainty, between-patient variability and sampling
together. A comparison's `assurance` is the fraction of draw replicates in which it reaches
p < 0.05 (power averaged over the posterior).
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ketasim.model.description import Model
from ketasim.studies.calibrate.posterior import load_posterior, shipped_dir
from ketasim.studies.trial import endpoints as ep


@dataclass(frozen=True)
class TrialPosterior:
    """Posterior draws as typical-value maps (internal units), with the posterior's name and hash."""

    name: str
    sha256: str
    typicals: tuple[dict[str, float], ...]

    @property
    def draws(self) -> int:
        """Number of draws (one replicate trial each)."""
        return len(self.typicals)


def trial_posterior(source: str, model: Model, draws: int = 100) -> TrialPosterior:
    """`draws` evenly spaced draws of posterior `source` (a folder or a shipped name) for `model`."""
    folder = Path(source) if Path(source).exists() else shipped_dir(source)
    post = load_posterior(source, model, field="posterior")
    n = min(max(int(draws), 1), len(post.draws))
    idx = np.unique(np.linspace(0, len(post.draws) - 1, n).round().astype(int))
    typicals = tuple({name: float(v) for name, v in zip(post.names, post.draws[i], strict=True)
                      if name in model.param_index} for i in idx)
    digest = hashlib.sha256((folder / "posterior.npz").read_bytes()).hexdigest()
    return TrialPosterior(str(source), digest, typicals)


def _num(x: float) -> float | None:
    return float(f"{x:.6g}") + 0.0 if math.isfinite(x) else None


def add_uncertainty(summary: dict[str, Any], post: TrialPosterior, analyses: list[ep.Analysis]) -> None:
    """Add `pi95` to every arm endpoint, `assurance` to every comparison, and the posterior's identity."""
    for arm, block in summary["arms"].items():
        for name, item in block["endpoints"].items():
            vals = np.array([a.estimates[arm][name].value for a in analyses], dtype=float)
            vals = vals[np.isfinite(vals)]
            item["pi95"] = ([_num(float(np.percentile(vals, 2.5))), _num(float(np.percentile(vals, 97.5)))]
                            if len(vals) else [None, None])
    for comp in summary["comparisons"]:
        a, b = comp["arms"]
        hits = [c.p_value is not None and c.p_value < 0.05 for x in analyses for (aa, bb, n, c) in x.comparisons
                if (aa, bb, n) == (a, b, comp["endpoint"])]
        comp["assurance"] = _num(float(np.mean(hits))) if hits else None
    summary["model"]["posterior"] = {"name": post.name, "draws": post.draws, "sha256": post.sha256}
