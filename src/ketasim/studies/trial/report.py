"""report.html: a self-contained page (figures embedded as base64 PNG, no server, no network).

Written for the clinician who reads it: the design, patient flow, each endpoint in words with the
prediction, its intervals and the published value side by side (flagged when the published value
falls outside the interval), the comparisons with the meaning of their sign, visual predictive
checks (median and 5-95% of patients, published points on them), mean bands and sample patients.
"""

from __future__ import annotations

import html
from pathlib import Path
from typing import Any

import numpy as np

from ketasim.runtime.regimen import Dose
from ketasim.runtime.spec import TrialSpec
from ketasim.studies.trial import report_figures as figs
from ketasim.studies.trial.endpoints import ArmData
from ketasim.studies.trial.labels import endpoint_label, hours, sign_convention
from ketasim.studies.trial.published import within

_CSS = """body{font-family:system-ui,sans-serif;max-width:1150px;margin:2em auto;color:#222}
table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;padding:4px 8px;text-align:right}
th{background:#f3f3f3}th.l,td.l{text-align:left}td:first-child,th:first-child{text-align:left}img{max-width:100%}
.note{color:#666;font-size:90%}.out{color:#b00;font-weight:bold}.in{color:#070}.na{color:#666;font-style:italic}"""


def _times(times: tuple[float, ...]) -> str:
    """Dose times in one unit (days when any is 3 days or later)."""
    unit = "d" if max(times) >= 72 else "h" if max(times) >= 3 else "min"
    return ", ".join(hours(t, unit) for t in times)


def _regimen(doses: tuple[Dose, ...]) -> str:
    """One line per regimen item: drug, route, dose, infusion length, sprays, dose times."""
    if not doses:
        return "no drug (placebo)"
    lines = []
    for d in doses:
        if d.is_intervention:
            text = f"{d.drug} ({d.dose_text})"
        elif d.is_placebo:
            text = f"placebo {d.route} (vehicle, no drug)"
        else:
            amount = d.dose_text
            text = f"{d.drug} {d.route} {amount}"
        if d.sprays > 1:
            text += f" × {d.sprays} sprays {hours(d.spray_interval_h)} apart"
        if d.duration_h > 0 and not d.is_intervention:
            text += f" over {hours(d.duration_h)}"
        times, what = d.times_h, "sessions" if d.is_intervention else "doses"
        steps = np.diff(times)
        if len(times) > 6 and np.allclose(steps, steps[0]):
            text += f" every {hours(float(steps[0]))} from {_times(times[:1])} ({len(times)} {what})"
        elif len(times) > 6:
            text += " at " + _times(times[:4]) + f", … ({len(times)} {what})"
        else:
            text += " at " + _times(times)
        lines.append(html.escape(text))
    return "<br>".join(lines)



def _fmt(x: Any, unit: str = "") -> str:
    """A number as a reader expects it: 4 significant digits, fractions of patients as percentages."""
    if x is None:
        return "–"
    if unit == "fraction" and isinstance(x, (int, float)):
        return f"{100 * x:.3g}%"
    if isinstance(x, float):
        return f"{x:.4g}"
    return html.escape(str(x))


def _ci(ci: list[Any] | None, unit: str = "") -> str:
    return "–" if not ci else f"[{_fmt(ci[0], unit)}, {_fmt(ci[1], unit)}]"


def _pp(x: Any, kind: str) -> str:
    """A difference; of proportions, in percentage points."""
    if x is not None and kind in ("response", "remission", "relapse"):
        return f"{100 * x:.3g} pp"
    return _fmt(x)


def _flag(entry: dict[str, Any]) -> str:
    """Whether the published value lies inside the widest interval shown (PI when present, else CI)."""
    pub = entry["published"]["value"]
    key = "pi95" if entry.get("pi95") else "ci95"
    inside = within(pub, entry.get(key))
    name = "95% PI" if key == "pi95" else "95% CI"
    if inside is None:
        return "<span class='na'>no interval</span>"
    return f"<span class='in'>inside {name}</span>" if inside else f"<span class='out'>OUTSIDE {name}</span>"


