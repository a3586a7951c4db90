"""`ketasim compounds`: list the compound library, validate compound files, predict a new drug's effect.

* `ketasim compounds list`: built-in compound files (name, code, targets, routes);
* `ketasim compounds check FILE...`: validate files (one line per file; exit 2 on the first bad one);
* `ketasim compounds run FILE --dose ... --out DIR`: simulate the typical patient with the full model
  and print PK metrics, peak dissociation (CADSS) and the antidepressant effect (same as
  `ketasim simulate --compound FILE`). See docs/compounds.md.
"""

from __future__ import annotations

from pathlib import Path

import click


@click.group("compounds")
def command() -> None:
    """Compound files: list the library, validate files, run a new drug end to end."""


def _targets(c) -> str:  # noqa: ANN001
    from ketasim.model.compounds import mechanism_summary

    return mechanism_summary(c) or "-"


@command.command("list")
def list_cmd() -> None:
    """List the built-in compound files with their mechanisms and routes."""
    from ketasim.model.compounds.files import builtin_compounds, library_dir

    compounds = builtin_compounds()
    w = max(27, *(len(c.name) for c in compounds))
    click.echo(f"{'name':<{w}} {'code':<7} {'kind':<10} {'mechanism':<48} routes")
    for c in compounds:
        kind = "reference" if c.reference_only else "variant" if c.variant_of else "model"
        click.echo(f"{c.name:<{w}} {c.code:<7} {kind:<10} {_targets(c):<48} {', '.join(c.routes)}")
    click.echo(f"library: {library_dir()}", err=True)


def _variant_lines(c) -> list[str]:  # noqa: ANN001
    """What a variant of a coded family changes, one line per scaled metabolic step."""
    from ketasim.model.compounds.schema import METABOLIC_STEPS

    if c.variant_of is None:
        return []
    out = [f"  variant of {c.variant_of}: its PK, NMDAR block and other targets; metabolism changed:"]
    for step, q in c.metabolism.items():
        out.append(f"  {step} x{q.value:g} ({q.flag}, range {q.low if q.low is not None else q.value:g}-"
                   f"{q.high if q.high is not None else q.value:g}): formation clearance of the "
                   f"{METABOLIC_STEPS[step]} scaled; the substrate's clearance is unchanged (the rest leaves by "
                   "other routes)")
    return out


@command.command("check")
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False, path_type=Path))
def check_cmd(files: tuple[Path, ...]) -> None:
    """Validate compound files: one line per problem naming the field and the fix (exit 2 if any)."""
    from ketasim.model.compounds.files import compound_problems, load_compound

    bad = 0
    for f in files:
        if not f.is_file():
            click.echo(f"ketasim: error: FILES: compound file {str(f)!r} does not exist", err=True)
            bad += 1
            continue
        problems = compound_problems(f.read_text(encoding="utf-8", errors="replace"), f.name)
        for p in problems:
            click.echo(f"ketasim: error: {p}", err=True)
        if problems:
            bad += 1
            continue
        c = load_compound(f, "FILES")
        click.echo(f"{f}: ok ({c.name}, code {c.code}; mechanism: {_targets(c)})")
        for line in _variant_lines(c):
            click.echo(line)
    if bad:
        raise SystemExit(2)


@command.command("run")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--route", default="iv", show_default=True)
@click.option("--dose", "dose_text", default="0.5 mg/kg", show_default=True)
@click.option("--duration", default="40 min", show_default=True, help="infusion length (iv/sc); \"0 min\": bolus")
@click.option("--days", type=float, default=3.0, show_default=True)
@click.option("--out", "out", required=True, type=click.Path(file_okay=False, path_type=Path))
def run_cmd(file: Path, route: str, dose_text: str, duration: str, days: float, out: Path) -> None:
    """Simulate a compound file's drug in the typical patient; print its effect and write DIR."""
    from ketasim.apps.cli.flags import flag_errors
    from ketasim.apps.cli.simulate import format_table
    from ketasim.model.compounds.effects import effect_summary, format_summary
    from ketasim.model.compounds.files import load_compound
    from ketasim.model.units import parse_quantity
    from ketasim.runtime.regimen import Dose
    from ketasim.runtime.user_compounds import register_compound
    from ketasim.studies.single import metrics_table, parse_dose, run_simulation, write_outputs

    flags = {"dose": "--dose", "duration": "--duration", "route": "--route", "days": "--days", "out": "--out",
             "drug": "--drug", "sprays": "--sprays"}
    with flag_errors(flags):
        name = register_compound(load_compound(file, "FILE"))
        amount_mg, mg_per_kg = parse_dose(dose_text)
        dur = parse_quantity(duration, "duration", "h", "40 min") if route in ("iv", "sc") else 0.0
        dose = Dose(name, route, (0.0,), amount_mg=amount_mg, mg_per_kg=mg_per_kg, duration_h=dur, field="run")
        result = run_simulation(dose, days=days, progress=lambda m: click.echo(m, err=True))
    click.echo(f"{name} {route} {dose_text}; typical patient")
    click.echo(format_table(metrics_table(result), False))
    tr = result.trajectories[0]
    click.echo(format_summary(effect_summary(result.times_h, tr.outputs)))
    write_outputs(result, out, f"{name} {route} {dose_text}")
    click.echo(f"wrote {out / 'trajectories.parquet'} and {out / 'figure.png'}")
