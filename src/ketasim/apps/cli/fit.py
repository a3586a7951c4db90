"""`ketasim fit`: estimate model parameters from calibration targets or observed data.

Three sources (exactly one): --targets PATTERNS (the scorecard's distances), --data FILE (tidy
CSV: id, time_h, output, value, optional dose columns) or --nonmem FILE (DV = --output).
Writes DIR/fit.json, DIR/estimates.txt and DIR/fit.png (and a PEtab v1 problem with --petab).
Inputs are checked before anything runs; files go to a temporary folder first. See docs/fit.md.
"""

from __future__ import annotations

import math
import shutil
import tempfile
from pathlib import Path

import click

from ketasim.apps.cli.flags import with_flags
from ketasim.model.errors import UserError


def _starting_values(specs: tuple[str, ...]) -> dict[str, float]:
    out = {}
    for spec in specs:
        name, sep, val = spec.partition("=")
        try:
            value = float(val)
        except ValueError:
            value = math.nan
        if not sep or not (math.isfinite(value) and value > 0):
            raise UserError("--start", f"{spec!r}: write NAME=VALUE with a positive number, e.g. CL_K_S=40")
        out[name.strip()] = value
    return out


def _check_out(out: Path) -> None:
    if out.exists() and not out.is_dir():
        raise UserError("--out", f"{str(out)!r} is a file; choose a folder")
    if not out.resolve().parent.is_dir():
        raise UserError("--out", f"folder {str(out.resolve().parent)!r} does not exist; create it first")


@click.command("fit")
@click.option("--param", "param_specs", multiple=True,
              help="parameter to estimate, NAME or NAME=LOW:HIGH (published unit); repeat for several")
@click.option("--targets", default=None, help="fit to calibration targets matching these id patterns (as "
              "validate --only)")
@click.option("--data", "data_file", default=None, type=click.Path(dir_okay=False, path_type=Path),
              help="tidy CSV of observations (id, time_h, output, value[, drug, route, dose_mg, ...])")
@click.option("--nonmem", "nonmem_file", default=None, type=click.Path(dir_okay=False, path_type=Path),
              help="NONMEM-style dataset with DV (see docs/nonmem.md)")
@click.option("--output", "dv_output", default="plasma_ketamine", show_default=True,
              help="model output the NONMEM DV column observes")
@click.option("--drug", default="ketamine", show_default=True, help="regimen of tidy data without dose columns")
@click.option("--route", default="iv", show_default=True)
@click.option("--dose", "dose_text", default="0.5 mg/kg", show_default=True)
@click.option("--duration", default="40 min", show_default=True, help="infusion length (\"0 min\": bolus)")
@click.option("--species", type=click.Choice(["human", "mouse", "rat"]), default="human", show_default=True)
@click.option("--hypothesis", default="default", show_default=True)
@click.option("--start", "start_specs", multiple=True, help="starting value NAME=VALUE (default: the model's)")
@click.option("--starts", "n_starts", default=8, show_default=True, type=click.IntRange(1, 64),
              help="multi-start count (seeded Latin hypercube; the first start is the nominal value)")
@click.option("--seed", default=0, show_default=True, type=int)
@click.option("--ci", type=click.Choice(["fisher", "profile"]), default="fisher", show_default=True,
              help="95%% intervals: Fisher information (Wald, log scale) or profile likelihood")
@click.option("--error-add", type=float, default=None, help="additive residual SD in output units (default 1)")
@click.option("--error-prop", type=float, default=None,
              help="proportional residual SD (default: published, e.g. 0.236 for plasma ketamine)")
@click.option("--petab", "petab_dir", default=None, type=click.Path(file_okay=False, path_type=Path),
              help="also write the problem as PEtab v1 into this folder")
@click.option("--petab-only", is_flag=True, help="write the PEtab problem without fitting")
@click.option("--out", "out", required=True, type=click.Path(file_okay=False, path_type=Path),
              help="folder for fit.json, estimates.txt and fit.png")
@with_flags({"param": "--param", "data": "--data", "nonmem": "--nonmem", "petab": "--petab",
             "hypothesis": "--hypothesis", "only": "--targets", "drug": "--drug", "route": "--route",
             "dose": "--dose", "output": "--output"})
