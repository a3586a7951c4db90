"""The figure of a single run: plasma and brain exposure, then one panel per mechanistic readout.

A single session is drawn on a log time axis from minutes to weeks; repeated sessions on days.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from ketasim.model.compounds import get_drug
from ketasim.studies.pkmetrics import ANALYTES
from ketasim.studies.single_result import SimulationResult


def analytes_of(result: SimulationResult, drug: str) -> dict[str, str]:
    """Plasma outputs to report: the ketamine family's, or a comparator's own."""
    outputs = result.trajectories[0].outputs
    if get_drug(drug).family == "ketamine":
        return {k: v for k, v in ANALYTES.items() if k in outputs}
    name = get_drug(drug).name
    return {f"plasma_{name}": name} if f"plasma_{name}" in outputs else {}



#: mechanistic panels: title, y label, output names or a prefix ending in "*"
PANELS: list[tuple[str, str, list[str]]] = [
    ("NMDA receptor block", "fraction blocked", ["nmdar_block_*"]),
    ("Cortical glutamate", "% of baseline", ["glutamate"]),
    ("BDNF and mTORC1", "relative to baseline", ["bdnf", "mtorc1"]),
    ("Dendritic spines", "% of healthy", ["spine_density"]),
    ("Depression (MADRS)", "score", ["MADRS"]),
    ("Dissociation (CADSS)", "score", ["CADSS"]),
    ("Blood pressure", "mmHg", ["SBP", "DBP"]),
]
_PLASMA_COLOURS = {"plasma_ketamine": "black", "plasma_s_ketamine": "tab:blue", "plasma_r_ketamine": "tab:red",
                   "plasma_norketamine": "tab:orange", "plasma_hnk": "tab:green", "plasma_2r6r_hnk": "tab:olive",
                   "plasma_dhnk": "tab:purple"}
_TICKS_H = [(1 / 6, "10 min"), (1.0, "1 h"), (6.0, "6 h"), (24.0, "1 d"), (72.0, "3 d"), (168.0, "7 d"),
            (336.0, "14 d"), (672.0, "28 d"), (2016.0, "12 wk"), (4380.0, "6 mo"), (8760.0, "1 y")]


def _panel_outputs(outputs: Sequence[str], spec: list[str]) -> list[str]:
    names: list[str] = []
    for s in spec:
        if s.endswith("*"):
            names += sorted(o for o in outputs if o.startswith(s[:-1]))
        elif s in outputs:
            names.append(s)
    return names


def _series(result: SimulationResult, name: str) -> np.ndarray:
    return np.vstack([np.asarray(tr.outputs[name], dtype=float) for tr in result.trajectories])


def _draw(ax: object, t: np.ndarray, y: np.ndarray, label: str, **style: object) -> None:
    if y.shape[0] == 1:
        ax.plot(t, y[0], label=label, **style)  # type: ignore[attr-defined]
        return
    lo, mid, hi = np.percentile(y, [5, 50, 95], axis=0)
    (line,) = ax.plot(t, mid, label=f"{label} (median)", **style)  # type: ignore[attr-defined]
    ax.fill_between(t, lo, hi, color=line.get_color(), alpha=0.15, linewidth=0)  # type: ignore[attr-defined]


def make_figure(result: SimulationResult, path: Path, title: str) -> list[str]:
    """The multi-panel figure on a shared time axis; returns the panel titles, top to bottom.

    A single session is drawn on a log axis (minutes to weeks); repeated sessions on days.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    outputs = list(result.trajectories[0].outputs)
    panels = [(tt, yl, names) for tt, yl, spec in PANELS if (names := _panel_outputs(outputs, spec))]
    n = 1 + len(panels)
    fig, axes = plt.subplots(n, 1, sharex=True, figsize=(9, 2.2 + 2.1 * n), squeeze=False)
    axes = axes[:, 0]
    t = result.times_h
    sessions = len(result.dose_times_h) > 1 and result.dose_times_h[-1] - result.dose_times_h[0] > 12.0
    t_min = 0.0 if sessions else 1 / 60.0  # repeated sessions read better on a linear axis in days
    shown = t >= t_min
    ax = axes[0]
    peak = 0.0
    colours = _PLASMA_COLOURS if get_drug(result.drug).family == "ketamine" else {
        f"plasma_{result.drug}": "black"}
    labels = {**ANALYTES, **analytes_of(result, result.drug)}
    for name, colour in colours.items():
        if name in outputs:
            y = _series(result, name)
            if not np.nanmax(y) > 0:
                continue  # e.g. R-ketamine after esketamine: nothing to draw on a log axis
            peak = max(peak, float(np.nanmax(y)))
            _draw(ax, t[shown], y[:, shown], labels[name], color=colour, linewidth=1.4)
    brain = "brain_ketamine" if get_drug(result.drug).family == "ketamine" else f"brain_{result.drug}"
    if brain in outputs and np.nanmax(_series(result, brain)) > 0:
        y = _series(result, brain)
        peak = max(peak, float(np.nanmax(y)))
        _draw(ax, t[shown], y[:, shown], f"{brain.replace('_', ' ')} (tissue)", color="black", linestyle="--",
              linewidth=1.2)
    ax.set_yscale("log")
    bottom = max(1e-2, peak * 1e-5) if peak > 0 else 1e-2
    ax.set_ylim(bottom, max(peak * 2, bottom * 10))
    ax.set_ylabel("ng/mL")
    ax.set_title("Plasma and brain concentrations", fontsize=10, loc="left")
    ax.legend(fontsize=7, ncol=2, loc="upper right", frameon=False)
    for ax_i, (panel_title, ylabel, names) in zip(axes[1:], panels, strict=True):
        for name in names:
            label = name.removeprefix("nmdar_block_") if name.startswith("nmdar_block_") else name
            _draw(ax_i, t[shown], _series(result, name)[:, shown], label, linewidth=1.3)
        ax_i.set_ylabel(ylabel)
        ax_i.set_title(panel_title, fontsize=10, loc="left")
        if len(names) > 1:
            ax_i.legend(fontsize=7, ncol=3, loc="best", frameon=False)
    for ax_i in axes:
        for td in result.dose_times_h:
            if td >= t_min:
                ax_i.axvline(td, color="0.6", linewidth=0.6, linestyle=":")
        ax_i.grid(True, which="major", color="0.92")
    bottom_ax = axes[-1]
    if sessions:
        days = t[-1] / 24.0
        step = next(s for s in (1, 2, 7, 14, 28, 56, 91) if days / s <= 12)
        bottom_ax.set_xlim(0.0, t[-1])
        ticks_d = np.arange(0.0, days + 1e-9, step)
        bottom_ax.set_xticks(ticks_d * 24.0, [f"{d:g}" for d in ticks_d])
        bottom_ax.set_xlabel("time since first dose (days; dotted lines: doses)")
    else:
        bottom_ax.set_xscale("log")
        bottom_ax.set_xlim(2 * t_min if t[-1] > 1 else t_min, t[-1])
        lo, hi = bottom_ax.get_xlim()
        ticks = [(v, s) for v, s in _TICKS_H if lo <= v <= hi]
        bottom_ax.set_xticks([v for v, _ in ticks], [s for _, s in ticks])
        # no minor ticks on the shared log time axis: hundreds of tick artists, most of the drawing time
        bottom_ax.xaxis.set_minor_locator(matplotlib.ticker.NullLocator())
        bottom_ax.set_xlabel("time since first dose (log scale; dotted lines: doses)")
    # fixed margins in inches (what tight_layout found for this figure, at a fraction of its cost)
    height = fig.get_figheight()
    fig.suptitle(title, fontsize=11, y=1 - 0.15 / height, va="top")
    fig.subplots_adjust(left=0.09, right=0.98, top=1 - 0.65 / height, bottom=0.5 / height, hspace=0.3)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return ["Plasma and brain concentrations", *(p[0] for p in panels)]

