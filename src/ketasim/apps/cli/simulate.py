"""`ketasim simulate`: one patient (or a small sampled population) under one regimen.

Prints Cmax, Tmax, AUC and terminal half-life per plasma analyte, and writes
DIR/trajectories.parquet (columns patient, time_h and every model output) and DIR/figure.png
(plasma and brain exposure on a log time axis from minutes to weeks, plus one panel per
mechanistic readout the model has). Inputs are validated before anything runs; files are
written to a temporary folder and moved into DIR only when everything succeeded.
"""

from __future__ import annotations

import math
import os
import shutil
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import click
import numpy as np
import pandas as pd

from ketasim.model.compounds import get_drug
from ketasim.model.description import Model
from ketasim.model.errors import UserError
from ketasim.model.species import REFERENCE_WEIGHT_KG, SPECIES
from ketasim.model.units import _NUMBER_UNIT, parse_quantity, ureg
from ketasim.runtime.build import build_model
from ketasim.runtime.engines.reference import Trajectory, simulate_reference
from ketasim.runtime.patients import individual_parameters, patient_rng
from ketasim.runtime.regimen import Dose, DoseEvent, dose_events
from ketasim.studies.pkmetrics import ANALYTES, PKMetrics, pk_metrics

#: default body weight per species (kg) and the largest population this command simulates
DEFAULT_WEIGHT_KG = REFERENCE_WEIGHT_KG
MAX_PATIENTS = 500
MAX_DAYS = 365.0
#: concentrations at or below this count as unquantifiable for the terminal half-life (ng/mL)
LLOQ_NG_ML = 0.01
RTOL, ATOL = 1e-8, 1e-11


@dataclass(frozen=True)
class SimulationResult:
    """Trajectories of every simulated patient on one time grid, and the model that made them."""

    model: Model
    times_h: np.ndarray
    trajectories: list[Trajectory]
    dose_times_h: list[float]
    drug: str = "ketamine"

    def frame(self) -> pd.DataFrame:
        """Long table: one row per patient and time, one column per model output."""
        parts = []
        for i, tr in enumerate(self.trajectories):
            cols: dict[str, np.ndarray] = {"patient": np.full(self.times_h.size, i, dtype=np.int64),
                                           "time_h": self.times_h}
            cols.update({k: np.asarray(v, dtype=float) for k, v in tr.outputs.items()})
            parts.append(pd.DataFrame(cols))
        return pd.concat(parts, ignore_index=True)


def parse_dose(text: str, field: str = "--dose") -> tuple[float | None, float | None]:
    """ "0.5 mg/kg" -> (None, 0.5); "84 mg" -> (84.0, None); anything else is a UserError."""
    example = "write a dose like \"0.5 mg/kg\" or \"84 mg\""
    if not _NUMBER_UNIT.match(text or ""):
        raise UserError(field, f"expected \"NUMBER UNIT\", got {text!r}; {example}")
    try:
        q = ureg.Quantity(text.strip())
    except Exception:
        raise UserError(field, f"cannot read {text!r}; {example}") from None
    units = [(name, exp) for name, exp in q.unit_items()]
    masses = all(dict(ureg.Quantity(1, name).dimensionality) == {"[mass]": 1} for name, _ in units)
    exps = sorted(exp for _, exp in units)
    if masses and exps == [1]:
        value, per_kg = float(q.to("mg").magnitude), False
    elif masses and exps == [-1, 1]:
        value, per_kg = float(q.to("mg/kg").magnitude), True
    else:
        raise UserError(field, f"{text!r} is not a dose in mg or mg/kg; {example}")
    if not math.isfinite(value) or value <= 0:
        raise UserError(field, f"the dose must be positive, got {text!r}")
    return (None, value) if per_kg else (value, None)


