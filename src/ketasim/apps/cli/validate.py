"""`ketasim validate`: run every calibration target and print the scorecard.

Progress goes to stderr, the table and the summary line to stdout. Failing targets do not change
the exit code (the scorecard is a report): 0 when it ran, 2 on a user error (unknown hypothesis,
a pattern that matches nothing, an unwritable --json path).
"""

from __future__ import annotations

import json
from pathlib import Path

import click

from ketasim.apps.cli.flags import with_flags
from ketasim.model.errors import UserError


@click.command("validate")
@click.option("--hypothesis", default="default", show_default=True, help="model variant to validate")
@click.option("--json", "json_file", type=click.Path(dir_okay=False), default=None,
              help="also write the scorecard as JSON to this file")
@click.option("--only", default=None, help="comma-separated target-id patterns (globs or substrings)")
@click.option("--patients", default=60, show_default=True, type=click.IntRange(10, 2000),
              help="virtual patients per population for the clinical targets")
@click.option("--seed", default=20240611, show_default=True, type=int, help="seed of the virtual populations")
@click.option("--use", "use", type=click.Choice(["all", "training", "test", "input"]), default="all",
              show_default=True,
              help="which targets to run: training (tuned to), test (held out, never tuned to), input "
                   "(echoes of inputs, not scored) or all")
@with_flags({"hypothesis": "--hypothesis", "only": "--only", "use": "--use"})
def command(hypothesis: str, json_file: str | None, only: str | None, patients: int, seed: int, use: str) -> None:
    """Run the calibration targets and print a scorecard (id, layer, expected, simulated, distance,
    PASS/FAIL), training and test targets reported separately."""
    from ketasim.studies.validation.scorecard import check_hypothesis, format_table, run_validation, select_targets

    check_hypothesis(hypothesis)
    select_targets(only, use)
    if json_file is not None:
        parent = Path(json_file).resolve().parent
        if not parent.is_dir():
            raise UserError("--json", f"folder {str(parent)!r} does not exist; create it or choose another path")
    card = run_validation(hypothesis, only=only, n_patients=patients, seed=seed,
                          progress=lambda m: click.echo(m, err=True), use=use)
    click.echo(format_table(card))
    click.echo(card.summary_line())
    if json_file is not None:
        text = json.dumps(card.to_json(), indent=1) + "\n"
        Path(json_file).write_text(text, encoding="utf-8")
        click.echo(f"wrote {json_file}", err=True)
