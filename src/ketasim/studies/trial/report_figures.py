"""The report's figures, embedded as base64 PNG: visual predictive checks, mean bands, sample patients, and
predictions beside published values.
"""

from __future__ import annotations

import base64
import io
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from ketasim.runtime.spec import Endpoint, TrialSpec  # noqa: E402
from ketasim.studies.trial.endpoints import ArmData  # noqa: E402
from ketasim.studies.trial.labels import endpoint_label  # noqa: E402
from ketasim.studies.trial.measures import measure_label  # noqa: E402

COLOURS = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#e377c2", "#17becf"]


def png(fig: plt.Figure) -> str:
    """The figure as an <img> with an embedded PNG."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=90, bbox_inches="tight", metadata={"Software": None})
    plt.close(fig)
    return "<img alt='figure' src='data:image/png;base64," + base64.b64encode(buf.getvalue()).decode() + "'>"


def _time_axis(end_h: float) -> tuple[float, str]:
    return (24.0, "days") if end_h > 72 else (1.0, "hours")


def _panels(spec: TrialSpec) -> list[tuple[float, float, str]]:
    """(end of the window in h, time scale in h, axis label) of each column of a figure.

    Trials longer than 3 days get a first column for the first 24 h (hours), where the acute
    effects live (dissociation, blood pressure, drug levels), and a second for the whole trial.
    """
    scale, label = _time_axis(spec.end_h)
    whole = (spec.end_h, scale, f"time since randomisation ({label})")
    return [(24.0, 1.0, "time since randomisation (hours, first 24 h)"), whole] if scale > 1 else [whole]


def _axes(spec: TrialSpec, rows: int, height: float) -> tuple[plt.Figure, Any, list[tuple[float, float, str]]]:
    panels = _panels(spec)
    fig, axes = plt.subplots(rows, len(panels), figsize=(5.5 * len(panels) if len(panels) > 1 else 9, height * rows),
                             squeeze=False, layout="constrained")
    return fig, axes, panels


def _quantiles(y: Any, qs: tuple[float, ...]) -> tuple[list[np.ndarray], int]:
    """Per-time quantiles of an arm's patients: from the matrix, or from a streamed series' kept rows."""
    if isinstance(y, np.ndarray):
        return [np.quantile(y, q, axis=0) for q in qs], int(y.shape[0])
    return [y.quantile(q) for q in qs], int(y.quantile_n)


def _published_points(spec: TrialSpec, measure: str, arm: str, y: Any) -> list[tuple[float, float]]:
    """(time h, score) of an arm's published values on `measure` (changes added to the arm's mean baseline)."""
    out = []
    for e in spec.endpoints:
        value = e.published.arm(arm) if e.published is not None else None
        if value is None or e.measure != measure or e.at_h is None:
            continue
        if e.kind == "value":
            out.append((e.at_h, value))
        elif e.kind == "change":
            out.append((e.at_h, float(y.mean(axis=0)[0]) + value))
    return out


def vpc(spec: TrialSpec, arms: dict[str, ArmData], measures: list[str]) -> str:
    """Visual predictive check: median and 5-95% band of patients per arm, published values as points."""
    fig, axes, panels = _axes(spec, len(measures), 3.0)
    shown_n: list[str] = []
    for row, m in enumerate(measures):
        for col, (stop, scale, label) in enumerate(panels):
            ax = axes[row, col]
            for i, (name, data) in enumerate(arms.items()):
                y = data.measures[m]
                if y.shape[0] == 0:
                    continue
                keep = data.times <= stop + 1e-9
                (lo, med, hi), n = _quantiles(y, (0.05, 0.5, 0.95))
                c = COLOURS[i % len(COLOURS)]
                t = data.times[keep] / scale
                ax.plot(t, med[keep], color=c, label=f"{name}: median (n={y.shape[0]})")
                ax.fill_between(t, lo[keep], hi[keep], color=c, alpha=0.15, linewidth=0,
                                label=f"{name}: 5-95% of patients")
                if n < y.shape[0] and row == 0 and col == 0:
                    shown_n.append(f"{name}: bands from the first {n} of {y.shape[0]} patients")
                pts = [(t_h, v) for t_h, v in _published_points(spec, m, name, y) if t_h <= stop + 1e-9]
                if pts:
                    ax.plot([p[0] / scale for p in pts], [p[1] for p in pts], "D", color=c, markeredgecolor="k",
                            markersize=7, linestyle="none", label=f"{name}: published")
            ax.set_ylabel(measure_label(m), fontsize=9)
            ax.set_xlabel(label)
            if col == len(panels) - 1:
                ax.legend(fontsize=7)
    title = ("Visual predictive check: median and 5-95% of virtual patients per arm; ◆ published arm mean "
             "(a published change is drawn from the arm's mean baseline)")
    fig.suptitle(title + (f" ({'; '.join(shown_n)})" if shown_n else ""), fontsize=10)
    return png(fig)


def trajectories(spec: TrialSpec, arms: dict[str, ArmData], measures: list[str]) -> str:
    """Arm means with the 95% confidence band of the mean."""
    fig, axes, panels = _axes(spec, len(measures), 2.8)
    for row, m in enumerate(measures):
        for col, (stop, scale, label) in enumerate(panels):
            ax = axes[row, col]
            for i, (name, data) in enumerate(arms.items()):
                y = data.measures[m]
                if y.shape[0] == 0:
                    continue
                keep = data.times <= stop + 1e-9
                t = data.times[keep] / scale
                mean = y.mean(axis=0)[keep]
                c = COLOURS[i % len(COLOURS)]
                ax.plot(t, mean, color=c, label=f"{name} (n={y.shape[0]})")
                if y.shape[0] > 1:
                    half = 1.96 * y.std(axis=0, ddof=1)[keep] / np.sqrt(y.shape[0])
                    ax.fill_between(t, mean - half, mean + half, color=c, alpha=0.2, linewidth=0)
            ax.set_ylabel(measure_label(m), fontsize=9)
            ax.set_xlabel(label)
            if col == len(panels) - 1:
                ax.legend(fontsize=8)
    fig.suptitle("Mean per arm with the 95% confidence band of the mean (not of patients)", fontsize=10)
    return png(fig)


def spaghetti(spec: TrialSpec, arms: dict[str, ArmData], measure: str, per_arm: int = 8) -> str:
    """The first `per_arm` patients of each arm, one line each."""
    fig, axes, panels = _axes(spec, 1, 3.2)
    for col, (stop, scale, label) in enumerate(panels):
        ax = axes[0, col]
        for i, (name, data) in enumerate(arms.items()):
            y = data.measures[measure]
            keep = data.times <= stop + 1e-9
            c = COLOURS[i % len(COLOURS)]
            for j in range(min(per_arm, y.shape[0])):
                ax.plot(data.times[keep] / scale, y[j][keep], color=c, alpha=0.5, linewidth=0.8,
                        label=name if j == 0 else None)
        ax.set_xlabel(label)
        ax.set_ylabel(measure_label(measure), fontsize=9)
        if col == len(panels) - 1:
            ax.legend(fontsize=8)
    fig.suptitle(f"Individual virtual patients: {measure_label(measure, unit=False)} (the first {per_arm} "
                 "of each arm)", fontsize=10)
    return png(fig)


def forest(spec: TrialSpec, summary: dict[str, Any]) -> str | None:
    """Each arm's predicted value with its intervals beside the published value (None: nothing published)."""
    rows: list[tuple[str, dict[str, Any], float]] = []
    ends: dict[str, Endpoint] = {e.name: e for e in spec.endpoints}
    for e in spec.endpoints:
        for arm, data in summary["arms"].items():
            entry = data["endpoints"][e.name]
            if "published" in entry:
                rows.append((f"{endpoint_label(ends[e.name])}\n{arm}", entry, entry["published"]["value"]))
    if not rows:
        return None
    fig, axes = plt.subplots(len(rows), 1, figsize=(9, 0.75 * len(rows) + 0.8), squeeze=False, layout="constrained")
    for k, (text, entry, pub) in enumerate(rows):
        ax = axes[k, 0]
        f = 100.0 if entry["unit"] == "fraction" else 1.0  # shares of patients in %
        if entry.get("pi95") and None not in entry["pi95"]:
            ax.plot([f * v for v in entry["pi95"]], [0, 0], color="#9ecae1", linewidth=8, solid_capstyle="butt",
                    label="95% prediction interval")
        if None not in entry["ci95"]:
            ax.plot([f * v for v in entry["ci95"]], [0, 0], color="#1f77b4", linewidth=2.5, label="95% CI of the mean")
        if entry["value"] is not None:
            ax.plot([f * entry["value"]], [0], "o", color="#1f77b4", label="prediction")
        ax.plot([f * pub], [0], "D", color="#d62728", markeredgecolor="k", label="published")
        ax.set_yticks([])
        unit = "% of patients" if f == 100.0 else entry["unit"]
        ax.set_title(text.replace("\n", ": ") + f" ({unit})", fontsize=8, loc="left")
        ax.tick_params(axis="x", labelsize=8)
        if k == 0:
            ax.legend(fontsize=7, loc="center left", bbox_to_anchor=(1.01, 0.5))
    fig.suptitle("Prediction beside the published result (each row on its own scale)", fontsize=10)
    return png(fig)