def _times(at: Sequence[str], every: str | None, count: int | None, start: str) -> tuple[float, ...]:
    if at and (every or count):
        raise UserError("--at", "give dose times either with --at or with --every/--count, not both")
    if every or count:
        if not (every and count):
            raise UserError("--every", "a schedule needs both --every (e.g. \"3.5 d\") and --count (e.g. 8)")
        if count < 1:
            raise UserError("--count", f"--count must be at least 1, got {count}")
        step = parse_quantity(every, "--every", "h", "3.5 d")
        if step <= 0:
            raise UserError("--every", f"the dosing interval must be positive, got {every!r}")
        t0 = parse_quantity(start, "--start", "h", "0 d")
        return tuple(t0 + k * step for k in range(count))
    if not at:
        return (0.0,)
    out = []
    for text in at:
        for part in text.split(","):
            if part.strip():
                out.append(parse_quantity(part.strip(), "--at", "h", "0 h"))
    return tuple(sorted(out))


def _field(name: str) -> str:
    """Map a regimen field (regimen.spray_interval) to the option that sets it (--spray-interval)."""
    return "--" + name.rsplit(".", 1)[-1].replace("_", "-")


def output_times(events: Sequence[DoseEvent], t_end_h: float) -> np.ndarray:
    """Grid that reads well on a log axis: every minute for 2 h after each dose, every 10 min
    for 12 h, every 30 min to 3 days, then hourly; plus every dose breakpoint."""
    parts = [np.arange(0.0, t_end_h, 1.0), [t_end_h], np.arange(0.0, min(t_end_h, 72.0), 0.5)]
    for ev in events:
        parts += [ev.time_h + np.arange(0.0, 2.0, 1 / 60), ev.time_h + np.arange(0.0, 12.0, 1 / 6),
                  [ev.time_h, ev.time_h + ev.duration_h]]
    t = np.unique(np.round(np.concatenate([np.asarray(p, dtype=float) for p in parts]), 9))
    return t[(t >= 0) & (t <= t_end_h)]


def check_hypothesis(name: str) -> None:
    """Unknown model variants are a user error naming the flag."""
    from ketasim.runtime.build import get_hypothesis

    get_hypothesis(name, "--hypothesis")


def analytes_of(result: SimulationResult, drug: str) -> dict[str, str]:
    """Plasma outputs to report: the ketamine family's, or a comparator's own."""
    outputs = result.trajectories[0].outputs
    if get_drug(drug).family == "ketamine":
        return {k: v for k, v in ANALYTES.items() if k in outputs}
    name = get_drug(drug).name
    return {f"plasma_{name}": name} if f"plasma_{name}" in outputs else {}


def run_simulation(
    dose: Dose,
    species: str = "human",
    weight_kg: float | None = None,
    female: bool = False,
    cyp2b6_poor: bool = False,
    patients: int = 1,
    seed: int = 0,
    days: float = 7.0,
    hypothesis: str = "default",
    layers: str = "all",
) -> SimulationResult:
    """Simulate `patients` patients (1: the typical patient; more: sampled with `seed`)."""
    if species not in SPECIES:
        raise UserError("--species", f"unknown species {species!r}; choose one of {', '.join(SPECIES)}")
    weight = DEFAULT_WEIGHT_KG[species] if weight_kg is None else weight_kg
    if not (math.isfinite(weight) and weight > 0):
        raise UserError("--weight", f"body weight must be positive, e.g. \"70 kg\"; got {weight:g} kg")
    if not 1 <= patients <= MAX_PATIENTS:
        raise UserError("--patients", f"simulate between 1 and {MAX_PATIENTS} patients, got {patients}")
    if not (math.isfinite(days) and 0 < days <= MAX_DAYS):
        raise UserError("--days", f"--days must be above 0 and at most {MAX_DAYS:g}, got {days:g}")
    t_end = days * 24.0
    events = dose_events(dose, weight)
    last = max(e.time_h + e.duration_h for e in events)
    if last >= t_end:
        raise UserError("--days", f"the last dose ends at {last:g} h, after the simulated {days:g} days; "
                                  "raise --days")
    check_hypothesis(hypothesis)
    model = build_model(species, frozenset({(get_drug(dose.drug).name, dose.route)}), hypothesis, layers)
    covariates = {"WT": weight, "FEMALE": float(female), "CYP2B6_PM": float(cyp2b6_poor)}
    times = output_times(events, t_end)
    trajectories = []
    for i in range(patients):
        rng = patient_rng(seed, i) if patients > 1 else None
        p = individual_parameters(model, rng, covariates)
        trajectories.append(simulate_reference(model, events, p, times, rtol=RTOL, atol=ATOL))
    return SimulationResult(model, times, trajectories, sorted({e.time_h for e in events}), get_drug(dose.drug).name)


