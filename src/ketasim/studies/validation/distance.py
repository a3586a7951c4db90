"""Likelihood-style distances between a target's published value and the simulated one.

Beside pass/fail, every result carries a distance:

- `z` (per compared quantity): (simulated - published) / SE, where the SE comes from the target's
  `uncertainty` as the paper gives it: `{se: x}`, `{ci95: [lo, hi]}` (SE = width / 3.92),
  `{ci90: ...}`, `{ci80: ...}`, `{sd: s, n: k}` (SE = s / sqrt(k)), `{n: k}` for a proportion
  (binomial SE), `{gsd: g, n: k}` for a geometric mean (z on the log scale). `uncertainty` is either
  one such mapping (for a scalar value) or a mapping from value keys to such mappings;
- `nll`: 0.5 * sum(z^2), the negative Gaussian log-likelihood up to a constant;
- `distance`: always the band distance the pass rule records (0 inside the band, else the distance
  to the nearest edge in band widths), as before; `z_max` = max |z| where z exists.

A simulated quantity is matched to a published one by key: the same key, or failing that a
simulated key that starts or ends with it.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from ketasim.studies.validation.targets import Target

#: two-sided normal quantiles of the confidence levels a paper may give
_Q = {"ci95": 1.959964, "ci90": 1.644854, "ci80": 1.281552}
_KEYS = {"se", "sd", "n", "gsd", *_Q}


def _is_spec(u: Any) -> bool:
    return isinstance(u, Mapping) and bool(u) and set(u) <= _KEYS


def standard_error(u: Mapping[str, Any], value: float) -> tuple[float | None, bool]:
    """(SE, log scale?) from one uncertainty mapping; (None, False) when no SE can be formed."""
    if "se" in u:
        return float(u["se"]), False
    for key, q in _Q.items():
        if key in u:
            lo, hi = (float(x) for x in u[key])
            return (hi - lo) / (2 * q), False
    n = u.get("n")
    if "gsd" in u and n:
        return math.log(float(u["gsd"])) / math.sqrt(float(n)), True
    if "sd" in u and n:
        return float(u["sd"]) / math.sqrt(float(n)), False
    if n and 0.0 <= value <= 1.0:  # a proportion: binomial SE, kept away from zero at the edges
        p = min(max(value, 0.5 / float(n)), 1 - 0.5 / float(n))
        return math.sqrt(p * (1 - p) / float(n)), False
    return None, False


def _find(simulated: Mapping[str, Any], key: str) -> float | None:
    cands = [key] + [k for k in simulated if k != key and (k.startswith(key) or k.endswith(key))]
    for k in cands:
        v = simulated.get(k)
        if isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(float(v)):
            return float(v)
    return None


def _pairs(target: Target) -> list[tuple[str, float, Mapping[str, Any]]]:
    """(key, published value, uncertainty) for every quantity with an uncertainty."""
    u, v = target.uncertainty, target.value
    if not u:
        return []
    if _is_spec(u) and isinstance(v, (int, float)):
        return [("value", float(v), u)]
    out = []
    if isinstance(u, Mapping) and isinstance(v, Mapping):
        for key, spec in u.items():
            if _is_spec(spec) and isinstance(v.get(key), (int, float)):
                out.append((str(key), float(v[key]), spec))
    return out


def zscores(target: Target, simulated: Mapping[str, Any]) -> dict[str, float]:
    """z of every published quantity that has an uncertainty and a simulated counterpart."""
    z: dict[str, float] = {}
    for key, pub, spec in _pairs(target):
        sim = _find(simulated, key) if key != "value" else _scalar(simulated)
        if sim is None:
            continue
        se, log = standard_error(spec, pub)
        if not se or se <= 0:
            continue
        if log:
            if sim <= 0 or pub <= 0:
                continue
            z[key] = (math.log(sim) - math.log(pub)) / se
        else:
            z[key] = (sim - pub) / se
    return z


def _scalar(simulated: Mapping[str, Any]) -> float | None:
    if "value" in simulated:
        return _find(simulated, "value")
    nums = [k for k, x in simulated.items() if isinstance(x, (int, float)) and not isinstance(x, bool)]
    return _find(simulated, nums[0]) if len(nums) == 1 else None


def distance(target: Target, simulated: Mapping[str, Any], band: float | None) -> dict[str, Any]:
    """The distance record of one result: band distance, and z, z_max, nll where an SE exists."""
    z = zscores(target, simulated)
    if z:
        return {"distance": band, "z": z, "z_max": max(abs(x) for x in z.values()),
                "nll": 0.5 * sum(x * x for x in z.values())}
    return {"distance": band, "z": None, "z_max": None, "nll": None}
