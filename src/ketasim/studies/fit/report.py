"""Outputs of a fit: the estimates table, the JSON document and the figure."""

from __future__ import annotations

import json
import math
from dataclasses import asdict
from pathlib import Path
from typing import Any

import numpy as np

from ketasim.studies.fit.datafit import FitResult


def _g(x: float) -> str:
    return "-" if x is None or not math.isfinite(x) else f"{x:.4g}"


def table(result: FitResult) -> str:
    """Plain-text table: parameter, unit, start, estimate, 95% CI, bounds."""
    head = f"{'parameter':<14} {'unit':<14} {'start':>9} {'estimate':>10} {'95% CI':>22} {'bounds':>18}"
    lines = [head, "-" * len(head)]
    for e in result.estimates:
        ci = f"[{_g(e.ci_low)}, {_g(e.ci_high)}]"
        lines.append(f"{e.name:<14} {e.unit:<14} {_g(e.nominal):>9} {_g(e.estimate):>10} {ci:>22} "
                     f"{'[' + _g(e.low) + ', ' + _g(e.high) + ']':>18}")
    lines.append(f"objective ({result.objective_name}): {result.objective:.6g}; intervals: {result.ci_method}; "
                 f"starts {result.n_starts} ({result.n_converged} converged); model evaluations "
                 f"{result.calls} batched calls" if result.kind == "data" else
                 f"objective ({result.objective_name}): {result.objective:.6g}; evaluations {result.calls}")
    if result.kind == "targets":
        b, a = result.details["before"], result.details["after"]
        lines.append(f"score before: {b['passed']}/{b['total']} passed (objective {b['objective']:.4g}); "
                     f"after: {a['passed']}/{a['total']} passed (objective {a['objective']:.4g})")
    return "\n".join(lines)


def _clean(obj: Any) -> Any:
    if isinstance(obj, dict):
        return {str(k): _clean(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_clean(v) for v in obj]
    if isinstance(obj, np.ndarray):
        return _clean(obj.tolist())
    if isinstance(obj, (float, np.floating)):
        x = float(obj)
        return x if math.isfinite(x) else None
    if isinstance(obj, np.integer):
        return int(obj)
    return obj


def to_json(result: FitResult) -> dict[str, Any]:
    """JSON document: kind, estimates (with CIs), objective, method, details, observed/predicted."""
    doc: dict[str, Any] = {
        "kind": result.kind,
        "estimates": [asdict(e) for e in result.estimates],
        "objective": result.objective,
        "objective_name": result.objective_name,
        "ci_method": result.ci_method,
        "n_starts": result.n_starts,
        "n_converged": result.n_converged,
        "calls": result.calls,
        "details": result.details,
    }
    if result.observed is not None and result.predicted is not None:
        doc["observations"] = [{"output": o, "observed": float(y), "predicted": float(f)} for o, y, f in
                               zip(result.obs_outputs, result.observed, result.predicted, strict=True)]
    return _clean(doc)


def write_json(result: FitResult, path: Path) -> None:
    path.write_text(json.dumps(to_json(result), indent=1) + "\n", encoding="utf-8")


def figure(result: FitResult, path: Path, title: str = "") -> None:
    """Observed vs predicted (data fits) or scorecard distances before and after (target fits)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(5.2, 4.6))
    if result.kind == "data" and result.observed is not None and result.predicted is not None:
        y, f = result.observed, result.predicted
        for o in sorted(set(result.obs_outputs)):
            m = np.array([x == o for x in result.obs_outputs])
            ax.scatter(f[m], y[m], s=12, alpha=0.7, label=o)
        pos = np.concatenate([y[y > 0], f[f > 0]])
        lo, hi = (pos.min() * 0.8, pos.max() * 1.25) if pos.size else (0.1, 10)
        ax.plot([lo, hi], [lo, hi], "k--", lw=1, label="identity")
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlim(lo, hi)
        ax.set_ylim(lo, hi)
        ax.set_xlabel("predicted")
        ax.set_ylabel("observed")
        ax.legend(fontsize=8)
        est = "; ".join(f"{e.name} {e.estimate:.3g} [{e.ci_low:.3g}, {e.ci_high:.3g}]" for e in result.estimates)
        ax.set_title((title + "\n" if title else "") + est, fontsize=8)
    else:
        b, a = result.details["before"]["distances"], result.details["after"]["distances"]
        ids = list(b)
        xs = np.arange(len(ids))
        ax.bar(xs - 0.2, [b[i] or 0 for i in ids], 0.4, label="before")
        ax.bar(xs + 0.2, [a[i] or 0 for i in ids], 0.4, label="after fit")
        ax.set_xticks(xs, ids, rotation=30, ha="right", fontsize=7)
        ax.set_ylabel("scorecard distance (range widths outside the range)")
        est = "; ".join(f"{e.name}: {e.nominal:.3g} -> {e.estimate:.3g} {e.unit}" for e in result.estimates)
        ax.set_title((title + "\n" if title else "") + est, fontsize=8)
        ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
