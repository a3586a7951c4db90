"""`ketasim simulate`: one patient (or a small sampled population) under one regimen.

Flags and printing only; the simulation, the PK table and the files come from
ketasim.studies.single. Prints Cmax, Tmax, AUC and terminal half-life per plasma analyte and
writes DIR/trajectories.parquet and DIR/figure.png. Heavy modules are imported when the command
runs, so `--help` and flag errors answer at once.
"""

from __future__ import annotations

import gc
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from ketasim.apps.cli.flags import flag_errors

if TYPE_CHECKING:
    import pandas as pd

#: library fields and arguments -> the flags that set them
FLAGS = {name: "--" + name.replace("_", "-") for name in (
    "drug", "route", "dose", "duration", "at", "every", "count", "start", "sprays", "spray_interval", "species",
    "patients", "seed", "days", "hypothesis", "nonmem", "compound", "out", "engine", "posterior", "draws",
    "outputs")} | {"weight_kg": "--weight",
                                                                                       "weight": "--weight"}


#: the --spray-interval default, in hours
DEFAULT_SPRAY_INTERVAL_H = 5.0 / 60.0


def format_table(table: pd.DataFrame, population: bool) -> str:
    """Fixed-width text of the metrics table (median [5th-95th percentile] for populations)."""
    import numpy as np

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


def say(message: str) -> None:
    """Progress and notices go to stderr (stdout carries the table)."""
    click.echo(message, err=True)


def timed_progress() -> tuple[dict[str, float], Callable[[str], None]]:
    """A progress callback that remembers when it last spoke, so a compilation can report its duration."""
    seen: dict[str, float] = {}

    def progress(message: str) -> None:
        seen["t"] = time.perf_counter()
        say(message)

    return seen, progress


def report_compilation(seen: dict[str, float]) -> None:
    """After a run that announced a compilation, say how long it took (later runs skip it)."""
    if "t" in seen:
        say(f"compiled and simulated in {time.perf_counter() - seen['t']:.0f} s (the kernel is cached: later runs "
            "start at once)")


@click.command("simulate")
@click.option("--drug", default="ketamine", show_default=True,
              help="ketamine (racemic), esketamine, arketamine, 2r6r-hnk, or a comparator (midazolam, ...)")
@click.option("--route", default="iv", show_default=True,
              help="iv | im | sc | intranasal | oral | sublingual | ip | icv | inhaled (dose \"50 %\")")
@click.option("--dose", "dose_text", default="0.5 mg/kg", show_default=True,
              help="per administration (per spray): \"0.5 mg/kg\" scales with weight, \"84 mg\" does not")
@click.option("--duration", default=None, help="infusion length for iv/sc, e.g. \"40 min\" (default: bolus)")
@click.option("--at", "at", multiple=True, help="dose time(s) from time zero, e.g. --at \"0 h\" --at \"3.5 d\"")
@click.option("--every", default=None, help="dosing interval of a schedule, e.g. \"3.5 d\" (with --count)")
@click.option("--count", type=int, default=None, help="number of doses of the schedule")
@click.option("--start", default="0 h", show_default=True, help="first dose of the --every schedule")
@click.option("--sprays", type=int, default=1, show_default=True, help="sprays/devices per intranasal session")
@click.option("--spray-interval", default="5 min", show_default=True, help="time between sprays")
@click.option("--species", default="human", show_default=True, help="human | mouse | rat")
@click.option("--weight", default=None, help="body weight, e.g. \"70 kg\" (default: 70 kg, mouse 25 g, rat 250 g)")
@click.option("--sex", type=click.Choice(["male", "female"]), default="male", show_default=True)
@click.option("--cyp2b6", type=click.Choice(["normal", "poor"]), default="normal", show_default=True,
              help="CYP2B6 metaboliser status")
@click.option("--patients", type=int, default=1, show_default=True,
              help="1: the typical patient; more: a population sampled with --seed")
@click.option("--seed", type=int, default=0, show_default=True, help="seed of the sampled population")
@click.option("--days", type=float, default=7.0, show_default=True, help="simulated span in days")
@click.option("--hypothesis", default="default", show_default=True, help="model variant (ketasim hypotheses)")
@click.option("--engine", type=click.Choice(["fast", "reference"]), default="fast", show_default=True,
              help="fast: compiled Rosenbrock engine (within 1e-4 of the reference); reference: SciPy Radau")
@click.option("--nonmem", "nonmem", default=None, type=click.Path(dir_okay=False, path_type=Path),
              help="simulate the subjects of a NONMEM-style dataset (docs/nonmem.md) instead of one regimen")