def run_nonmem(path: Path, species: str = "human", days: float | None = None,
               hypothesis: str = "default") -> SimulationResult:
    """Simulate every subject of a NONMEM-style dataset (its doses, weight and observation times).

    Trajectories are in dataset order; the time grid covers every subject's doses and observations.
    """
    from ketasim.runtime.nonmem import load_nonmem

    subjects = load_nonmem(path)
    if not subjects:
        raise UserError("--nonmem", f"{path}: the dataset has no subjects")
    check_hypothesis(hypothesis)
    plans = []
    for sid, subj in subjects.items():
        weight = subj.weight_kg or DEFAULT_WEIGHT_KG[species]
        events = [ev for d in subj.doses for ev in dose_events(d, weight)]
        plans.append((sid, subj, weight, events))
    all_events = [ev for *_, evs in plans for ev in evs]
    if not all_events:
        raise UserError("--nonmem", f"{path}: the dataset has no dose records (EVID 1)")
    last = max([e.time_h + e.duration_h for e in all_events]
               + [t for _, s, _, _ in plans for t in s.observation_times_h])
    t_end = days * 24.0 if days is not None else last + 24.0
    if last > t_end:
        raise UserError("--days", f"the dataset runs to {last:g} h, after the simulated {t_end / 24:g} days")
    pairs = frozenset((get_drug(d.drug).name, d.route) for _, s, _, _ in plans for d in s.doses)
    model = build_model(species, pairs, hypothesis, "all")
    obs = [t for _, s, _, _ in plans for t in s.observation_times_h]
    times = np.unique(np.concatenate([output_times(all_events, t_end), np.asarray(obs, dtype=float)]))
    trajectories = []
    for _sid, subj, weight, events in plans:
        p = individual_parameters(model, None, {"WT": weight, **subj.covariates})
        trajectories.append(simulate_reference(model, events, p, times, rtol=RTOL, atol=ATOL))
    drug = get_drug(plans[0][1].doses[0].drug).name if plans[0][1].doses else "ketamine"
    return SimulationResult(model, times, trajectories, sorted({e.time_h for e in all_events}), drug)


def metrics_table(result: SimulationResult) -> pd.DataFrame:
    """Cmax, Tmax, AUC0-last, AUC0-inf and terminal half-life per analyte (median over patients).

    The terminal phase is read after the last dose, from points above LLOQ_NG_ML.
    """
    start = result.dose_times_h[-1] if len(result.dose_times_h) > 1 else None
    rows = []
    for name, label in analytes_of(result, result.drug).items():
        ms: list[PKMetrics] = [pk_metrics(result.times_h, tr.outputs[name], lloq=LLOQ_NG_ML, start_h=start)
                               for tr in result.trajectories]
        values = {k: np.array([getattr(m, k) for m in ms]) for k in
                  ("cmax", "tmax_h", "auc_last", "auc_inf", "half_life_h")}
        row: dict[str, object] = {"analyte": label}
        for k, v in values.items():
            if k == "tmax_h":
                v = np.where(values["cmax"] > 0, v, math.nan)  # no peak, no time of peak
            row[k] = float(np.nanmedian(v)) if np.any(np.isfinite(v)) else math.nan
            if len(ms) > 1:
                finite = v[np.isfinite(v)]
                row[k + "_p5"] = float(np.percentile(finite, 5)) if finite.size else math.nan
                row[k + "_p95"] = float(np.percentile(finite, 95)) if finite.size else math.nan
        rows.append(row)
    return pd.DataFrame(rows)


