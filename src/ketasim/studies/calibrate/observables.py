"""What the calibration compares: training-target values with their uncertainty.

Each observable names a training target of the calibration YAML and one of its keys. Its
likelihood is Gaussian with the target's published SE where the YAML gives one, otherwise with
the binomial SE of a published rate with its n, otherwise with
the half-width of the published band read as a 95% interval (SD = half-width / 1.96), otherwise
with the stated tolerance read the same way. These SDs are documented assumptions where the
paper gave none.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ketasim.studies.validation.targets import Target, load_targets


@dataclass(frozen=True)
class Observable:
    """One compared quantity: target id and key, published value, likelihood SD, unit."""

    target: str
    key: str
    value: float
    sd: float
    unit: str
    label: str

    @property
    def name(self) -> str:
        """`target.key`, the observable's identifier in files and figures."""
        return f"{self.target}.{self.key}"


#: (target id, key, fallback SD when the YAML gives neither SE nor band, clinician's label)
OBSERVED: tuple[tuple[str, str, float | None, str], ...] = (
    ("clin-response-vs-midazolam-24h", "response_ketamine", None, "response at 24 h, ketamine (fraction)"),
    ("clin-response-vs-midazolam-24h", "response_midazolam", None, "response at 24 h, midazolam (fraction)"),
    ("clin-response-vs-midazolam-24h", "madrs_change_ketamine", 4.0 / 1.96, "MADRS change at 24 h, ketamine"),
    ("clin-response-vs-midazolam-24h", "madrs_change_midazolam", 4.0 / 1.96, "MADRS change at 24 h, midazolam"),
    ("clin-peak-effect-size", "hedges_g_day1", None, "Hedges' g at 24 h, ketamine vs saline"),
    ("clin-pooled-response-timecourse", "response_72h", 0.10 / 1.96, "response at 72 h, ketamine (fraction)"),
    ("clin-pooled-response-timecourse", "response_7d", 0.10 / 1.96, "response at day 7, ketamine (fraction)"),
    ("clin-blood-pressure-transient", "iv_sbp_peak_rise", None, "SBP peak rise, IV (mmHg)"),
)


def _entry(mapping: Any, key: str) -> Any:
    return mapping.get(key) if isinstance(mapping, dict) else mapping


def _field(t: Target, name: str, default: Any = None) -> Any:
    """A target field that may be a dataclass attribute or an extra YAML key."""
    value = getattr(t, name, None)
    return t.extra.get(name, default) if value is None else value


def _sd(t: Target, key: str, fallback: float | None) -> float:
    raw = _field(t, "uncertainty")
    unc = _entry(raw, key) if isinstance(raw, dict) and key in raw else raw
    if isinstance(unc, dict):
        if "se" in unc:
            return float(unc["se"])
        if "ci95" in unc:
            lo, hi = unc["ci95"]
            return (float(hi) - float(lo)) / (2 * 1.96)
        if "sd" in unc and "n" in unc:
            return float(unc["sd"]) / float(unc["n"]) ** 0.5
        value = float(_entry(t.value, key))
        if "n" in unc and str(_entry(t.units, key)) == "fraction" and 0 < value < 1:
            return (value * (1 - value) / float(unc["n"])) ** 0.5  # binomial SE of a published rate
    band = _entry(t.range, key) if t.range is not None else None
    if band is not None:
        return (float(band[1]) - float(band[0])) / (2 * 1.96)
    if fallback is None:
        raise ValueError(f"target {t.id}: no SE, band or tolerance for {key!r}")
    return fallback


def training_observables() -> list[Observable]:
    """The observables of the clinical training targets, read from the calibration YAML."""
    by_id = {t.id: t for t in load_targets()}
    out: list[Observable] = []
    for tid, key, fallback, label in OBSERVED:
        t = by_id[tid]
        use = _field(t, "use", "training")
        if use != "training":
            raise ValueError(f"target {tid} is {use!r}, not a training target: calibration may not use it")
        value = float(_entry(t.value, key))
        unit = str(_entry(t.units, key) or "")
        out.append(Observable(tid, key, value, _sd(t, key, fallback), unit, label))
    return out
