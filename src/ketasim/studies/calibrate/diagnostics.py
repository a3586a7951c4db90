"""Convergence diagnostics of an ensemble chain: acceptance, autocorrelation, ESS, R-hat, contraction."""

from __future__ import annotations

import logging
import warnings
from collections.abc import Sequence
from typing import Any

import emcee
import numpy as np

from ketasim.studies.calibrate.priors import Prior


def acceptance(chain: np.ndarray) -> float:
    """Fraction of walker moves accepted (a walker that moved between steps accepted its proposal)."""
    if len(chain) < 2:
        return float("nan")
    return float(np.mean(np.any(chain[1:] != chain[:-1], axis=2)))


def split_rhat(x: np.ndarray) -> float:
    """Gelman-Rubin R-hat treating walkers as chains, each split in two halves; x is (S, W)."""
    s = x.shape[0] // 2
    if s < 2:
        return float("nan")
    chains = np.concatenate([x[:s], x[s:2 * s]], axis=1)  # (s, 2W)
    w = chains.var(axis=0, ddof=1).mean()
    b = s * chains.mean(axis=0).var(ddof=1)
    var = (s - 1) / s * w + b / s
    return float(np.sqrt(var / w)) if w > 0 else float("nan")


def summarise(chain: np.ndarray, priors: Sequence[Prior], burn: int) -> dict[str, Any]:
    """Per-parameter and overall diagnostics of the chain after discarding `burn` steps."""
    kept = chain[burn:]
    log = logging.getLogger("emcee")
    level, log.level = log.level, logging.ERROR  # a short chain is reported in `converged`, not logged
    try:
        with np.errstate(invalid="ignore", divide="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            tau = (emcee.autocorr.integrated_time(kept, quiet=True) if len(kept) > 1
                   else np.full(chain.shape[2], np.nan))
    finally:
        log.level = level
    n = kept.shape[0] * kept.shape[1]
    per = {}
    for j, p in enumerate(priors):
        lo, hi = p.z_bounds
        prior_sd = (hi - lo) / np.sqrt(12.0)
        post_sd = float(kept[:, :, j].std())
        per[p.name] = {
            "tau_steps": float(tau[j]),
            "ess": float(n / max(tau[j], 1.0)) if np.isfinite(tau[j]) else float("nan"),
            "rhat": split_rhat(kept[:, :, j]),
            "contraction": float(1.0 - (post_sd / prior_sd) ** 2) if prior_sd > 0 else float("nan"),
        }
    return {"steps": int(chain.shape[0]), "walkers": int(chain.shape[1]), "burn_in": int(burn),
            "acceptance": acceptance(chain), "parameters": per,
            # emcee's rule of thumb: a chain 50 autocorrelation times long; R-hat below 1.1
            "converged": bool(all(v["rhat"] < 1.1 for v in per.values())
                              and kept.shape[0] >= 50 * max(float(np.nanmax(tau)), 1.0))}