def format_table(table: pd.DataFrame, population: bool) -> str:
    """Fixed-width text of the metrics table (median [5th-95th percentile] for populations)."""
    heads = [("cmax", "Cmax ng/mL"), ("tmax_h", "Tmax h"), ("auc_last", "AUC0-last ng.h/mL"),
             ("auc_inf", "AUC0-inf ng.h/mL"), ("half_life_h", "t1/2 h")]

    def cell(row: pd.Series, k: str) -> str:
        v = row[k]
        if not np.isfinite(v):
            return "-"
        text = f"{v:.3g}"
        if population and np.isfinite(row.get(k + "_p5", np.nan)):
            text += f" [{row[k + '_p5']:.3g}-{row[k + '_p95']:.3g}]"
        return text

    cells = [["analyte"] + [h for _, h in heads]]
    for _, row in table.iterrows():
        cells.append([str(row["analyte"])] + [cell(row, k) for k, _ in heads])
    widths = [max(len(r[i]) for r in cells) for i in range(len(cells[0]))]
    lines = ["  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(r, widths, strict=True)))
             for r in cells]
    return "\n".join([lines[0], "-" * len(lines[0]), *lines[1:]])


# -- figure ------------------------------------------------------------------------------------
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
        bottom_ax.xaxis.set_minor_formatter(matplotlib.ticker.NullFormatter())
        bottom_ax.set_xlabel("time since first dose (log scale; dotted lines: doses)")
    fig.suptitle(title, fontsize=11)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return ["Plasma and brain concentrations", *(p[0] for p in panels)]


def write_outputs(result: SimulationResult, out: Path, title: str) -> None:
    """Write trajectories.parquet and figure.png into a temporary folder, then move them to `out`."""
    if out.exists() and not out.is_dir():
        raise UserError("--out", f"{out} exists and is not a folder; give a folder path")
    parent = out.resolve().parent
    if not parent.is_dir():
        raise UserError("--out", f"the folder {parent} does not exist; create it or choose another --out")
    tmp = Path(tempfile.mkdtemp(prefix=".ketasim-simulate-", dir=parent))
    try:
        result.frame().to_parquet(tmp / "trajectories.parquet", index=False)
        make_figure(result, tmp / "figure.png", title)
        out.mkdir(exist_ok=True)
        for name in ("trajectories.parquet", "figure.png"):
            os.replace(tmp / name, out / name)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


@click.command("simulate")
@click.option("--drug", default="ketamine", show_default=True,
              help="ketamine (racemic), esketamine, arketamine, 2r6r-hnk, or a comparator (midazolam, ...)")
@click.option("--route", default="iv", show_default=True, help="iv | im | sc | intranasal | oral | sublingual | ip")
@click.option("--dose", "dose_text", default="0.5 mg/kg", show_default=True,
              help="per administration (per spray): \"0.5 mg/kg\" scales with weight, \"84 mg\" does not")
@click.option("--duration", default=None, help="infusion length for iv/sc, e.g. \"40 min\" (default: bolus)")
@click.option("--at", "at", multiple=True, help="dose time(s) from time zero, e.g. --at \"0 h\" --at \"3.5 d\"")
@click.option("--every", default=None, help="dosing interval of a schedule, e.g. \"3.5 d\" (with --count)")
@click.option("--count", type=int, default=None, help="number of doses of the schedule")
@click.option("--start", default="0 h", show_default=True, help="first dose of the --every schedule")
@click.option("--sprays", type=int, default=1, show_default=True, help="sprays/devices per intranasal session")
@click.option("--spray-interval", default="5 min", show_default=True, help="time between sprays")
@click.option("--species", type=click.Choice(list(SPECIES)), default="human", show_default=True)
@click.option("--weight", default=None, help="body weight, e.g. \"70 kg\" (default: 70 kg, mouse 25 g, rat 250 g)")
@click.option("--sex", type=click.Choice(["male", "female"]), default="male", show_default=True)
@click.option("--cyp2b6", type=click.Choice(["normal", "poor"]), default="normal", show_default=True,
              help="CYP2B6 metaboliser status")
@click.option("--patients", type=int, default=1, show_default=True,
              help="1: the typical patient; more: a population sampled with --seed")