def _published_table(spec: TrialSpec, summary: dict[str, Any]) -> list[str]:
    """Prediction, intervals and published value side by side, one row per arm or comparison."""
    rows = []
    pi = any("pi95" in v for a in summary["arms"].values() for v in a["endpoints"].values())
    first = next(iter(summary["arms"].values()))
    for e in spec.endpoints:
        for arm, data in summary["arms"].items():
            entry = data["endpoints"][e.name]
            if "published" in entry:
                rows.append((e, html.escape(arm), entry))
        for c in summary["comparisons"]:
            if c["endpoint"] == e.name and "published" in c:
                rows.append((e, html.escape(" − ".join(c["arms"])) + " (difference)",
                             {**c, "value": c["difference"], "unit": first["endpoints"][e.name]["unit"]}))
    if not rows:
        return []
    out = ["<h2>Prediction beside the published result</h2><table><tr><th class='l'>endpoint</th><th>arm</th>"
           "<th>prediction</th><th>95% CI of the mean</th>" + ("<th>95% prediction interval</th>" if pi else "")
           + "<th>published</th><th>published value is</th><th class='l'>source</th></tr>"]
    for e, who, entry in rows:
        pub = entry["published"]
        note = f"<br><span class='note'>{html.escape(pub['note'])}</span>" if pub.get("note") else ""
        u = entry["unit"]
        shown = "" if u == "fraction" else " " + html.escape(u)
        out.append(f"<tr><td class='l'>{html.escape(endpoint_label(e))}</td><td>{who}</td>"
                   f"<td>{_fmt(entry['value'], u)}{shown}</td><td>{_ci(entry['ci95'], u)}</td>"
                   + (f"<td>{_ci(entry.get('pi95'), u)}</td>" if pi else "")
                   + f"<td>{_fmt(pub['value'], u)}</td><td>{_flag(entry)}</td>"
                   f"<td class='l'>{html.escape(pub['source'])}{note}</td></tr>")
    out.append("</table><p class='note'>The 95% CI of the mean says how precisely this simulation estimates "
               "the arm's mean; it narrows as more virtual patients are simulated and is not the range a real "
               "trial of this size would show (that is the 95% prediction interval, shown when the run "
               "includes parameter uncertainty). A published value outside the CI is therefore a signal to "
               "look at, not a refutation.</p>")
    return out


def _endpoint_table(spec: TrialSpec, summary: dict[str, Any]) -> list[str]:
    out = ["<h2>Endpoints</h2><table><tr><th class='l'>endpoint</th>"]
    out += [f"<th>{html.escape(n)}</th>" for n in summary["arms"]]
    out.append("<th>unit</th></tr>")
    for e in spec.endpoints:
        cells, unit = [], ""
        for a in summary["arms"].values():
            v = a["endpoints"][e.name]
            unit = v["unit"]
            pi = f"<br><span class='note'>95% PI {_ci(v['pi95'], unit)}</span>" if v.get("pi95") else ""
            pub = (f"<br><span class='note'>published {_fmt(v['published']['value'], unit)}</span>"
                   if "published" in v else "")
            cells.append(f"<td>{_fmt(v['value'], unit)} {_ci(v['ci95'], unit)} "
                         f"<span class='note'>n={v['n']}</span>{pi}{pub}</td>")
        out.append(f"<tr><td class='l'>{html.escape(endpoint_label(e))}</td>{''.join(cells)}"
                   f"<td>{'% of patients' if unit == 'fraction' else html.escape(unit)}</td></tr>")
    out.append("</table><p class='note'>prediction [95% CI of the mean]; n = patients contributing (responders "
               "at the start of follow-up for relapse endpoints). Shares of patients are in % "
               "(summary.json: fractions). "
               "Median time to relapse: Kaplan-Meier, – = not reached. Statistics: docs/statistics.md.</p>")
    return out


def _crossover_table(spec: TrialSpec, summary: dict[str, Any]) -> list[str]:
    """Per-treatment values and within-patient comparisons of a crossover."""
    co, cs = spec.crossover, summary.get("crossover")
    if co is None or cs is None:
        return []
    ends = {e.name: e for e in co.endpoints}
    seqs = "; ".join(f"{html.escape(k)}: {' → '.join(html.escape(t) for t in v)}" for k, v in cs["sequences"].items())
    out = [f"<h2>Crossover: treatments within patients</h2><p class='note'>Periods start at days "
           f"{', '.join(f'{p:g}' for p in cs['periods_days'])}; sequences {seqs}. Endpoint times are read from "
           "each period's start and changes from the score at that start.</p>",
           "<table><tr><th class='l'>endpoint</th>" + "".join(f"<th>{html.escape(t)}</th>" for t in cs["treatments"])
           + "</tr>"]
    for name, e in ends.items():
        cells = "".join(f"<td>{_pp(v[name]['value'], e.kind)} [{_pp(v[name]['ci95'][0], e.kind)}, "
                        f"{_pp(v[name]['ci95'][1], e.kind)}]</td>" for v in cs["treatments"].values())
        out.append(f"<tr><td class='l'>{html.escape(endpoint_label(e))}</td>{cells}</tr>")
    out.append("</table><table><tr><th class='l'>endpoint</th><th>difference</th><th>95% CI</th><th>p</th>"
               "<th class='l'>test</th></tr>")
    for c in cs["comparisons"]:
        e = ends[c["endpoint"]]
        a, b = c["treatments"]
        out.append(f"<tr><td class='l'>{html.escape(endpoint_label(e))}<br><span class='note'>{html.escape(a)} − "
                   f"{html.escape(b)}, within patients</span></td><td>{_pp(c['difference'], e.kind)}</td>"
                   f"<td>[{_pp(c['ci95'][0], e.kind)}, {_pp(c['ci95'][1], e.kind)}]</td><td>{_fmt(c['p_value'])}"
                   f"</td><td class='l'>{html.escape(c['test'])}</td></tr>")
    out.append("</table>")
    return out


