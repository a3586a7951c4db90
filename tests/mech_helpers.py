"""Shared, cached simulations for the mechanistic-layer tests (reference solver, rtol 1e-8)."""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from ketasim.runtime.build import build_model
from ketasim.runtime.engines.reference import simulate_reference
from ketasim.runtime.regimen import Dose, dose_events

WEIGHT = {"human": 70.0, "rat": 0.25, "mouse": 0.025}
STANDARD = (("ketamine", "iv", (0.0,), (("mg_per_kg", 0.5), ("duration_h", 40 / 60))),)
BOLUS_2 = (("ketamine", "iv", (0.0,), (("mg_per_kg", 2.0),)),)
MIDAZOLAM = (("midazolam", "iv", (0.0,), (("mg_per_kg", 0.045), ("duration_h", 40 / 60))),)
#: no drug: a negligible dose after every horizon (the dose plan needs at least one event)
NONE = (("midazolam", "iv", (1e6,), (("amount_mg", 1e-9),)),)


def ip(mg_per_kg: float) -> tuple:
    """A single intraperitoneal ketamine dose (rodents)."""
    return (("ketamine", "ip", (0.0,), (("mg_per_kg", mg_per_kg),)),)


class Run:
    """Times (h) and outputs of one simulation, with small helpers."""

    def __init__(self, t: np.ndarray, outputs: dict[str, np.ndarray]) -> None:
        self.t, self.o = t, outputs

    def at(self, name: str, time_h: float) -> float:
        return float(np.interp(time_h, self.t, self.o[name]))

    def peak(self, name: str) -> tuple[float, float]:
        """(maximum value, time of maximum)."""
        i = int(np.argmax(self.o[name]))
        return float(self.o[name][i]), float(self.t[i])


@lru_cache(maxsize=128)
def run(species: str = "human", doses: tuple = STANDARD, days: float = 14.0, hypothesis: str = "default",
        overrides: tuple = ()) -> Run:
    """Simulate a regimen (tuple of (drug, route, times, kwargs-items)) for one typical subject."""
    model = build_model(species, frozenset((d[0], d[1]) for d in doses), hypothesis)
    events = []
    for drug, route, times, kw in doses:
        events += dose_events(Dose(drug, route, tuple(times), **dict(kw)), WEIGHT[species])
    t = np.unique(np.concatenate([np.linspace(0.0, 6.0, 145), np.linspace(6.0, days * 24.0, 200)]))
    p = model.with_params(**{k: model.param(k).internal(v) for k, v in overrides})
    traj = simulate_reference(model, events, p, t, rtol=1e-8)
    return Run(t, traj.outputs)
