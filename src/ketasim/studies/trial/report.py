"""report.html: a self-contained page (figures embedded as base64 PNG, no server, no network).

Shows the model version and hypothesis, CONSORT-like counts, mean trajectories with 95% bands
per arm for the endpoints' measures, a spaghetti plot of sample patients, the endpoint table and
the comparisons.
"""

from __future__ import annotations

import base64
import html
import io
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from ketasim.runtime.regimen import Dose  # noqa: E402
from ketasim.runtime.spec import Endpoint, TrialSpec  # noqa: E402
from ketasim.studies.trial.endpoints import ArmData  # noqa: E402
from ketasim.studies.trial.measures import measure_unit  # noqa: E402

_COLOURS = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#e377c2", "#17becf"]
_CSS = """body{font-family:system-ui,sans-serif;max-width:1100px;margin:2em auto;color:#222}
table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;padding:4px 8px;text-align:right}
th{background:#f3f3f3}th.l,td.l{text-align:left}td:first-child,th:first-child{text-align:left}img{max-width:100%}
.note{color:#666;font-size:90%}"""


def _png(fig: plt.Figure) -> str:
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
    whole = (spec.end_h, scale, f"time ({label})")
    return [(24.0, 1.0, "time (hours, first 24 h)"), whole] if scale > 1 else [whole]


def _trajectories(spec: TrialSpec, arms: dict[str, ArmData], measures: list[str]) -> str:
    panels = _panels(spec)
    n = len(measures)
    fig, axes = plt.subplots(n, len(panels), figsize=(5 * len(panels) if len(panels) > 1 else 9, 2.8 * n),
                             squeeze=False, layout="constrained")
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
                c = _COLOURS[i % len(_COLOURS)]
                ax.plot(t, mean, color=c, label=f"{name} (n={y.shape[0]})")
                if y.shape[0] > 1:
                    half = 1.96 * y.std(axis=0, ddof=1)[keep] / np.sqrt(y.shape[0])
                    ax.fill_between(t, mean - half, mean + half, color=c, alpha=0.2, linewidth=0)
            ax.set_ylabel(f"{m} ({measure_unit(m)})")
            ax.set_xlabel(label)
            if col == len(panels) - 1:
                ax.legend(fontsize=8)
    fig.suptitle("Mean per arm with 95% confidence band of the mean")
    return _png(fig)


def _spaghetti(spec: TrialSpec, arms: dict[str, ArmData], measure: str, per_arm: int = 8) -> str:
    panels = _panels(spec)
    fig, axes = plt.subplots(1, len(panels), figsize=(5 * len(panels) if len(panels) > 1 else 9, 3.2),
                             squeeze=False, layout="constrained")
    for col, (stop, scale, label) in enumerate(panels):
        ax = axes[0, col]
        for i, (name, data) in enumerate(arms.items()):
            y = data.measures[measure]
            keep = data.times <= stop + 1e-9
            c = _COLOURS[i % len(_COLOURS)]
            for j in range(min(per_arm, y.shape[0])):
                ax.plot(data.times[keep] / scale, y[j][keep], color=c, alpha=0.5, linewidth=0.8,
                        label=name if j == 0 else None)
        ax.set_xlabel(label)
        ax.set_ylabel(f"{measure} ({measure_unit(measure)})")
        if col == len(panels) - 1:
            ax.legend(fontsize=8)
    fig.suptitle(f"Sample patients: {measure} (the first {per_arm} of each arm)")
    return _png(fig)


def _hours(h: float, unit: str | None = None) -> str:
    """A time in `unit` (min, h, d) or the one a reader expects: minutes below 3 h, hours below 3 days."""
    unit = unit or ("min" if h < 3 else "h" if h < 72 else "d")
    value = {"min": h * 60, "h": h, "d": h / 24}[unit]
    return f"{value:.4g} {unit}"


