"""Rating scales: ranges, item mappings, conversions from MADRS, and what a rater records.

The model carries depression severity on the MADRS metric as ten item latents (MADRS_ITEMS,
0-6 each, summing to the MADRS latent). HDRS-17, HAM-D6, BDI-II and QIDS-SR16 are read from
those items through ITEM_POINTS (how many points of each scale cover each MADRS item), scaled
so that at the typical item profile the published linking line (slope, intercept) holds; a
scale therefore moves differently from MADRS when the items move differently (HAM-D6 has no
sleep, appetite or suicide item; HDRS-17 weighs anxiety and sleep more; BDI-II weighs
pessimism/self-view). `slope`/`intercept` remain the population linking for baselines given on
another scale. A rater records a bounded whole number: the latent plus a per-patient
between-scale discordance (`patient_sd`, the linking's error) plus visit noise (`rater_sd`).
MADRS items are recorded by `record_items`: ten whole numbers 0-6 whose sum is the recorded total.
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
    patient_sd: float = 0.0  # between-scale discordance of this patient (linking error), constant over visits

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
              "Montgomery & Asberg 1979 (10 items 0-6); visit-to-visit rater SD about 2 points (A, range 1-3): with "
              "a TRD baseline SD of 5-6 points this gives a test-retest ICC of about 0.9 (MADRS test-retest ICC "
              "0.91 and 0.96 with 24-h recall in TRD, Johnson et al., J Clin Psychiatry; inter-rater ICC about 0.9, A)",
              "Montgomery-Asberg Depression Rating Scale"),
        Scale("HDRS17", 0, 52, 0.72, 0.5, 1.8,
              "Leucht et al. 2018, J Affect Disord 226:326 (MADRS 10/20/31 ~ HAMD-17 7/14/23), linear fit (A); "
              "item map ITEM_POINTS; linking error SD 2 points per patient (A, 1-3: MADRS-HAMD r about 0.85, "
              "Carmody et al. 2006, Eur Neuropsychopharmacol 16:601)",
              "Hamilton Depression Rating Scale, 17 items", patient_sd=2.0),
        Scale("HAMD6", 0, 22, 0.36, 0.0, 1.0,
              "Bech et al. 1981 core items; ratio of ranges of HAMD-6 to MADRS-linked HDRS (A, slope 0.3-0.42); "
              "item map ITEM_POINTS; linking error SD 1 point per patient (A, 0.5-2)",
              "Hamilton core subscale (6 items)", patient_sd=1.0),
        Scale("BDI", 0, 63, 0.95, 1.0, 3.0,
              "Uher et al. 2008, Psychol Med 38:289 (self-report tracks MADRS, lower responsiveness); line assumed (A);"
              " item map ITEM_POINTS; self-report discordance SD 5 points per patient (A, 3-7; clinician vs "
              "self-report r about 0.6-0.7, Uher 2008)",
              "Beck Depression Inventory II (self-report)", patient_sd=5.0),
        Scale("QIDS_SR16", 0, 27, 0.59, 0.0, 1.5,
              "Rush et al. 2003, Biol Psychiatry 54:573 (QIDS-SR16 severity bands 0-5/6-10/11-15/16-20/21-27 ~ "
              "HRSD-17 0-7/8-13/14-19/20-25/26+: slope 0.82) chained with the HDRS17 line (A, slope 0.5-0.7); "
              "item map ITEM_POINTS; self-report discordance SD 2.5 points per patient (A, 1.5-4)",
              "Quick Inventory of Depressive Symptomatology, self-report (16 items, 9 domains)", patient_sd=2.5),
        Scale("CADSS", 0, 92, 1.0, 0.0, 1.0,
              "Bremner et al. 1998 (23 items 0-4); rater noise assumed 1 point (A)",
              "Clinician-Administered Dissociative States Scale"),
        Scale("suicidal_ideation", 0, 6, 0.053, 0.0, 0.5,
              "MADRS item 10 (its own latent, ketasim.layers.symptoms.layer); slope = typical baseline item-10 "
              "share (1.9 of 36 points, A) used only for a baseline given on this scale",
              "MADRS item 10, thoughts of ending one's life"),
    ]
}

DEPRESSION_SCALES = ("MADRS", "HDRS17", "HAMD6", "BDI", "QIDS_SR16")

#: the ten MADRS items (Montgomery & Asberg 1979), in order; item 10 is suicidal thoughts
MADRS_ITEMS = ("apparent sadness", "reported sadness", "inner tension", "reduced sleep", "reduced appetite",
               "concentration difficulties", "lassitude", "inability to feel", "pessimistic thoughts",
               "suicidal thoughts")
ITEM_MEASURES = tuple(f"MADRS_item{i}" for i in range(1, 11))
ITEM_HIGH = 6

#: points of each scale that cover each MADRS item (items 1..10); each row sums to the scale's maximum.
#: HDRS-17: mood 1+2, retardation 1+6, anxiety psychic/somatic, agitation, hypochondriasis -> 3,
#: insomnia x3 -> 4, GI + weight -> 5, work -> 7+8, general somatic -> 7, genital -> 8, guilt + insight -> 9,
#: suicide -> 10. HAM-D6 (Bech): mood, guilt, work/interests, retardation, psychic anxiety, general somatic.
#: BDI-II (21 items 0-3) and QIDS-SR16 (9 domains 0-3) by item content (Beck 1996; Rush 2003). Mapping A.
ITEM_POINTS: dict[str, tuple[float, ...]] = {
    "HDRS17": (4, 2, 16, 6, 4, 2, 4, 4, 6, 4),
    "HAMD6": (4, 2, 4, 0, 0, 2, 4, 2, 4, 0),
    "BDI": (3, 3, 6, 3, 3, 6, 6, 9, 21, 3),
    "QIDS_SR16": (1.5, 3, 1.5, 3, 3, 3, 3, 3, 3, 3),
}
#: item-level rater disagreement SD (points, redistributed within the recorded total; A, 0.3-1.0:
#: MADRS item inter-rater ICC about 0.6-0.9, reviews)
ITEM_RATER_SD = 0.6


def item_coefficients(scale: str, profile: tuple[float, ...]) -> tuple[float, ...]:
    """Weights of the MADRS item latents in `scale`: ITEM_POINTS/6 scaled so the typical profile keeps the linking."""
    pts = np.asarray(ITEM_POINTS[scale], dtype=float) / ITEM_HIGH
    share = np.asarray(profile, dtype=float) / float(np.sum(profile))
    k = SCALES[scale].slope / float(np.dot(pts, share))
    return tuple(float(round(k * p, 6)) for p in pts)


def record_items(latent: np.ndarray, total: np.ndarray, rng: np.random.Generator | None) -> np.ndarray:
    """Ten whole-numbered items 0-6 (rows: times) summing to the recorded `total`, near the item latents.

    Rater disagreement at item level (zero-sum, so the total is kept) is added, the items are
    scaled to the total, capped at 6 with the excess moved to items with room, and rounded by
    largest remainder.
    """
    x = np.asarray(latent, dtype=float).reshape(-1, len(MADRS_ITEMS))
    t = np.clip(np.rint(np.asarray(total, dtype=float).reshape(-1)), 0, ITEM_HIGH * len(MADRS_ITEMS))
    if rng is not None and ITEM_RATER_SD > 0:
        e = rng.normal(0.0, ITEM_RATER_SD, size=x.shape)
        x = x + e - e.mean(axis=1, keepdims=True)
    x = np.maximum(x, 0.0)
    s = x.sum(axis=1, keepdims=True)
    y = np.where(s > 1e-9, x * t[:, None] / np.maximum(s, 1e-9), t[:, None] / len(MADRS_ITEMS))
    for _ in range(len(MADRS_ITEMS)):
        capped = np.minimum(y, ITEM_HIGH)
        excess = (y - capped).sum(axis=1, keepdims=True)
        room = (ITEM_HIGH - capped).sum(axis=1, keepdims=True)
        y = capped + excess * (ITEM_HIGH - capped) / np.maximum(room, 1e-12)
        if np.all(excess < 1e-12):
            break
    y = np.clip(y, 0.0, ITEM_HIGH)
    f = np.floor(y + 1e-9)
    short = (t - f.sum(axis=1)).astype(int)
    order = np.argsort(-(y - f), axis=1, kind="stable")
    rank = np.argsort(order, axis=1, kind="stable")
    f += (rank < short[:, None]) & (f < ITEM_HIGH)
    return f


def get_scale(name: str, field: str = "scale") -> Scale:
    """Look up a scale by its contract name; unknown names are a user error."""
    if name not in SCALES:
        raise UserError(field, f"unknown scale {name!r}; choose one of {', '.join(SCALES)}")
    return SCALES[name]


def remission_cutoff(scale: str) -> int:
    """Conventional remission cut-off (system.md section 7)."""
    return {"MADRS": 10, "HDRS17": 7, "HAMD6": 4, "BDI": 13, "QIDS_SR16": 5}[scale]