def command(param_specs: tuple[str, ...], targets: str | None, data_file: Path | None, nonmem_file: Path | None,
            dv_output: str, drug: str, route: str, dose_text: str, duration: str, species: str, hypothesis: str,
            start_specs: tuple[str, ...], n_starts: int, seed: int, ci: str, error_add: float | None,
            error_prop: float | None, petab_dir: Path | None, petab_only: bool, out: Path) -> None:
    """Estimate parameters (maximum likelihood on data, or target distances) with 95% intervals.

    Example: ketasim fit --data obs.csv --param CL_K_S --param V1_K --drug esketamine --dose "0.25 mg/kg" --out fit1
    """
    from ketasim.studies.fit import report

    sources = [x for x in (targets, data_file, nonmem_file) if x is not None]
    if len(sources) != 1:
        raise UserError("--targets/--data/--nonmem", "give exactly one source: --targets PATTERNS, --data FILE or "
                                                     "--nonmem FILE")
    if error_add is not None and not error_add > 0:
        raise UserError("--error-add", "the additive SD must be positive (it keeps the likelihood finite)")
    if error_prop is not None and not error_prop >= 0:
        raise UserError("--error-prop", "the proportional SD must be zero or positive")
    if (petab_dir is not None or petab_only) and targets is not None:
        raise UserError("--petab", "PEtab export needs data (--data or --nonmem), not --targets")
    if petab_only and petab_dir is None:
        raise UserError("--petab-only", "give the folder with --petab DIR")
    _check_out(out)
    starts = _starting_values(start_specs)
    if targets is not None:
        result, title = _fit_targets(param_specs, targets, species, hypothesis, starts, n_starts, seed), \
            f"fit to targets {targets}"
        tmp_petab = None
    else:
        result, title, tmp_petab = _fit_data(param_specs, data_file, nonmem_file, dv_output, drug, route, dose_text,
                                             duration, species, hypothesis, starts, n_starts, seed, ci, error_add,
                                             error_prop, petab_dir, petab_only)
    tmp = Path(tempfile.mkdtemp(prefix=".fit-", dir=out.resolve().parent))
    try:
        if result is not None:
            report.write_json(result, tmp / "fit.json")
            (tmp / "estimates.txt").write_text(report.table(result) + "\n", encoding="utf-8")
            report.figure(result, tmp / "fit.png", title)
            click.echo(report.table(result))
        out.mkdir(parents=True, exist_ok=True)
        for f in tmp.iterdir():
            shutil.move(str(f), out / f.name)
        if tmp_petab is not None and petab_dir is not None:
            petab_dir.mkdir(parents=True, exist_ok=True)
            for f in tmp_petab.iterdir():
                shutil.move(str(f), petab_dir / f.name)
            click.echo(f"wrote PEtab v1 problem to {petab_dir}/problem.yaml", err=True)
        click.echo(f"wrote {out}", err=True)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
        if tmp_petab is not None:
            shutil.rmtree(tmp_petab, ignore_errors=True)


def _apply_starts(params: list, starts: dict[str, float]) -> list:
    from dataclasses import replace

    names = {p.name for p in params}
    for name in starts:
        if name not in names:
            raise UserError("--start", f"{name} is not estimated; add --param {name}")
    out = []
    for p in params:
        if p.name in starts:
            v = starts[p.name]
            if not p.low <= v <= p.high:
                raise UserError("--start", f"{p.name}={v:g} is outside its bounds [{p.low:g}, {p.high:g}]")
            p = replace(p, nominal=v)
        out.append(p)
    return out


def _fit_targets(specs: tuple[str, ...], only: str, species: str, hypothesis: str, starts: dict[str, float],
                 n_starts: int, seed: int):  # noqa: ANN202
    from ketasim.runtime.build import build_model
    from ketasim.studies.fit.params import parse_params
    from ketasim.studies.fit.targets import fit_targets
    from ketasim.studies.validation.scorecard import check_hypothesis, select_targets

    check_hypothesis(hypothesis)
    select_targets(only)
    model = build_model(species, frozenset({("ketamine", "iv")}), hypothesis, "all")
    if any(s.partition("=")[0].strip() not in model.param_index for s in specs):
        from ketasim.model.compounds import all_drugs  # a comparator's parameter: the model with every drug

        pairs = frozenset((d.name, r) for d in all_drugs().values() for r in d.routes)
        model = build_model(species, pairs, hypothesis, "all")
    params = _apply_starts(parse_params(model, specs), starts)
    click.echo(f"fitting {', '.join(p.name for p in params)} to targets {only!r} ...", err=True)
    return fit_targets(params, only, hypothesis, n_starts=min(n_starts, 4), seed=seed,
                       progress=lambda m: click.echo(m, err=True))


def _fit_data(specs, data_file, nonmem_file, dv_output, drug, route, dose_text, duration, species,  # noqa: ANN001, ANN202
              hypothesis, starts, n_starts, seed, ci, error_add, error_prop, petab_dir, petab_only):
    from ketasim.model.units import parse_quantity
    from ketasim.runtime.build import build_model
    from ketasim.runtime.regimen import Dose
    from ketasim.studies.fit.data import load_nonmem_data, load_tidy
    from ketasim.studies.fit.datafit import DataProblem, fit_data
    from ketasim.studies.fit.params import parse_params
    from ketasim.studies.fit.petab import write_petab
    from ketasim.studies.fit.residual import error_models
    from ketasim.studies.single import parse_dose

    if data_file is not None:
        amount_mg, mg_per_kg = parse_dose(dose_text, "--dose")
        dur = parse_quantity(duration, "--duration", "h", "40 min")
        if route not in ("iv", "sc"):
            dur = 0.0
        default = Dose(drug, route, (0.0,), amount_mg=amount_mg, mg_per_kg=mg_per_kg, duration_h=dur,
                       field="--drug/--route/--dose")
        data = load_tidy(data_file, default)
    else:
        data = load_nonmem_data(nonmem_file, dv_output)
    probe = build_model(species, data.pairs, hypothesis, "exposure")
    layers = "exposure" if all(o in probe.outputs for o in data.output_names) else "all"
    model = build_model(species, data.pairs, hypothesis, layers)
    params = _apply_starts(parse_params(model, specs), starts)
    errors = error_models(data.output_names, error_add, error_prop)
    problem = DataProblem(model, data, params, errors)
    tmp_petab = None
    if petab_dir is not None:
        tmp_petab = Path(tempfile.mkdtemp(prefix=".petab-"))
        write_petab(tmp_petab, model, data, params, errors)
    if petab_only:
        return None, "", tmp_petab
    click.echo(f"fitting {', '.join(p.name for p in params)} to {data.n_obs} observations of "
               f"{len(data.subjects)} subjects ({n_starts} starts) ...", err=True)
    result = fit_data(problem, n_starts=n_starts, seed=seed, ci=ci, progress=lambda m: click.echo(m, err=True))
    return result, f"{len(data.subjects)} subjects, {data.n_obs} observations", tmp_petab