@click.option("--compound", "compound", default=None, type=click.Path(dir_okay=False, path_type=Path),
              help="a compound file (docs/compounds.md) adding a new drug; it becomes the default --drug")
@click.option("--out", "out", required=True, type=click.Path(file_okay=False, path_type=Path),
              help="folder for trajectories.parquet and figure.png")
@click.option("--posterior", default=None, metavar="NAME|DIR",
              help="also run over draws of a calibrated posterior (shipped name or folder): DIR/bands.csv with the "
                   "median and 5-95% of the chosen outputs over draws")
@click.option("--draws", type=click.IntRange(1, 1000), default=50, show_default=True,
              help="posterior draws with --posterior")
@click.option("--outputs", default=None,
              help="comma-separated outputs of the bands (default: the plasma analytes, antidepressant_effect, MADRS)")
def command(drug: str, route: str, dose_text: str, duration: str | None, at: tuple[str, ...], every: str | None,
            count: int | None, start: str, sprays: int, spray_interval: str, species: str, weight: str | None,
            sex: str, cyp2b6: str, patients: int, seed: int, days: float, hypothesis: str, engine: str,
            nonmem: Path | None, compound: Path | None, out: Path, posterior: str | None, draws: int,
            outputs: str | None) -> None:
    """Simulate one patient (or a population) under one regimen; print PK metrics, write
    DIR/trajectories.parquet and DIR/figure.png.

    Example: ketasim simulate --drug esketamine --route intranasal --dose "28 mg" --sprays 3 --out run1
    """
    gc.disable()  # a short run: no collections while the libraries and the model load (see gc_settled)
    try:
        _command(drug, route, dose_text, duration, at, every, count, start, sprays, spray_interval, species, weight,
                 sex, cyp2b6, patients, seed, days, hypothesis, engine, nonmem, compound, out, posterior, draws,
                 outputs)
    finally:
        gc.enable()


def gc_settled() -> None:
    """Freeze what is loaded so far out of later garbage collections, then collect as usual.

    Passes over the libraries' and the model's objects took about half a CPU second of a run.
    """
    gc.freeze()
    gc.enable()


def _command(drug: str, route: str, dose_text: str, duration: str | None, at: tuple[str, ...], every: str | None,
             count: int | None, start: str, sprays: int, spray_interval: str, species: str, weight: str | None,
             sex: str, cyp2b6: str, patients: int, seed: int, days: float, hypothesis: str, engine: str,
             nonmem: Path | None, compound: Path | None, out: Path, posterior: str | None, draws: int,
             outputs: str | None) -> None:
    with flag_errors(FLAGS):
        if posterior is not None and nonmem is not None:
            from ketasim.model.errors import UserError

            raise UserError("posterior", "--posterior runs one regimen; it does not apply to --nonmem")
        result, dose, weight_kg = _run(drug, route, dose_text, duration, at, every, count, start, sprays,
                                       spray_interval, species, weight, sex, cyp2b6, patients, seed, days, hypothesis,
                                       engine, nonmem, compound, out)
        if posterior is not None and result is not None:
            _bands(result, dose, weight_kg, sex, cyp2b6, patients, seed, posterior, draws, outputs, engine, out)


