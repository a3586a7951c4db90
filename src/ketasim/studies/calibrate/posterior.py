"""The posterior file: draws of the free parameters, versioned with the model they belong to.

Format (version 1): `posterior.npz` holds `names` (free parameters), `draws` (n_draws, n_free) in
the model's internal units (as listed in docs/model.md), `log_prob` (n_draws,); `posterior.json` holds the format
version, hypothesis, the model's `parameters_sha256` and every typical value it was calibrated
from (`model_values`), the priors, observables, diagnostics and the run settings. A posterior
applied to a model whose shared typical values differ is stale: loading it says so.
"""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import dataclass
from importlib import resources
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


def shipped_root() -> Path:
    """The package's folder of shipped posteriors (one sub-folder per hypothesis)."""
    return Path(str(resources.files("ketasim") / "data" / "posteriors"))


def shipped_dir(name: str) -> Path:
    """Where the package ships the posterior of hypothesis `name`."""
    return shipped_root() / name


def check_applies(meta: dict[str, Any], model: Model, where: str, field: str = "posterior") -> None:
    """Refuse a posterior calibrated on typical values other than `model`'s (a stale or foreign one)."""
    values = meta.get("model_values", {})
    current = dict(zip((p.name for p in model.params), model.default_parameters, strict=True))
    differ = [n for n, v in values.items() if n in current and not math.isclose(current[n], v, rel_tol=1e-12)]
    if differ or meta.get("hypothesis") != model.meta.get("hypothesis", meta.get("hypothesis")):
        what = f"parameters {', '.join(differ[:5])} differ" if differ else "another hypothesis"
        raise UserError(field, f"{where} was calibrated on another model ({what}); recalibrate with ketasim calibrate")


def load_posterior(directory: str | Path, model: Model | None = None, field: str = "posterior") -> Posterior:
    """Read a posterior (a folder, or the name of a shipped one); with `model`, refuse a stale one."""
    d = Path(directory)
    if not d.exists() and shipped_dir(str(directory)).is_dir():
        d = shipped_dir(str(directory))
    if not (d / "posterior.npz").is_file() or not (d / "posterior.json").is_file():
        raise UserError(field, f"{str(d)!r} holds no posterior.npz and posterior.json; run ketasim calibrate")
    meta = json.loads((d / "posterior.json").read_text())
    if meta.get("format") != FORMAT_VERSION:
        raise UserError(field, f"{str(d)!r}: posterior format {meta.get('format')!r}, expected {FORMAT_VERSION}")
    if model is not None:
        check_applies(meta, model, repr(str(directory)), field)
    with np.load(d / "posterior.npz", allow_pickle=False) as z:
        return Posterior([str(n) for n in z["names"]], np.array(z["draws"]), np.array(z["log_prob"]), meta)


def shipped_names() -> list[str]:
    """Names of the posteriors shipped with the package (folders holding posterior.npz and posterior.json)."""
    root = shipped_root()
    if not root.is_dir():
        return []
    return sorted(d.name for d in root.iterdir()
                  if (d / "posterior.npz").is_file() and (d / "posterior.json").is_file())


def shipped(name: str, field: str = "posterior") -> str:
    """`name` when a posterior of that name is shipped; a UserError naming the shipped ones otherwise."""
    names = shipped_names()
    if name not in names:
        raise UserError(field, f"no shipped posterior {name!r}; shipped: {', '.join(names) or 'none'}")
    return name
