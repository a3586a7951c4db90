"""The posterior file: draws of the free parameters, versioned with the model they belong to.

Format (version 1): `posterior.npz` holds `names` (free parameters), `draws` (n_draws, n_free) in
the model's internal units (as listed in docs/model.md), `log_prob` (n_draws,); `posterior.json` holds the format
version, hypothesis, the model's `parameters_sha256` (of the typical values the posterior was
calibrated from), the priors, observables, diagnostics and the run settings. A posterior whose
hash differs from the current model's is stale: loading it says so.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ketasim.model.description import Model
from ketasim.model.errors import UserError

FORMAT_VERSION = 1


def parameters_sha256(model: Model) -> str:
    """Hash of the model's typical parameter vector (names and internal values)."""
    items = [[p.name, repr(float(v))] for p, v in zip(model.params, model.default_parameters, strict=True)]
    return hashlib.sha256(json.dumps(items).encode()).hexdigest()


@dataclass
class Posterior:
    """Posterior draws of the free parameters of one hypothesis, with their provenance."""

    names: list[str]
    draws: np.ndarray
    log_prob: np.ndarray
    meta: dict[str, Any]

    def save(self, directory: Path) -> None:
        """Write posterior.npz and posterior.json into `directory`."""
        directory.mkdir(parents=True, exist_ok=True)
        np.savez(directory / "posterior.npz", names=np.array(self.names), draws=self.draws, log_prob=self.log_prob)
        (directory / "posterior.json").write_text(json.dumps(self.meta, indent=2, sort_keys=True) + "\n")

    def overrides(self, i: int) -> dict[str, float]:
        """Draw `i` as parameter values in internal units, by name."""
        return {n: float(v) for n, v in zip(self.names, self.draws[i], strict=True)}


def load_posterior(directory: str | Path, model: Model | None = None, field: str = "posterior") -> Posterior:
    """Read a posterior; with `model`, refuse one calibrated on other typical values (stale)."""
    d = Path(directory)
    if not (d / "posterior.npz").is_file() or not (d / "posterior.json").is_file():
        raise UserError(field, f"{str(d)!r} holds no posterior.npz and posterior.json; run ketasim calibrate")
    meta = json.loads((d / "posterior.json").read_text())
    if meta.get("format") != FORMAT_VERSION:
        raise UserError(field, f"{str(d)!r}: posterior format {meta.get('format')!r}, expected {FORMAT_VERSION}")
    if model is not None and meta.get("parameters_sha256") != parameters_sha256(model):
        raise UserError(field, f"{str(d)!r} was calibrated on another version of the model; recalibrate it")
    with np.load(d / "posterior.npz", allow_pickle=False) as z:
        return Posterior([str(n) for n in z["names"]], np.array(z["draws"]), np.array(z["log_prob"]), meta)