def _comparison_table(spec: TrialSpec, summary: dict[str, Any]) -> list[str]:
    if not summary["comparisons"]:
        return []
    ends = {e.name: e for e in spec.endpoints}
    power = any("power" in c for c in summary["comparisons"])
    out = ["<h2>Comparisons</h2><p class='note'>Every difference is the first arm minus the second; the "
           "last column says what its sign means.</p><table><tr><th class='l'>endpoint</th><th>difference</th>"
           "<th>95% CI</th><th>p</th><th class='l'>test</th>" + ("<th>power</th>" if power else "")
           + "<th class='l'>sign</th></tr>"]
    for c in summary["comparisons"]:
        e = ends[c["endpoint"]]
        a, b = c["arms"]
        if c["p_value"] is None and c.get("note", "").startswith("not applicable"):
            p = f"<span class='na' title='{html.escape(c['note'])}'>not applicable</span>"
        elif c["p_value"] is not None and c["p_value"] < 1e-4:
            p = "&lt; 0.0001"  # as journals print it; summary.json keeps the value
        else:
            p = _fmt(c["p_value"])
        out.append(f"<tr><td class='l'>{html.escape(endpoint_label(e))}<br><span class='note'>"
                   f"{html.escape(a)} − {html.escape(b)}</span></td><td>{_pp(c['difference'], e.kind)}</td>"
                   f"<td>[{_pp(c['ci95'][0], e.kind)}, "
                   f"{_pp(c['ci95'][1], e.kind)}]</td><td>{p}</td><td class='l'>{html.escape(c['test'])}</td>"
                   + (f"<td>{_fmt(c.get('power'))}</td>" if power else "")
                   + f"<td class='l'>{html.escape(sign_convention(e, a, b))}</td></tr>")
    out.append("</table>")
    notes = sorted({c["note"] for c in summary["comparisons"] if c.get("note")})
    out += [f"<p class='note'>{html.escape(n)}.</p>" for n in notes]
    if power:
        out.append(f"<p class='note'>power = fraction of {summary.get('replicates')} replicates (the trial rerun "
                   "with seeds derived from the spec's seed) with p &lt; 0.05; the tables show replicate 0.</p>")
    return out


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
             "<p><b>Every number on this page is a model prediction for virtual patients, not data.</b> "
             "Published results, where the spec gives them, are shown beside the predictions.</p>",
             f"<p class='note'>ketasim {html.escape(model['version'])}, hypothesis "
             f"<b>{html.escape(model['hypothesis'])}</b>, species {html.escape(model['species'])}, seed {spec.seed}, "
             f"trial length {spec.end_h / 24:.4g} days, parameters sha256 {model['parameters_sha256'][:16]}…</p>"]
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
                 "<th>solver failures</th><th>dropped out</th><th>analysed</th></tr>")
    for name, a in summary["arms"].items():
        parts.append(f"<tr><td>{html.escape(name)}</td><td>{a['size']}</td><td>{a['simulated']}</td>"
                     f"<td>{len(a['failed'])}</td><td>{a.get('dropouts', 0)}</td><td>{a['simulated']}</td></tr>")
    parts.append("</table>")
    if any(arm.dropout_fraction > 0 for arm in spec.arms):
        rule = ("the last assessment before dropout is carried forward" if spec.missing == "locf"
                else "patients are left out of endpoints assessed after they dropped out")
        parts.append(f"<p class='note'>Dropout (missing completely at random, constant hazard): {rule}; relapse "
                     "follow-up is censored at dropout. The simulated courses in patients.parquet are complete.</p>")
    for f in failed:
        parts.append(f"<p class='note'>patient {f['patient']} ({html.escape(f['arm'])}): {html.escape(f['error'])}</p>")
    parts += _published_table(spec, summary)
    forest = figs.forest(spec, summary)
    if forest:
        parts.append(forest)
    parts += _endpoint_table(spec, summary)
    parts += _comparison_table(spec, summary)
    parts += _crossover_table(spec, summary)
    parts.append("<h2>Time course</h2>")
    parts.append(figs.vpc(spec, arms, e_measures))
    parts.append(figs.trajectories(spec, arms, e_measures))
    parts.append(figs.spaghetti(spec, arms, e_measures[0]))
    parts.append(f"<p class='note'>Measures available in this run: {html.escape(', '.join(summary['measures']))}."
                 "</p></body></html>")
    path.write_text("\n".join(parts), encoding="utf-8")