def _run(drug: str, route: str, dose_text: str, duration: str | None, at: tuple[str, ...], every: str | None,
         count: int | None, start: str, sprays: int, spray_interval: str, species: str, weight: str | None,
         sex: str, cyp2b6: str, patients: int, seed: int, days: float, hypothesis: str, engine: str,
         nonmem: Path | None, compound: Path | None, out: Path) -> tuple[Any, Any, float | None]:
    import numpy as np

    from ketasim.model.compounds import get_drug
    from ketasim.model.units import parse_quantity
    from ketasim.runtime.regimen import INHALED, Dose, parse_inspired_fraction
    from ketasim.studies import single

    if compound is not None:  # a user's drug from a compound file (ketasim.model.compounds)
        from ketasim.model.compounds.files import load_compound
        from ketasim.runtime.user_compounds import register_compound

        name = register_compound(load_compound(compound, "compound"))
        drug = name if drug == "ketamine" else drug
    seen, progress = timed_progress()
    if nonmem is not None:
        single.check_out(out)
        result = single.run_nonmem(nonmem, species, None, hypothesis, engine, progress)
        report_compilation(seen)
        gc_settled()
        click.echo(f"{nonmem}: {len(result.trajectories)} subjects; {species}; patient = dataset order")
        click.echo(format_table(single.metrics_table(result), len(result.trajectories) > 1))
        single.write_outputs(result, out, f"{nonmem.name}: {len(result.trajectories)} subjects")
        click.echo(f"wrote {out / 'trajectories.parquet'} and {out / 'figure.png'}")
        return None, None, None
    inspired = parse_inspired_fraction(dose_text, "dose") if route == INHALED else None
    amount_mg, mg_per_kg = (None, None) if inspired is not None else single.parse_dose(dose_text)
    duration_h = parse_quantity(duration, "duration", "h", "40 min") if duration else 0.0
    # the default needs no unit parsing (pint): 5 min is what parse_quantity reads it as (tests/test_simulate_cli.py)
    interval_h = DEFAULT_SPRAY_INTERVAL_H if spray_interval == "5 min" else parse_quantity(
        spray_interval, "spray_interval", "h", "5 min")
    weight_kg = parse_quantity(weight, "weight", "kg", "70 kg") if weight else None
    times = single.dose_times(at, every, count, start)
    dose = Dose(drug, route, times, amount_mg=amount_mg, mg_per_kg=mg_per_kg, duration_h=duration_h,
                sprays=sprays, spray_interval_h=interval_h, field="simulate", inspired_fraction=inspired)
    single.check_out(out)
    result = single.run_simulation(dose, species, weight_kg, sex == "female", cyp2b6 == "poor", patients, seed,
                                   days, hypothesis, engine=engine, progress=progress)
    report_compilation(seen)
    gc_settled()
    population = patients > 1
    who = f"{patients} sampled patients, seed {seed}" if population else "typical patient"
    click.echo(f"{get_drug(drug).name} {route} {dose_text}"
               + (f" over {duration}" if duration else "")
               + (f", {sprays} sprays" if sprays > 1 else "")
               + f"; {species}, {who}; terminal t1/2 from points above {single.LLOQ_NG_ML:g} ng/mL")
    click.echo(format_table(single.metrics_table(result), population))
    if compound is not None:
        from ketasim.model.compounds.effects import effect_summary, format_summary

        mean = {k: np.mean([tr.outputs[k] for tr in result.trajectories], axis=0)
                for k in ("CADSS", "antidepressant_effect", "MADRS") if k in result.trajectories[0].outputs}
        click.echo(format_summary(effect_summary(result.times_h, mean)))
    regimen = f"{get_drug(drug).name} {route} {dose_text}" + (f" x {sprays} sprays" if sprays > 1 else "") + (
        f" over {duration}" if duration else "") + (f", {len(times)} doses" if len(times) > 1 else "")
    single.write_outputs(result, out, f"{regimen}: {species}, {who}")
    click.echo(f"wrote {out / 'trajectories.parquet'} and {out / 'figure.png'}")
    return result, dose, weight_kg


def _bands(result: Any, dose: Any, weight_kg: float | None, sex: str, cyp2b6: str, patients: int, seed: int,
           source: str, draws: int, outputs: str | None, engine: str, out: Path) -> None:
    """`--posterior`: the run over posterior draws; DIR/bands.csv and one line per output."""
    from ketasim.runtime.regimen import dose_events
    from ketasim.studies import single
    from ketasim.studies import single_posterior as sp
    from ketasim.studies.single_figure import analytes_of

    model = result.model
    weight = single.DEFAULT_WEIGHT_KG.get(model.meta.get("species", "human"), 70.0) if weight_kg is None \
        else weight_kg
    names = ([o.strip() for o in outputs.split(",") if o.strip()] if outputs
             else sp.default_outputs(model, list(analytes_of(result, result.drug))))
    sp.check_outputs(model, names)
    covariates = {"WT": weight, "FEMALE": float(sex == "female"), "CYP2B6_PM": float(cyp2b6 == "poor")}
    post, bands = sp.run_bands(model, dose_events(dose, weight), covariates, patients, seed, source, draws,
                               result.times_h, names, engine)
    for line in sp.summary_lines(result.times_h, bands):
        click.echo(line)
    path = sp.write_bands(out, result.times_h, bands, post)
    sp.plot_bands(result.times_h, bands, {n: model.outputs[n].unit for n in names}, out / "bands.png",
                  f"posterior {source}: {post.draws} draws, {'typical patient' if patients == 1 else 'patient mean'}")
    click.echo(f"wrote {path} and {out / 'bands.png'} ({post.draws} posterior draws of {source})")
