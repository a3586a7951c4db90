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
@click.option("--hypothesis", default=None, help="model variant to validate [default: default, or the posterior's]")
@click.option("--json", "json_file", type=click.Path(dir_okay=False), default=None,
              help="also write the scorecard as JSON to this file")
@click.option("--only", default=None, help="comma-separated target-id patterns (globs or substrings)")
@click.option("--patients", default=60, show_default=True, type=click.IntRange(10, 2000),
              help="virtual patients per population for the clinical targets")
@click.option("--seed", default=20240611, show_default=True, type=int, help="seed of the virtual populations")
@click.option("--use", "use", type=click.Choice(["all", "training", "test", "input"]), default=None,
              help="which targets to run: training (tuned to), test (held out, never tuned to), input "
                   "(echoes of inputs, not scored) or all [default: all; test with --posterior]")
@click.option("--posterior", default=None, metavar="NAME|DIR",
              help="evaluate over draws of a calibrated posterior (shipped name or folder): 95% prediction "
                   "interval per published quantity and the coverage (docs/calibrate.md)")
@click.option("--draws", type=click.IntRange(1, 1000), default=20, show_default=True,
              help="posterior draws with --posterior (1: the posterior mean alone)")
@with_flags({"hypothesis": "--hypothesis", "only": "--only", "use": "--use", "posterior": "--posterior"})
def command(hypothesis: str | None, json_file: str | None, only: str | None, patients: int, seed: int,
            use: str | None, posterior: str | None, draws: int) -> None:
    """Run the calibration targets and print a scorecard (id, layer, expected, simulated, distance,
    PASS/FAIL), training and test targets reported separately; with --posterior, the prediction
    intervals and coverage of the published values."""
    from ketasim.studies.validation.scorecard import check_hypothesis, format_table, run_validation, select_targets

    if hypothesis is not None:
        check_hypothesis(hypothesis)
    use = use or ("test" if posterior is not None else "all")
    targets = select_targets(only, use)
    if json_file is not None:
        parent = Path(json_file).resolve().parent
        if not parent.is_dir():
            raise UserError("--json", f"folder {str(parent)!r} does not exist; create it or choose another path")
    if posterior is not None:
        _coverage(posterior, hypothesis, targets, draws, patients, seed, json_file)
        return
    hypothesis = hypothesis or "default"
    card = run_validation(hypothesis, only=only, n_patients=patients, seed=seed,
                          progress=lambda m: click.echo(m, err=True), use=use)
    click.echo(format_table(card))
    click.echo(card.summary_line())
    if json_file is not None:
        text = json.dumps(card.to_json(), indent=1) + "\n"
        Path(json_file).write_text(text, encoding="utf-8")
        click.echo(f"wrote {json_file}", err=True)


def _coverage(source: str, hypothesis: str | None, targets: list, draws: int, patients: int, seed: int,
              json_file: str | None) -> None:
    """`validate --posterior`: the targets over posterior draws; table on stdout, report as JSON."""
    from ketasim.studies.calibrate.predictive import format_coverage, load_for, run_predictive

    hyp, post = load_for(source, hypothesis, "--posterior")
    report = run_predictive(hyp, post, targets, draws, patients, seed, progress=lambda m: click.echo(m, err=True))
    report["posterior"] = source
    click.echo(format_coverage(report))
    if json_file is not None:
        Path(json_file).write_text(json.dumps(report, indent=1, sort_keys=True) + "\n", encoding="utf-8")
        click.echo(f"wrote {json_file}", err=True)
