"""The sampler: emcee's affine-invariant ensemble, vectorised so one batch simulates every walker.

emcee (Foreman-Mackey et al. 2013) is chosen over ABC (pyABC) and multi-start optimisation
(pyPESTO) because the training targets carry published SEs, so the likelihood exists in closed
form, and because `vectorize=True` hands all walkers to the batched fast engine at once: one
engine call per step instead of one per particle. The chain is saved after every step
(positions, log-probabilities, the random state), so a run resumes exactly where it stopped and
gives the same chain as an uninterrupted one.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import emcee
import numpy as np

from ketasim.studies.calibrate.forward import ClinicalForward
from ketasim.studies.calibrate.priors import Prior

Progress = Callable[[int, int], None]


@dataclass
class LogPosterior:
    """log prior + Gaussian log likelihood of the observables, for a batch of walkers (in z)."""

    forward: ClinicalForward
    priors: Sequence[Prior]

    def __call__(self, z: np.ndarray) -> np.ndarray:
        z = np.atleast_2d(z)
        lo = np.array([p.z_bounds[0] for p in self.priors])
        hi = np.array([p.z_bounds[1] for p in self.priors])
        inside = np.all((z >= lo) & (z <= hi), axis=1)
        out = np.full(len(z), -np.inf)
        if inside.any():
            theta = np.column_stack([p.from_z(z[inside, j]) for j, p in enumerate(self.priors)])
            sim = self.forward.simulate(theta)
            value = np.array([o.value for o in self.forward.observables])
            sd = np.array([o.sd for o in self.forward.observables])
            ll = -0.5 * np.sum(((sim - value) / sd) ** 2, axis=1)
            out[inside] = np.where(np.isfinite(ll), ll, -np.inf)
        return out


def initial_walkers(priors: Sequence[Prior], start: np.ndarray, walkers: int, seed: int) -> np.ndarray:
    """Walkers in a small ball (2% of each prior width) around `start`, kept inside the prior."""
    rng = np.random.default_rng(seed)
    z0 = np.array([p.to_z(np.asarray(s)) for p, s in zip(priors, start, strict=True)], float)
    width = np.array([p.z_bounds[1] - p.z_bounds[0] for p in priors])
    lo = np.array([p.z_bounds[0] for p in priors])
    hi = np.array([p.z_bounds[1] for p in priors])
    z = z0 + 0.02 * width * rng.standard_normal((walkers, len(priors)))
    return np.clip(z, lo + 1e-9 * width, hi - 1e-9 * width)


def run_chain(logp: LogPosterior, z_init: np.ndarray, steps: int, seed: int, store: Path,
              progress: Progress | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Run (or resume from `store`) the ensemble to `steps` steps; returns chain (S, W, F), log p (S, W)."""
    walkers, ndim = z_init.shape
    chain: list[np.ndarray] = []
    lnp: list[np.ndarray] = []
    sampler = emcee.EnsembleSampler(walkers, ndim, logp, vectorize=True)
    state_rs = np.random.RandomState(seed).get_state()
    position, last_lnp = z_init, None
    if store.exists():
        saved = np.load(store, allow_pickle=False)
        chain, lnp = list(saved["chain"]), list(saved["lnp"])
        position, last_lnp = chain[-1], lnp[-1]
        state_rs = ("MT19937", saved["rs_keys"], int(saved["rs_pos"]), int(saved["rs_gauss"]),
                    float(saved["rs_cached"]))
    state = emcee.State(position, log_prob=last_lnp, random_state=state_rs)
    for _ in range(steps - len(chain)):
        state = next(iter(sampler.sample(state, iterations=1, store=False)))
        chain.append(np.array(state.coords))
        lnp.append(np.array(state.log_prob))
        _save(store, chain, lnp, state.random_state)
        if progress is not None:
            progress(len(chain), steps)
    return np.array(chain), np.array(lnp)


def _save(store: Path, chain: list[np.ndarray], lnp: list[np.ndarray], rs: tuple) -> None:
    """Write the chain atomically (a kill never leaves a half-written file)."""
    tmp = store.with_name(store.name + ".tmp.npz")
    np.savez(tmp, chain=np.array(chain), lnp=np.array(lnp), rs_keys=rs[1], rs_pos=rs[2], rs_gauss=rs[3],
             rs_cached=rs[4])
    tmp.replace(store)
