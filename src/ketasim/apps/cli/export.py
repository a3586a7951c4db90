"""`ketasim export sbml`: write the model (and, by default, a dose regimen) as SBML Level 3.

The default document embeds the standard regimen, 0.5 mg/kg racemic ketamine IV over 40 min
for a 70 kg patient, as SBML events, so any SBML simulator reproduces ketasim's trajectories.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import click

from ketasim.model.errors import UserError
from ketasim.model.species import SPECIES

STANDARD = {"drug": "ketamine", "route": "iv", "dose": "0.5 mg/kg", "duration": "40 min"}


def hypothesis_names() -> list[str]:
    """The model variants build_model accepts."""
    from ketasim.runtime.build import hypotheses

    return list(hypotheses())


def _dose(text: str) -> dict[str, float]:
    """"35 mg" -> amount_mg, "0.5 mg/kg" -> mg_per_kg."""
    from ketasim.model.units import parse_quantity

    try:
        return {"amount_mg": parse_quantity(text, "dose", "mg", "35 mg")}
    except UserError:
        pass
    try:
        return {"mg_per_kg": parse_quantity(text, "dose", "mg/kg", "0.5 mg/kg")}
    except UserError:
        raise UserError("dose", f"expected a dose such as \"35 mg\" or \"0.5 mg/kg\", got {text!r}") from None


def write_atomically(path: Path, text: str) -> None:
    """Write `text` to `path` through a temporary file, so no half-written file is ever left."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


@click.group("export")
def command() -> None:
    """Export the model for other tools."""


@command.command("sbml")
@click.option("--out", "out", required=True, type=click.Path(dir_okay=False), help="SBML file to write.")
@click.option("--hypothesis", default="default", show_default=True, help="Model variant (see `ketasim hypotheses`).")
@click.option("--species", default="human", show_default=True, help=f"One of {', '.join(SPECIES)}.")
@click.option("--layers", default="all", show_default=True, help="all, or exposure (pharmacokinetics only).")
@click.option("--drug", default=STANDARD["drug"], show_default=True, help="Drug of the embedded regimen.")
@click.option("--route", default=STANDARD["route"], show_default=True, help="Route: iv, im, sc, intranasal, oral, ...")
@click.option("--dose", default=None,
              help='Dose per administration (per spray), e.g. "35 mg" or "0.5 mg/kg". '
                   "Default: the standard 0.5 mg/kg (racemic ketamine IV only).")
@click.option("--duration", default=None,
              help='Infusion length, e.g. "40 min"; default 40 min with the standard dose, else a bolus.')
@click.option("--at", "at", multiple=True, help='Dose time, e.g. "0 h" (repeatable; default "0 h").')
@click.option("--sprays", default=1, show_default=True, type=int, help="Sprays (devices) per intranasal session.")
@click.option("--spray-interval", default="5 min", show_default=True, help="Time between sprays.")
@click.option("--weight", default=None,
              help='Patient weight, e.g. "70 kg" (default: the species\' reference weight, 70 kg for humans).')
@click.option("--no-doses", is_flag=True, help="Write the bare model without dose events.")
def sbml(out: str, hypothesis: str, species: str, layers: str, drug: str, route: str, dose: str | None,
         duration: str | None, at: tuple[str, ...], sprays: int, spray_interval: str, weight: str | None,
         no_doses: bool) -> None:
    """Write the model as SBML Level 3 Version 2, with the regimen as SBML events.

    Without options: 0.5 mg/kg racemic ketamine IV over 40 min at time 0 for a 70 kg patient.
    """
    from ketasim.layers.exposure.routes import validate_route
    from ketasim.model.compounds import get_drug
    from ketasim.model.units import parse_quantity
    from ketasim.runtime.build import build_model, get_hypothesis
    from ketasim.runtime.engines.sbml import to_sbml  # libsbml is imported only when exporting
    from ketasim.runtime.regimen import Dose, dose_events

    path = Path(out)
    if not path.parent.exists():
        raise UserError("out", f"directory {str(path.parent)!r} does not exist; create it first")
    if species not in SPECIES:
        raise UserError("species", f"unknown species {species!r}; choose one of {', '.join(SPECIES)}")
    get_hypothesis(hypothesis)
    if layers not in ("all", "exposure"):
        raise UserError("layers", f"unknown layers {layers!r}; use all or exposure")
    the_drug = get_drug(drug, "drug")
    if no_doses:  # only the model: check the route, since it decides the depots built
        validate_route(the_drug, route, "route")
        regimen = None
    else:
        if dose is None:
            if (the_drug.name, route) != (STANDARD["drug"], STANDARD["route"]):
                raise UserError("dose", f"give --dose for {the_drug.name} {route}, e.g. --dose \"35 mg\"")
            dose = STANDARD["dose"]
            duration = STANDARD["duration"] if duration is None else duration
        times = tuple(parse_quantity(a, "at", "h", "0 h") for a in (at or ("0 h",)))
        regimen = Dose(
            the_drug.name, route, tuple(sorted(times)),
            duration_h=parse_quantity(duration or "0 min", "duration", "h", "40 min"),
            sprays=sprays, spray_interval_h=parse_quantity(spray_interval, "spray_interval", "h", "5 min"),
            field="regimen", **_dose(dose),
        )
    model = build_model(species, frozenset({(the_drug.name, route)}), hypothesis, layers)
    params = list(model.default_parameters)
    if weight is None:
        weight_kg = model.param("WT").internal_value
    else:
        weight_kg = parse_quantity(weight, "weight", "kg", "70 kg")
        if not weight_kg > 0:
            raise UserError("weight", f"body weight must be positive, got {weight!r}")
        params[model.param_index["WT"]] = weight_kg
    events = [] if regimen is None else dose_events(regimen, weight_kg)
    text = to_sbml(model, events, params)
    write_atomically(path, text)
    what = "no dose events" if no_doses else f"{len(events)} dose(s) of {the_drug.name} {route}"
    click.echo(f"wrote {path} ({len(model.states)} states, {len(model.fluxes)} fluxes, {what})")
