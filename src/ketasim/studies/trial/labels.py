"""Words a clinician reads in the report: endpoint descriptions, times, and the sign of differences."""

from __future__ import annotations

from ketasim.layers.symptoms.scales import DEPRESSION_SCALES, ITEM_MEASURES
from ketasim.runtime.spec import Endpoint
from ketasim.studies.trial.measures import measure_label

_RESPONSE = {"response": "responders", "remission": "patients in remission", "relapse": "patients who relapse"}


def hours(h: float, unit: str | None = None) -> str:
    """A time in `unit` (min, h, d) or the one a reader expects: minutes below 3 h, hours below 3 days."""
    unit = unit or ("min" if h < 3 else "h" if h < 72 else "d")
    value = {"min": h * 60, "h": h, "d": h / 24}[unit]
    return f"{value:.4g} {unit}"


def _relapse_rule(e: Endpoint) -> str:
    if e.relapse_score is not None:
        return (f"relapse = {e.measure} ≥ {e.relapse_score:g} at {e.consecutive} consecutive visit(s) "
                f"{hours(e.visit_interval_h)} apart")
    visits = f" at {e.consecutive} consecutive visits" if e.consecutive > 1 else ""
    return f"relapse = reduction from baseline back below {100 * e.threshold:g}%{visits}"


def endpoint_label(e: Endpoint) -> str:
    """The endpoint in words, e.g. "Change in MADRS total score (0-60) from baseline to 24 h"."""
    m = measure_label(e.measure, unit=False)
    at = hours(e.at_h) if e.at_h is not None else ""
    if e.kind == "value":
        return f"{m} at {at}"
    if e.kind == "change":
        return f"Change in {m} from baseline to {at}"
    if e.kind == "percent_change":
        return f"Change in {m} from baseline to {at}, % of baseline"
    if e.kind == "response":
        return f"Responders at {at} ({e.measure} reduction ≥ {100 * e.threshold:g}% of baseline)"
    if e.kind == "remission":
        return f"Remission at {at} ({e.measure} ≤ {e.cutoff:g})"
    if e.kind in ("peak", "peak_change") and e.window_h is not None:
        window = f"{hours(e.window_h[0])} to {hours(e.window_h[1])}"
        if e.kind == "peak":
            return f"Highest {m} from {window}"
        return f"Largest rise in {m} from {window} (above its value at {hours(e.window_h[0])})"
    start = hours(e.from_h) if e.from_h is not None else ""
    if e.kind == "relapse":
        return f"Relapse by {at} among responders at {start} ({_relapse_rule(e)})"
    follow = f", followed to {at}" if at else ""
    return f"Median time to relapse, days after {start}, among responders at {start}{follow} ({_relapse_rule(e)})"


def sign_convention(e: Endpoint, a: str, b: str) -> str:
    """What the sign of the difference a − b means for endpoint `e`."""
    if e.kind in _RESPONSE:
        return f"positive: more {_RESPONSE[e.kind]} with {a}"
    if e.kind == "time_to_relapse":
        return f"positive: later relapse with {a}"
    if e.measure in DEPRESSION_SCALES + ITEM_MEASURES + ("suicidal_ideation",):
        if e.kind in ("change", "percent_change"):
            return f"negative: larger improvement with {a}"
        if e.kind == "value":
            return f"negative: lower (better) score with {a}"
    return f"positive: higher with {a}"
