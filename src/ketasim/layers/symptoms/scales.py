"""Rating scales: ranges, conversions from MADRS, and what a rater records (bounded whole numbers).

The model carries depression severity on the MADRS metric; the other scales are derived by
published linking (equipercentile linking approximated linearly, flagged A where no source
gives the line). A rater records a bounded whole number with rater noise.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ketasim.model.errors import UserError


@dataclass(frozen=True)
class Scale:
    """A rating scale: range, conversion from MADRS (score = slope*MADRS + intercept), rater noise SD."""

    name: str
    low: int
    high: int
    slope: float
    intercept: float
    rater_sd: float
    source: str
    description: str

    def from_madrs(self, madrs: np.ndarray | float) -> np.ndarray:
        """Continuous score on this scale for a MADRS-metric severity (not yet rounded)."""
        return np.clip(self.slope * np.asarray(madrs, dtype=float) + self.intercept, self.low, self.high)

    def to_madrs(self, score: np.ndarray | float) -> np.ndarray:
        """MADRS-metric severity for a score on this scale (for baselines given on other scales)."""
        return np.clip((np.asarray(score, dtype=float) - self.intercept) / self.slope, 0.0, 60.0)

    def record(self, value: np.ndarray | float, rng: np.random.Generator | None) -> np.ndarray:
        """What a rater writes: the value plus rater noise, rounded and bounded to the scale."""
        v = np.asarray(value, dtype=float)
        if rng is not None and self.rater_sd > 0:
            v = v + rng.normal(0.0, self.rater_sd, size=v.shape)
        return np.clip(np.rint(v), self.low, self.high)


SCALES: dict[str, Scale] = {
    s.name: s
    for s in [
        Scale("MADRS", 0, 60, 1.0, 0.0, 2.0,
              "Montgomery & Asberg 1979 (10 items 0-6); inter-rater SD about 2 points (A, range 1-3)",
              "Montgomery-Asberg Depression Rating Scale"),
        Scale("HDRS17", 0, 52, 0.72, 0.5, 1.8,
              "Leucht et al. 2018, J Affect Disord 226:326 (MADRS 10/20/31 ~ HAMD-17 7/14/23), linear fit (A)",
              "Hamilton Depression Rating Scale, 17 items"),
        Scale("HAMD6", 0, 22, 0.36, 0.0, 1.0,
              "Bech et al. 1981 core items; ratio of ranges of HAMD-6 to MADRS-linked HDRS (A, slope 0.3-0.42)",
              "Hamilton core subscale (6 items)"),
        Scale("BDI", 0, 63, 0.95, 1.0, 3.0,
              "Uher et al. 2008, Psychol Med 38:289 (self-report tracks MADRS, lower responsiveness); line assumed (A)",
              "Beck Depression Inventory II (self-report)"),
        Scale("CADSS", 0, 92, 1.0, 0.0, 1.0,
              "Bremner et al. 1998 (23 items 0-4); rater noise assumed 1 point (A)",
              "Clinician-Administered Dissociative States Scale"),
        Scale("suicidal_ideation", 0, 6, 0.1, 0.0, 0.5,
              "MADRS item 10; mean item share of the total (1/10) assumed (A)",
              "MADRS item 10, thoughts of ending one's life"),
    ]
}

DEPRESSION_SCALES = ("MADRS", "HDRS17", "HAMD6", "BDI")


def get_scale(name: str, field: str = "scale") -> Scale:
    """Look up a scale by its contract name; unknown names are a user error."""
    if name not in SCALES:
        raise UserError(field, f"unknown scale {name!r}; choose one of {', '.join(SCALES)}")
    return SCALES[name]


def remission_cutoff(scale: str) -> int:
    """Conventional remission cut-off (system.md section 7)."""
    return {"MADRS": 10, "HDRS17": 7, "HAMD6": 4, "BDI": 13}[scale]
