"""Published values beside the prediction in summary.json (contracts/trial-spec.md, `published:`).

Each arm endpoint with a published value gains ``"published": {"value", "source", "note"?,
"within_ci95"}`` and each comparison with one gains the same, its value being the published
difference first arm minus second. ``within_ci95`` says whether the published value lies inside
the predicted 95% CI of the mean (null where that interval is undefined); the CI describes the
uncertainty of the simulated mean, not a prediction interval (see docs/statistics.md).
"""

from __future__ import annotations

from typing import Any

from ketasim.runtime.published import Published
from ketasim.runtime.spec import TrialSpec


def within(value: float, interval: list[Any] | None) -> bool | None:
    """Whether `value` lies in [lo, hi] (None where the interval is undefined)."""
    if not interval or interval[0] is None or interval[1] is None:
        return None
    return bool(interval[0] <= value <= interval[1])


def _entry(pub: Published, value: float, ci95: list[Any]) -> dict[str, Any]:
    out: dict[str, Any] = {"value": value, "source": pub.source, "within_ci95": within(value, ci95)}
    if pub.note:
        out["note"] = pub.note
    return out


def annotate(summary: dict[str, Any], spec: TrialSpec) -> dict[str, Any]:
    """Add the spec's published values to `summary` (in place; also returned)."""
    by_name = {e.name: e.published for e in spec.endpoints if e.published is not None}
    for arm, data in summary["arms"].items():
        for name, pub in by_name.items():
            value = pub.arm(arm)
            if value is not None:
                entry = data["endpoints"][name]
                entry["published"] = _entry(pub, value, entry["ci95"])
    for comp in summary["comparisons"]:
        pub = by_name.get(comp["endpoint"])
        value = pub.comparison(*comp["arms"]) if pub is not None else None
        if pub is not None and value is not None:
            comp["published"] = _entry(pub, value, comp["ci95"])
    return summary


def annotate_crossover(section: dict[str, Any], endpoints: dict[str, Published | None]) -> dict[str, Any]:
    """Add published values per treatment and per treatment comparison to a crossover section."""
    for treatment, data in section["treatments"].items():
        for name, entry in data.items():
            pub = endpoints.get(name)
            value = pub.arm(treatment) if pub is not None else None
            if pub is not None and value is not None:
                entry["published"] = _entry(pub, value, entry["ci95"])
    for comp in section["comparisons"]:
        pub = endpoints.get(comp["endpoint"])
        value = pub.comparison(*comp["treatments"]) if pub is not None else None
        if pub is not None and value is not None:
            comp["published"] = _entry(pub, value, comp["ci95"])
    return section
