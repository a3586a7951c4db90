"""`ketasim sensitivity`: global sensitivity (Sobol or Morris) of read-outs to parameters.

Writes DIR/sensitivity.json (indices, ranges), DIR/sensitivity.csv (ranked tables) and
DIR/sensitivity.png; prints the ranked tables. Everything is checked before anything is written.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import click

from ketasim.apps.cli.flags import with_flags
from ketasim.model.errors import UserError


def _regimen_check(species: str, drug: str, route: str, dose: float, minutes: float) -> None:
    from ketasim.model.species import SPECIES
    from ketasim.runtime.regimen import Dose

    if species not in SPECIES:
        raise UserError("--species", f"unknown species {species!r}; use one of {', '.join(SPECIES)}")
    if not dose > 0:
        raise UserError("--dose", f"the dose must be positive mg/kg, got {dose:g}")
    try:
        Dose(drug, route, (0.0,), mg_per_kg=dose, duration_h=minutes / 60.0)
    except UserError as exc:
        opt = {"drug": "--drug", "route": "--route", "duration": "--infusion-min"}.get(exc.field.rpartition(".")[2],
                                                                                      "--dose")
        raise UserError(opt, exc.message) from None


def _check_ranges(setup: object, ranges: list, n: int, seed: int) -> None:
    """Print the admissible share of n joint draws over the ranges (exit status 1 below 95 %)."""
    from ketasim.studies.admissible import RULES, check_ranges

    click.echo(f"{n} joint draws of {len(ranges)} parameters; admissible: {RULES}", err=True)
    res = check_ranges(n, seed, setup=setup, ranges=ranges)  # type: ignore[arg-type]
    click.echo(res.summary())
    if res.share < 0.95:
        raise SystemExit(1)


@click.command("sensitivity")
@click.option("--output", "outputs", multiple=True,
              default=("change:MADRS@24h", "change:MADRS@7d", "peak:CADSS@0-4h"), show_default=True,
              help="read-out(s): OUTPUT@T, change:OUTPUT@T, peak:OUTPUT@T0-T1, auc:OUTPUT@T0-T1 (repeatable)")
@click.option("--method", type=click.Choice(["sobol", "morris"]), default="sobol", show_default=True)
@click.option("--samples", default=256, show_default=True, type=click.IntRange(2, 1 << 16),
              help="Sobol: base samples N (power of two; N(k+2) runs); Morris: trajectories (N(k+1) runs)")
@click.option("--params", "params_glob", default=None,
              help="comma-separated parameter names or globs to vary (default: every eligible parameter)")
@click.option("--param", "param_ranges", multiple=True, help="NAME=LOW:HIGH in published units (repeatable)")
@click.option("--factor", default=2.0, show_default=True, type=float,
              help="range value/F..value*F for parameters without a documented range")
@click.option("--species", default="human", show_default=True)
@click.option("--drug", default="ketamine", show_default=True)
@click.option("--route", default="iv", show_default=True)
@click.option("--dose", default=0.5, show_default=True, type=float, help="mg/kg")
@click.option("--infusion-min", default=40.0, show_default=True, type=float,
              help="infusion duration in minutes (iv/sc; 0 = bolus)")
@click.option("--hypothesis", default="default", show_default=True)
@click.option("--layers", type=click.Choice(["all", "exposure"]), default="all", show_default=True)
@click.option("--seed", default=1, show_default=True, type=int)
@click.option("--workers", default=None, type=click.IntRange(1, 256), help="evaluate on a local Dask cluster")
@click.option("--top", default=15, show_default=True, type=click.IntRange(1, 1000), help="rows per table")
@click.option("--out", "out_dir", default=None, type=click.Path(file_okay=False), help="folder for the results")
@click.option("--check-ranges", "check_n", default=None, type=click.IntRange(1, 100_000),
              help="instead: simulate N joint draws over the ranges (3 days) and report the admissible share")
@with_flags({"param": "--param", "params": "--params", "factor": "--factor", "samples": "--samples",
             "method": "--method", "output": "--output", "hypothesis": "--hypothesis"})
def command(outputs: tuple[str, ...], method: str, samples: int, params_glob: str | None,
            param_ranges: tuple[str, ...], factor: float, species: str, drug: str, route: str, dose: float,
            infusion_min: float, hypothesis: str, layers: str, seed: int, workers: int | None, top: int,
            out_dir: str | None, check_n: int | None) -> None:
    """Rank parameters by their influence on read-outs (Sobol S1/ST or Morris mu*), on the fast engine."""
    from ketasim.runtime.build import get_hypothesis
    from ketasim.studies import sensitivity as sa

    get_hypothesis(hypothesis, "--hypothesis")
    if route not in ("iv", "sc"):
        infusion_min = 0.0 if infusion_min == 40.0 else infusion_min
    _regimen_check(species, drug, route, dose, infusion_min)
    if not outputs:
        raise UserError("--output", "give at least one read-out")
    setup = sa.Setup(species, drug, route, dose, infusion_min / 60.0, hypothesis, layers)
    sa.check_metrics(setup, outputs)
    user = {}
    for text in param_ranges:
        name, lo, hi = sa.parse_param_option(text)
        user[name] = (lo, hi)
    model = setup.model()
    ranges = sa.default_ranges(model, params_glob.split(",") if params_glob else None, factor, user)
    if check_n is not None:
        _check_ranges(setup, ranges, check_n, seed)
        return
    if out_dir is None:
        raise UserError("--out", "give a folder for the results (--out DIR)")
    if method == "sobol" and samples & (samples - 1):
        raise UserError("--samples", f"Sobol needs a power of two for --samples, got {samples}; use e.g. 256")
    out = Path(out_dir)
    if out.exists() and not out.is_dir():
        raise UserError("--out", f"{out_dir!r} is a file; give a folder")
    n_runs = samples * (len(ranges) + (2 if method == "sobol" else 1))
    click.echo(f"{method}: {len(ranges)} parameters, {n_runs} simulations", err=True)

    result = sa.run_sensitivity(
        ranges, list(outputs),
        lambda xs: sa.evaluate(setup, [r.name for r in ranges], xs, list(outputs), workers,
                              progress=lambda m: click.echo(m, err=True)),
        method, samples, seed)
    for metric in outputs:
        click.echo(sa.table(result, metric, top))
        click.echo("")
    out.mkdir(parents=True, exist_ok=True)
    data = {"setup": setup.__dict__ | {"covariates": setup.base_covariates()}, **result.to_json()}
    (out / "sensitivity.json").write_text(json.dumps(data, indent=1) + "\n", encoding="utf-8")
    with open(out / "sensitivity.csv", "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        keys = ["S1", "S1_conf", "ST", "ST_conf"] if method == "sobol" else ["mu_star", "mu_star_conf", "sigma", "mu"]
        w.writerow(["metric", "rank", "parameter", *keys])
        for metric in outputs:
            for k, (name, d) in enumerate(result.ranked(metric), 1):
                w.writerow([metric, k, name, *(f"{d[x]:.6g}" for x in keys)])
    sa.plot(result, str(out / "sensitivity.png"), top=min(top, 12))
    click.echo(f"wrote {out / 'sensitivity.json'}, sensitivity.csv, sensitivity.png", err=True)
