"""Scalar read-outs of simulated time courses, written as short strings.

`MADRS@24h` (value at 24 h), `change:MADRS@24h` (value at 24 h minus value at 0),
`peak:CADSS@0-4h` (maximum over 0-4 h; `peak:CADSS` uses 0-24 h), `auc:nmdar_block_int@0-6h`
(trapezoidal area, output unit x h). Times accept `h` or `d` suffixes.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from ketasim.model.errors import UserError

KINDS = ("value", "change", "peak", "auc")
_TIME = r"([0-9.]+)\s*([hd]?)"
_PATTERN = re.compile(rf"^(?:(value|change|peak|auc):)?([A-Za-z_][A-Za-z0-9_]*)(?:@{_TIME}(?:-{_TIME})?)?$")
#: points per hour of the grid of peak/auc windows (up to 400 points per window)
_PER_WINDOW = 400


def _hours(number: str, unit: str) -> float:
    return float(number) * (24.0 if unit == "d" else 1.0)


@dataclass(frozen=True)
class Metric:
    """One read-out: `kind` of `output` at time t1 (value, change) or over [t0, t1] (peak, auc)."""

    text: str
    kind: str
    output: str
    t0: float
    t1: float

    def times(self) -> np.ndarray:
        """The output times this metric needs."""
        if self.kind in ("value", "change"):
            return np.array([0.0, self.t1])
        return np.linspace(self.t0, self.t1, _PER_WINDOW + 1)

    def compute(self, t: np.ndarray, y: np.ndarray) -> np.ndarray:
        """The metric of series y (n_samples, n_times) sampled at times t."""
        if self.kind == "value":
            return y[:, _index(t, self.t1)]
        if self.kind == "change":
            return y[:, _index(t, self.t1)] - y[:, _index(t, 0.0)]
        m = (t >= self.t0 - 1e-9) & (t <= self.t1 + 1e-9)
        if self.kind == "peak":
            return np.max(y[:, m], axis=1)
        return np.trapezoid(y[:, m], t[m], axis=1)


def _index(t: np.ndarray, value: float) -> int:
    i = int(np.argmin(np.abs(t - value)))
    if abs(t[i] - value) > 1e-9:
        raise ValueError(f"time {value} h is not on the grid")
    return i


def parse_metric(text: str, field: str = "output") -> Metric:
    """Parse one metric string (see the module docstring); bad syntax is a UserError."""
    m = _PATTERN.match(text.strip())
    if not m:
        raise UserError(field, f"cannot read {text!r}; write e.g. change:MADRS@24h, peak:CADSS@0-4h, "
                               "auc:nmdar_block_int@0-6h or brain_ketamine@1h")
    kind, output, n1, u1, n2, u2 = m.groups()
    kind = kind or "value"
    if n1 is None:
        if kind in ("value", "change"):
            raise UserError(field, f"{text!r} needs a time, e.g. {kind}:{output}@24h")
        t0, t1 = 0.0, 24.0
    elif n2 is None:
        t0, t1 = (0.0, _hours(n1, u1)) if kind in ("peak", "auc") else (0.0, _hours(n1, u1))
    else:
        if kind not in ("peak", "auc"):
            raise UserError(field, f"{text!r}: a time window a-b is only for peak: and auc:")
        t0, t1 = _hours(n1, u1), _hours(n2, u2)
    if not t1 > t0 and kind in ("peak", "auc"):
        raise UserError(field, f"{text!r}: the window must end after it starts")
    return Metric(text.strip(), kind, output, t0, t1)


def check_outputs(metrics: Sequence[Metric], available: Sequence[str], field: str = "output") -> None:
    """UserError unless every metric's output exists in the model."""
    for m in metrics:
        if m.output not in available:
            close = [a for a in available if m.output.lower() in a.lower()][:6]
            hint = f" (did you mean {', '.join(close)}?)" if close else ""
            raise UserError(field, f"the model has no output {m.output!r}{hint}; see docs/model.md for the outputs")


def metric_grid(metrics: Sequence[Metric]) -> np.ndarray:
    """The union of the times all metrics need, sorted."""
    return np.unique(np.round(np.concatenate([m.times() for m in metrics]), 9))