def _times(times: tuple[float, ...]) -> str:
    """Dose times in one unit (days when any is 3 days or later)."""
    unit = "d" if max(times) >= 72 else "h" if max(times) >= 3 else "min"
    return ", ".join(_hours(t, unit) for t in times)


def _regimen(doses: tuple[Dose, ...]) -> str:
    """One line per regimen item: drug, route, dose, infusion length, sprays, dose times."""
    if not doses:
        return "no drug (placebo)"
    lines = []
    for d in doses:
        amount = f"{d.mg_per_kg:g} mg/kg" if d.mg_per_kg is not None else f"{d.amount_mg:g} mg"
        text = f"{d.drug} {d.route} {amount}"
        if d.sprays > 1:
            text += f" × {d.sprays} sprays {_hours(d.spray_interval_h)} apart"
        if d.duration_h > 0:
            text += f" over {_hours(d.duration_h)}"
        times = d.times_h
        steps = np.diff(times)
        if len(times) > 6 and np.allclose(steps, steps[0]):
            text += f" every {_hours(float(steps[0]))} from {_times(times[:1])} ({len(times)} doses)"
        elif len(times) > 6:
            text += " at " + _times(times[:4]) + f", … ({len(times)} doses)"
        else:
            text += " at " + _times(times)
        lines.append(html.escape(text))
    return "<br>".join(lines)


def _endpoint_definition(e: Endpoint) -> str:
    """When and how an endpoint is read (the spec's fields in words)."""
    if e.window_h is not None:
        return f"window {_hours(e.window_h[0])} to {_hours(e.window_h[1])}"
    parts = []
    if e.from_h is not None:
        parts.append(f"responders at {_hours(e.from_h)}")
        if e.consecutive > 1:
            parts.append(f"{e.consecutive} consecutive visits")
    if e.at_h is not None:
        parts.append(("by " if e.kind in ("relapse", "time_to_relapse") else "at ") + _hours(e.at_h))
    if e.cutoff is not None:
        parts.append(f"score ≤ {e.cutoff:g}")
    if e.kind in ("response", "relapse", "time_to_relapse"):
        parts.append(f"response = reduction ≥ {100 * e.threshold:g}%")
    return html.escape("; ".join(parts))


def _fmt(x: Any) -> str:
    if x is None:
        return "–"
    if isinstance(x, float):
        return f"{x:.4g}"
    return html.escape(str(x))


def _ci(ci: list[Any]) -> str:
    return f"[{_fmt(ci[0])}, {_fmt(ci[1])}]"


def _failure_banner(summary: dict[str, Any]) -> str:
    """A warning at the top when patients failed the solver (empty otherwise)."""
    f = summary.get("failures")
    if not f:
        return ""
    total = sum(a["size"] for a in summary["arms"].values())
    return (f"<p style='border:2px solid #b00;padding:.5em;color:#b00'><b>Incomplete: {f['patients']} of {total} "
            "patients failed the solver</b> and are left out of every estimate below (Patient flow lists them "
            "with the reason).</p>")


