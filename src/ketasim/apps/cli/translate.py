"""`ketasim translate`: the regimen in another species that matches brain exposure and NMDAR block.

Example: `ketasim translate --from mouse --route ip --dose 10 --to human --to-route iv --out DIR`.
Writes DIR/translate.json and DIR/translate.png; prints both metric profiles and the mismatch.
"""

from __future__ import annotations

import json
from pathlib import Path

import click

from ketasim.apps.cli.flags import with_flags
from ketasim.model.errors import UserError


@click.command("translate")
@click.option("--from", "src_species", default="mouse", show_default=True, help="species of the given regimen")
@click.option("--route", default="ip", show_default=True, help="route of the given regimen")
@click.option("--dose", default=10.0, show_default=True, type=float, help="given dose, mg/kg")
@click.option("--infusion-min", default=0.0, show_default=True, type=float,
              help="infusion duration of the given regimen in minutes (iv/sc)")
@click.option("--drug", default="ketamine", show_default=True)
@click.option("--to", "dst_species", default="human", show_default=True, help="species to translate to")
@click.option("--to-route", default="iv", show_default=True, help="route in that species")
@click.option("--to-infusion-min", default=None, type=float,
              help="fix the target infusion duration (minutes) instead of fitting it")
@click.option("--match", default="Cu_K,nmdar_block_int", show_default=True,
              help="comma-separated outputs or lets to match (AUC over the window and peak of each)")
@click.option("--window", default=4.0, show_default=True, type=float, help="hours from the dose")
@click.option("--layers", type=click.Choice(["all", "exposure"]), default="all", show_default=True)
@click.option("--out", "out_dir", default=None, type=click.Path(file_okay=False),
              help="folder for translate.json and translate.png")
@with_flags({"match": "--match", "to": "--to", "window": "--window", "layers": "--layers"})
def command(src_species: str, route: str, dose: float, infusion_min: float, drug: str, dst_species: str,
            to_route: str, to_infusion_min: float | None, match: str, window: float, layers: str,
            out_dir: str | None) -> None:
    """Find the dose (and infusion duration) in another species that matches the brain profile."""
    from ketasim.runtime.build import SPECIES
    from ketasim.studies import translate as tl

    if src_species not in SPECIES:
        raise UserError("--from", f"unknown species {src_species!r}; use one of {', '.join(SPECIES)}")
    if dst_species not in SPECIES:
        raise UserError("--to", f"unknown species {dst_species!r}; use one of {', '.join(SPECIES)}")
    if not dose > 0:
        raise UserError("--dose", f"the dose must be positive mg/kg, got {dose:g}")
    if not window > 0:
        raise UserError("--window", "the window must be positive hours")
    source = tl.Regimen(src_species, route, dose, infusion_min / 60.0, drug)
    for reg, opts in ((source, ("--drug", "--route", "--infusion-min")),
                      (tl.Regimen(dst_species, to_route, 1.0, (to_infusion_min or 0.0) / 60.0, drug),
                       ("--drug", "--to-route", "--to-infusion-min"))):
        try:
            reg.dose()
        except UserError as exc:
            leaf = exc.field.rpartition(".")[2]
            opt = {"drug": opts[0], "route": opts[1], "duration": opts[2]}.get(leaf, opts[1])
            raise UserError(opt, exc.message) from None
    quantities = [q.strip() for q in match.split(",") if q.strip()]
    if not quantities:
        raise UserError("--match", "give at least one quantity, e.g. Cu_K")
    for sp, rt in ((src_species, route), (dst_species, to_route)):
        tl.check_match(tl.model_for(sp, drug, rt, layers), quantities)
    if out_dir is not None and Path(out_dir).exists() and not Path(out_dir).is_dir():
        raise UserError("--out", f"{out_dir!r} is a file; give a folder")
    tr = tl.translate(source, dst_species, to_route, quantities, window,
                      duration_h=None if to_infusion_min is None else to_infusion_min / 60.0, layers=layers,
                      progress=lambda m: click.echo(m, err=True))
    click.echo(tl.table(tr))
    if out_dir is not None:
        out = Path(out_dir)
        out.mkdir(parents=True, exist_ok=True)
        (out / "translate.json").write_text(json.dumps(tr.to_json(), indent=1) + "\n", encoding="utf-8")
        tl.plot(tr, str(out / "translate.png"))
        click.echo(f"wrote {out / 'translate.json'} and translate.png", err=True)
