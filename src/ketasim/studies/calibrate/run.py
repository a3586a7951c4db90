"""`calibrate()`: screen, sample, summarise and write one hypothesis's posterior."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ketasim import __version__
from ketasim.model.errors import UserError
from ketasim.runtime.build import get_hypothesis
from ketasim.studies.calibrate import figures
from ketasim.studies.calibrate.diagnostics import summarise
from ketasim.studies.calibrate.forward import ClinicalForward
from ketasim.studies.calibrate.observables import training_observables
from ketasim.studies.calibrate.posterior import FORMAT_VERSION, Posterior, parameters_sha256
from ketasim.studies.calibrate.priors import choose_free, prior_of, screen
from ketasim.studies.calibrate.sampler import LogPosterior, initial_walkers, run_chain

Say = Callable[[str], None]


@dataclass(frozen=True)
class Settings:
    """How a calibration runs (every field recorded in posterior.json)."""

    walkers: int = 16
    steps: int = 200
    n_free: int = 6
    free: tuple[str, ...] = ()
    patients: int = 40
    seed: int = 20240601
    max_draws: int = 1000
    predictive_draws: int = 64


def calibrate(hypothesis: str, out: str | Path, settings: Settings = Settings(),
              say: Say | None = None, progress: Callable[[int, int], None] | None = None) -> dict[str, Any]:
    """Calibrate `hypothesis` to the clinical training targets; write DIR/posterior.* and figures."""
    get_hypothesis(hypothesis)
    tell = say or (lambda _msg: None)
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    obs = training_observables()
    free = list(settings.free) or choose_free(_screen(hypothesis, obs, settings, out, tell), settings.n_free)
    if not free:
        raise UserError("free", "no assumption parameter moves the training observables; nothing to calibrate")
    if settings.walkers < 2 * len(free):
        raise UserError("walkers", f"need at least {2 * len(free)} walkers for {len(free)} free parameters")
    fwd = ClinicalForward(hypothesis, free, obs, settings.patients, settings.seed)
    priors = [prior_of(fwd.model.param(n)) for n in free]
    tell(f"{hypothesis}: {len(free)} free parameters ({', '.join(free)}), {settings.walkers} walkers, "
         f"{settings.steps} steps, {settings.patients} patients per arm")
    z0 = initial_walkers(priors, fwd.typical, settings.walkers, settings.seed)
    chain, lnp = run_chain(LogPosterior(fwd, priors), z0, settings.steps, settings.seed, out / "chain.npz", progress)
    burn = len(chain) // 2
    diag = summarise(chain, priors, burn)
    flat = chain[burn:].reshape(-1, len(free))
    flat_lnp = lnp[burn:].reshape(-1)
    keep = np.linspace(0, len(flat) - 1, min(settings.max_draws, len(flat))).astype(int)
    draws = np.column_stack([p.from_z(flat[keep, j]) for j, p in enumerate(priors)])
    pred_idx = np.linspace(0, len(draws) - 1, min(settings.predictive_draws, len(draws))).astype(int)
    sim = fwd.simulate(draws[pred_idx])
    meta = _meta(hypothesis, fwd, priors, obs, diag, settings, sim)
    Posterior(free, draws, flat_lnp[keep], meta).save(out)
    figures.marginals(draws, priors, out / "marginals.png")
    figures.pairs(draws, priors, out / "pairs.png")
    figures.predictive(sim, obs, out / "predictive.png")
    return meta


def _screen(hypothesis: str, obs: Sequence[Any], settings: Settings, out: Path, tell: Say) -> list[tuple[str, float]]:
    """The sensitivity screen of every candidate (cached in DIR/screen.json for resumes)."""
    path = out / "screen.json"
    if path.exists():
        return [(n, float(s)) for n, s in json.loads(path.read_text())]
    tell(f"{hypothesis}: screening the assumption parameters against {len(obs)} training observables")
    ranked = screen(hypothesis, list(obs), seed=settings.seed)
    path.write_text(json.dumps([[n, s if np.isfinite(s) else "inf"] for n, s in ranked], indent=0) + "\n")
    return ranked


def _meta(hypothesis: str, fwd: ClinicalForward, priors: Sequence[Any], obs: Sequence[Any],
          diag: dict[str, Any], settings: Settings, sim: np.ndarray) -> dict[str, Any]:
    """posterior.json: provenance, priors, observables with their posterior predictive, diagnostics."""
    pred = []
    for i, o in enumerate(obs):
        x = sim[:, i][np.isfinite(sim[:, i])]
        lo, med, hi = (np.percentile(x, [2.5, 50, 97.5]).tolist() if len(x) else [float("nan")] * 3)
        pred.append({"observable": o.name, "published": o.value, "sd": o.sd, "unit": o.unit,
                     "median": med, "pi95": [lo, hi], "inside": bool(lo <= o.value <= hi)})
    return {
        "format": FORMAT_VERSION, "ketasim": __version__, "hypothesis": hypothesis,
        "parameters_sha256": parameters_sha256(fwd.model), "units": "internal (docs/model.md)",
        "priors": [{"name": p.name, "low": p.low, "high": p.high, "scale": "log" if p.log else "linear"}
                   for p in priors],
        "typical": dict(zip(fwd.free, fwd.typical.tolist(), strict=True)),
        # every typical value the posterior was calibrated on: a trial model sharing a parameter with
        # another value is a different model, and the posterior does not apply to it (posterior.check)
        "model_values": {p.name: float(v) for p, v in zip(fwd.model.params, fwd.model.default_parameters,
                                                          strict=True) if not p.covariate},
        "observables": pred, "diagnostics": diag,
        "settings": {k: (list(v) if isinstance(v, tuple) else v) for k, v in settings.__dict__.items()},
    }