def write_report(path: Path, spec: TrialSpec, summary: dict[str, Any], arms: dict[str, ArmData],
                 failed: list[dict[str, Any]]) -> None:
    """Write the self-contained HTML report of a finished trial."""
    e_measures = list(dict.fromkeys(e.measure for e in spec.endpoints))
    model = summary["model"]
    parts = [f"<!doctype html><html><head><meta charset='utf-8'><title>{html.escape(spec.name)}</title>"
             f"<style>{_CSS}</style></head><body>", f"<h1>{html.escape(spec.name)}</h1>", _failure_banner(summary),
             f"<p>ketasim {html.escape(model['version'])}, hypothesis <b>{html.escape(model['hypothesis'])}</b>, "
             f"species {html.escape(model['species'])}, seed {spec.seed}, trial length {spec.end_h / 24:.4g} days. "
             f"<span class='note'>parameters sha256 {model['parameters_sha256'][:16]}…</span></p>"]
    parts.append("<h2>Design</h2><table><tr><th>arm</th><th>patients</th><th class='l'>regimen</th></tr>")
    for arm in spec.arms:
        parts.append(f"<tr><td>{html.escape(arm.name)}</td><td>{arm.size}</td>"
                     f"<td class='l'>{_regimen(arm.doses)}</td></tr>")
    pop = spec.population
    parts.append(f"</table><p class='note'>Population: {html.escape(pop.diagnosis)}, baseline "
                 f"{html.escape(pop.baseline.scale)} {pop.baseline.mean:g} ± {pop.baseline.sd:g} "
                 f"(inclusion {pop.baseline.low:g}-{pop.baseline.high:g}). Background treatments, when given, are "
                 "listed in every arm's regimen.</p>")
    parts.append("<h2>Patient flow</h2><table><tr><th>arm</th><th>randomised</th><th>simulated</th>"
                 "<th>solver failures</th><th>analysed</th></tr>")
    for name, a in summary["arms"].items():
        parts.append(f"<tr><td>{html.escape(name)}</td><td>{a['size']}</td><td>{a['simulated']}</td>"
                     f"<td>{len(a['failed'])}</td><td>{a['simulated']}</td></tr>")
    parts.append("</table>")
    for f in failed:
        parts.append(f"<p class='note'>patient {f['patient']} ({html.escape(f['arm'])}): {html.escape(f['error'])}</p>")
    parts.append("<h2>Endpoints</h2><table><tr><th>endpoint</th><th>kind</th><th>measure</th>"
                 "<th class='l'>definition</th>")
    parts += [f"<th>{html.escape(n)}</th>" for n in summary["arms"]]
    parts.append("<th>unit</th></tr>")
    for e in spec.endpoints:
        cells = []
        unit = ""
        for a in summary["arms"].values():
            v = a["endpoints"][e.name]
            unit = v["unit"]
            cells.append(f"<td>{_fmt(v['value'])} {_ci(v['ci95'])} <span class='note'>n={v['n']}</span></td>")
        parts.append(f"<tr><td>{html.escape(e.name)}</td><td>{e.kind}</td><td>{e.measure}</td>"
                     f"<td class='l'>{_endpoint_definition(e)}</td>{''.join(cells)}"
                     f"<td>{unit}</td></tr>")
    parts.append("</table><p class='note'>value [95% CI]; n = patients contributing (responders at `from` for "
                 "relapse endpoints). Time to relapse: Kaplan-Meier median in days from `from` "
                 "(– = not reached). Statistics: docs/statistics.md.</p>")
    if summary["comparisons"]:
        power = any("power" in c for c in summary["comparisons"])
        parts.append("<h2>Comparisons</h2><table><tr><th>arms</th><th>endpoint</th><th>difference</th>"
                     "<th>95% CI</th><th>p</th><th>test</th>" + ("<th>power</th>" if power else "") + "</tr>")
        for c in summary["comparisons"]:
            parts.append(f"<tr><td>{html.escape(' − '.join(c['arms']))}</td><td>{html.escape(c['endpoint'])}</td>"
                         f"<td>{_fmt(c['difference'])}</td><td>{_ci(c['ci95'])}</td><td>{_fmt(c['p_value'])}</td>"
                         f"<td>{html.escape(c['test'])}</td>" + (f"<td>{_fmt(c.get('power'))}</td>" if power else "")
                         + "</tr>")
        parts.append("</table>")
        if power:
            parts.append(f"<p class='note'>power = fraction of {summary.get('replicates')} replicates (the trial "
                         "rerun with seeds derived from the spec's seed) with p &lt; 0.05; the tables show "
                         "replicate 0.</p>")
    parts.append("<h2>Trajectories</h2>")
    parts.append(_trajectories(spec, arms, e_measures))
    parts.append(_spaghetti(spec, arms, e_measures[0]))
    parts.append(f"<p class='note'>Measures available in this run: {html.escape(', '.join(summary['measures']))}."
                 " All values are model predictions, not data.</p></body></html>")
    path.write_text("\n".join(parts), encoding="utf-8")