@click.option("--seed", type=int, default=0, show_default=True, help="seed of the sampled population")
@click.option("--days", type=float, default=7.0, show_default=True, help="simulated span in days")
@click.option("--hypothesis", default="default", show_default=True, help="model variant (ketasim hypotheses)")
@click.option("--nonmem", "nonmem", default=None, type=click.Path(dir_okay=False, path_type=Path),
              help="simulate the subjects of a NONMEM-style dataset (docs/nonmem.md) instead of one regimen")
@click.option("--compound", "compound", default=None, type=click.Path(dir_okay=False, path_type=Path),
              help="a compound file (docs/compounds.md) adding a new drug; it becomes the default --drug")
@click.option("--out", "out", required=True, type=click.Path(file_okay=False, path_type=Path),
              help="folder for trajectories.parquet and figure.png")
def command(drug: str, route: str, dose_text: str, duration: str | None, at: tuple[str, ...], every: str | None,
            count: int | None, start: str, sprays: int, spray_interval: str, species: str, weight: str | None,
            sex: str, cyp2b6: str, patients: int, seed: int, days: float, hypothesis: str, nonmem: Path | None,
            compound: Path | None, out: Path) -> None:
    """Simulate one patient (or a population) under one regimen; print PK metrics, write
    DIR/trajectories.parquet and DIR/figure.png.

    Example: ketasim simulate --drug esketamine --route intranasal --dose "28 mg" --sprays 3 --out run1
    """
    if compound is not None:  # a user's drug from a compound file (ketasim.model.compounds)
        from ketasim.model.compounds.files import load_compound
        from ketasim.runtime.user_compounds import register_compound

        name = register_compound(load_compound(compound))
        drug = name if drug == "ketamine" else drug
    if nonmem is not None:
        result = run_nonmem(nonmem, species, None, hypothesis)
        click.echo(f"{nonmem}: {len(result.trajectories)} subjects; {species}; patient = dataset order")
        click.echo(format_table(metrics_table(result), len(result.trajectories) > 1))
        write_outputs(result, out, f"{nonmem.name}: {len(result.trajectories)} subjects")
        click.echo(f"wrote {out / 'trajectories.parquet'} and {out / 'figure.png'}")
        return
    amount_mg, mg_per_kg = parse_dose(dose_text)
    duration_h = parse_quantity(duration, "--duration", "h", "40 min") if duration else 0.0
    interval_h = parse_quantity(spray_interval, "--spray-interval", "h", "5 min")
    weight_kg = parse_quantity(weight, "--weight", "kg", "70 kg") if weight else None
    times = _times(at, every, count, start)
    try:
        dose = Dose(drug, route, times, amount_mg=amount_mg, mg_per_kg=mg_per_kg, duration_h=duration_h,
                    sprays=sprays, spray_interval_h=interval_h, field="simulate")
    except UserError as exc:
        raise UserError(_field(exc.field), exc.message) from None
    result = run_simulation(dose, species, weight_kg, sex == "female", cyp2b6 == "poor", patients, seed, days,
                            hypothesis)
    population = patients > 1
    who = f"{patients} sampled patients, seed {seed}" if population else "typical patient"
    click.echo(f"{get_drug(drug).name} {route} {dose_text}"
               + (f" over {duration}" if duration else "")
               + (f", {sprays} sprays" if sprays > 1 else "")
               + f"; {species}, {who}; terminal t1/2 from points above {LLOQ_NG_ML:g} ng/mL")
    click.echo(format_table(metrics_table(result), population))
    if compound is not None:
        from ketasim.model.compounds.effects import effect_summary, format_summary

        mean = {k: np.mean([tr.outputs[k] for tr in result.trajectories], axis=0)
                for k in ("CADSS", "antidepressant_effect", "MADRS") if k in result.trajectories[0].outputs}
        click.echo(format_summary(effect_summary(result.times_h, mean)))
    regimen = f"{get_drug(drug).name} {route} {dose_text}" + (f" x {sprays} sprays" if sprays > 1 else "") + (
        f" over {duration}" if duration else "") + (f", {len(times)} doses" if len(times) > 1 else "")
    write_outputs(result, out, f"{regimen}: {species}, {who}")
    click.echo(f"wrote {out / 'trajectories.parquet'} and {out / 'figure.png'}")
