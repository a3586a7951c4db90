"""The result of a single run: every patient's trajectories on one grid, as a long table on request."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ketasim.model.description import Model
from ketasim.runtime.engines.reference import Trajectory


@dataclass(frozen=True)
class SimulationResult:
    """Trajectories of every simulated patient on one time grid, and the model that made them."""

    model: Model
    times_h: np.ndarray
    trajectories: list[Trajectory]
    dose_times_h: list[float]
    drug: str = "ketamine"

    def frame(self) -> pd.DataFrame:
        """Long table: one row per patient and time, one column per model output."""
        parts = []
        for i, tr in enumerate(self.trajectories):
            cols: dict[str, np.ndarray] = {"patient": np.full(self.times_h.size, i, dtype=np.int64),
                                           "time_h": self.times_h}
            cols.update({k: np.asarray(v, dtype=float) for k, v in tr.outputs.items()})
            parts.append(pd.DataFrame(cols))
        return pd.concat(parts, ignore_index=True)
