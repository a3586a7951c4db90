"""A compound's predicted clinical picture from a simulation: dissociation and antidepressant effect."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np


def effect_summary(times_h: np.ndarray, outputs: Mapping[str, np.ndarray]) -> dict[str, float]:
    """Peak CADSS (and when), antidepressant effect and MADRS change at 24 h and at its peak.

    `outputs` holds series on `times_h` (one patient, or the population mean). Missing outputs
    (an exposure-only model) give an empty summary.
    """
    need = ("CADSS", "antidepressant_effect", "MADRS")
    if not all(k in outputs for k in need):
        return {}
    t = np.asarray(times_h, float)
    cadss, ad, madrs = (np.asarray(outputs[k], float) for k in need)
    i, j = int(np.argmax(cadss)), int(np.argmax(ad))
    return {
        "peak_cadss": float(cadss[i]), "peak_cadss_time_h": float(t[i]),
        "antidepressant_effect_24h": float(np.interp(24.0, t, ad)),
        "peak_antidepressant_effect": float(ad[j]), "peak_antidepressant_time_h": float(t[j]),
        "madrs_change_24h": float(np.interp(24.0, t, madrs) - madrs[0]),
    }


def format_summary(s: Mapping[str, float]) -> str:
    """One line for the CLI."""
    if not s:
        return ""
    return (f"dissociation: peak CADSS {s['peak_cadss']:.1f} at {s['peak_cadss_time_h']:.2g} h; antidepressant "
            f"effect at 24 h {100 * s['antidepressant_effect_24h']:.1f}% of baseline severity (peak "
            f"{100 * s['peak_antidepressant_effect']:.1f}% at {s['peak_antidepressant_time_h']:.3g} h); MADRS change "
            f"at 24 h {s['madrs_change_24h']:+.1f}")
